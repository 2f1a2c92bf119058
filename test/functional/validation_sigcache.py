#!/usr/bin/env python3
"""The signature cache (-maxsigcachesize): a block whose transactions were
verified when they entered the mempool connects without verifying them
again — getmempoolinfo's signature_checks counts real verifications — and
with the cache off (-maxsigcachesize=0) each is verified twice."""
from test_framework.messages import COIN
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal

TXS = 20


class SigcacheTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def checks(self):
        return self.nodes[0].getmempoolinfo()["signature_checks"]

    def send_and_mine(self, payer, first_nonce):
        node = self.nodes[0]
        _, to = self.new_key()
        before = self.checks()
        for n in range(first_nonce, first_nonce + TXS):
            node.sendrawtransaction(self.make_transfer(payer, n, to, COIN, 1000))
        entered = self.checks() - before
        before = self.checks()
        self.generate(node, 1)
        assert_equal(node.getmempoolinfo()["size"], 0)
        return entered, self.checks() - before

    def run_test(self):
        node = self.nodes[0]
        payer, payer_addr = self.new_key()
        self.generate(node, 1, payer_addr)
        self.generate(node, 100)

        self.log.info("txs verified on entering the mempool are not verified again in their block")
        entered, mined = self.send_and_mine(payer, 0)
        assert_equal(entered, TXS)
        assert_equal(mined, 0)

        self.log.info("with -maxsigcachesize=0 the block verifies them again")
        self.restart_node(0, ["-maxsigcachesize=0"])
        entered, mined = self.send_and_mine(payer, TXS)
        assert_equal(entered, TXS)
        assert_equal(mined, TXS)
        self.stop_node(0)
        self.nodes[0].assert_start_raises_init_error(["-maxsigcachesize=16385"], "maxsigcachesize")


if __name__ == "__main__":
    SigcacheTest().main()

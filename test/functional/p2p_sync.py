#!/usr/bin/env python3
"""Initial sync: node0 mines a 1,000-block chain with transfers in it; a node
with an empty datadir connects and catches up to the same tip, the same
state_hash and the same account histories, first from one peer, then a second
fresh node from two peers at once. A node that is already synced and gets a
longer chain announced follows it."""

from test_framework.messages import COIN
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, wait_until

CHAIN_LENGTH = 1000


class P2PSyncTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 3

    def same_state(self, a, b):
        for n in (a, b):
            assert_equal(n.getblockchaininfo()["initialblockdownload"], False)
        assert_equal(a.getbestblockhash(), b.getbestblockhash())
        assert_equal(a.getstateinfo(), b.getstateinfo())

    def run_test(self):
        node0, node1, node2 = self.nodes
        payer, payer_addr = self.new_key()
        payee, payee_addr = self.new_key()

        self.log.info("node0 mines %d blocks, some carrying transfers", CHAIN_LENGTH)
        self.generate(node0, 110, payer_addr, sync=False)
        for nonce in range(10):
            node0.sendrawtransaction(self.make_transfer(payer, nonce, payee, COIN + nonce, 1000, b"sync %d" % nonce))
            self.generate(node0, 1, sync=False)
        self.generate(node0, CHAIN_LENGTH - node0.getblockcount(), sync=False)
        assert_equal(node0.getblockcount(), CHAIN_LENGTH)
        tip = node0.getbestblockhash()
        assert_equal(node1.getblockcount(), 0)

        self.log.info("a fresh node1 connects to node0 and catches up")
        self.connect_nodes(1, 0)
        self.sync_blocks([node0, node1], timeout=90)
        wait_until(lambda: not node1.getblockchaininfo()["initialblockdownload"], timeout=30)
        self.same_state(node0, node1)
        assert_equal(node1.getbestblockhash(), tip)
        info = node1.getblockchaininfo()
        assert_equal(info["blocks"], CHAIN_LENGTH)
        assert_equal(info["headers"], CHAIN_LENGTH)
        assert_equal(info["verificationprogress"], 1)
        # the download logged how far it was and when it was done
        assert node1.debug_log_contains("progress: height %d of %d (100.0%%)" %
                                        (CHAIN_LENGTH, CHAIN_LENGTH)), node1.debug_log_tail()
        for addr in (payer_addr, payee_addr):
            assert_equal(node1.getaccounthistory(addr, 0, 1000), node0.getaccounthistory(addr, 0, 1000))
            assert_equal(node1.getaccount(addr), node0.getaccount(addr))

        self.log.info("a fresh node2 connects to both and catches up from two peers")
        self.connect_nodes(2, 0)
        self.connect_nodes(2, 1)
        self.sync_blocks(timeout=90)
        wait_until(lambda: not node2.getblockchaininfo()["initialblockdownload"], timeout=30)
        self.same_state(node0, node2)
        peers = node2.getpeerinfo()
        assert_equal(len(peers), 2)
        # Blocks were fetched over P2P (not magically present): node2 received megabytes
        received = sum(p.get("bytesrecv", 0) for p in peers)
        self.log.info("node2 received %d bytes from %d peers", received, len(peers))
        assert received > CHAIN_LENGTH * 100, received

        self.log.info("blocks mined afterwards on node1 reach both others")
        self.generate(node1, 5, sync=False)
        self.sync_blocks(timeout=30)
        self.same_state(node1, node0)
        self.same_state(node1, node2)


if __name__ == "__main__":
    P2PSyncTest().main()

#!/usr/bin/env python3
"""Partition and heal: a line of four nodes is cut in the middle, each half
mines its own branch with its own transfers, the halves reconnect, and every
node settles on the branch with the most work with an identical state_hash.
The losing branch's transfers that are still valid go back to the mempools
(and reach every node); one that conflicts with the winning branch (same
sender, same nonce) does not."""

from test_framework.messages import COIN
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, assert_not_equal, wait_until


class P2PReorgTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 4

    def setup_network(self):
        self.setup_nodes()
        self.connect_line()

    def run_test(self):
        n0, n1, n2, n3 = self.nodes
        ka, ka_addr = self.new_key()   # spends only on the losing branch
        kb, kb_addr = self.new_key()   # spends only on the winning branch
        kc, kc_addr = self.new_key()   # spends nonce 0 differently on each branch
        payee, _ = self.new_key()
        for addr in (ka_addr, kb_addr, kc_addr):
            self.generate(n0, 1, addr)
        self.generate(n0, 100)
        self.sync_all()
        fork_height = n0.getblockcount()

        self.log.info("cut the line between node1 and node2")
        self.disconnect_nodes(1, 2)
        left, right = [n0, n1], [n2, n3]

        self.log.info("left half mines 3 blocks with a transfer of ka and one of kc")
        tx_a = n0.sendrawtransaction(self.make_transfer(ka, 0, payee, 2 * COIN, 1000, b"left"))
        tx_c_left = n0.sendrawtransaction(self.make_transfer(kc, 0, payee, 3 * COIN, 1000, b"left c"))
        self.sync_mempools(left)
        left_blocks = self.generate(n1, 3, sync=False)
        self.sync_blocks(left)
        for n in right:
            assert_equal(n.getrawmempool(), [])

        self.log.info("right half mines 5 blocks with a transfer of kb and a different one of kc")
        tx_b = n3.sendrawtransaction(self.make_transfer(kb, 0, payee, 4 * COIN, 1000, b"right"))
        tx_c_right = n3.sendrawtransaction(self.make_transfer(kc, 0, payee, 5 * COIN, 2000, b"right c"))
        self.sync_mempools(right)
        self.generate(n2, 5, sync=False)
        self.sync_blocks(right)
        right_tip = n2.getbestblockhash()
        assert_not_equal(n0.getbestblockhash(), right_tip)
        assert_equal(n0.getblockcount(), fork_height + 3)
        assert_equal(n3.getblockcount(), fork_height + 5)

        self.log.info("heal: every node moves to the right branch (more work)")
        self.connect_nodes(1, 2)
        self.sync_blocks(timeout=30)
        for n in self.nodes:
            assert_equal(n.getbestblockhash(), right_tip)
            assert_equal(n.getblockcount(), fork_height + 5)
        states = {n.getstateinfo()["state_hash"] for n in self.nodes}
        assert_equal(len(states), 1)
        # the left branch is now a side branch on the left nodes
        for n in left:
            assert_equal(n.getblock(left_blocks[-1])["confirmations"], -1)

        self.log.info("ka's transfer is pending again on the left and announced from there to the right; "
                      "kc's left one conflicts and is gone")
        wait_until(lambda: all(tx_a in n.getrawmempool() for n in left), timeout=15,
                   what="the losing branch's tx back in the left mempools")
        wait_until(lambda: all(tx_a in n.getrawmempool() for n in right), timeout=15,
                   what="the losing branch's tx relayed to the right half, which never saw it")
        for n in self.nodes:
            pool = n.getrawmempool()
            assert tx_c_left not in pool, "conflicting tx came back"
            assert tx_b not in pool and tx_c_right not in pool, "confirmed txs still pending"
        assert_equal(n0.getaccount(kc_addr)["nonce"], 1)

        self.log.info("a block on node0 confirms it on every node")
        self.sync_mempools()
        h = self.generate(n0, 1)[0]
        for n in self.nodes:
            assert_equal(n.getbestblockhash(), h)
            assert_equal(n.getrawmempool(), [])
            assert_equal(n.getaccount(ka_addr)["nonce"], 1)
        assert_equal(len({n.getstateinfo()["state_hash"] for n in self.nodes}), 1)


if __name__ == "__main__":
    P2PReorgTest().main()

#!/usr/bin/env python3
"""The chain survives restarts: tip, state_hash, accounts, account history,
block data and invalidity marks after a clean restart; -reindex rebuilds the
same tip and state_hash from the block files; a restart after kill -9 comes
back at a valid tip."""

from test_framework.messages import COIN
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal


class BlockchainPersistTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def account(self, node, addr):
        a = node.getaccount(addr)
        del a["pending_nonce"]  # counts the mempool, which is not kept over a restart
        return a

    def same(self, got, want):
        """assert_equal on two views, naming the parts that differ."""
        diff = [k for k in want if got.get(k) != want[k]]
        assert_equal(diff, [])
        assert_equal(got, want)

    def view(self, node):
        """Everything that must read the same after a restart."""
        tip = node.getbestblockhash()
        return {
            "count": node.getblockcount(),
            "tip": tip,
            "state": node.getstateinfo(),
            "block": node.getblock(tip, 2),
            "info": {k: v for k, v in node.getblockchaininfo().items() if k != "size_on_disk"},
            "payer": self.account(node, self.payer_addr),
            "payee": self.account(node, self.payee_addr),
            "payer_hist": node.getaccounthistory(self.payer_addr, 0, 1000),
            "payee_hist": node.getaccounthistory(self.payee_addr, 0, 1000),
            "tips": node.getchaintips(),
            "hashes": [node.getblockhash(h) for h in range(node.getblockcount() + 1)],
        }

    def run_test(self):
        node = self.nodes[0]
        self.payer, self.payer_addr = self.new_key()
        self.payee, self.payee_addr = self.new_key()
        self.generate(node, 101, self.payer_addr)
        for i in range(3):
            raw = self.make_transfer(self.payer, i, self.payee, (i + 1) * COIN, 2000)
            node.generateblock(self.payee_addr, [raw])
        before = self.view(node)
        assert_equal(before["payer"]["nonce"], 3)

        self.log.info("clean restart")
        self.restart_node(0)
        self.same(self.view(node), before)

        self.log.info("-reindex gives the same tip and state_hash, and logs its progress")
        self.restart_node(0, ["-reindex"])
        self.same(self.view(node), before)
        height = before["count"]
        assert node.debug_log_contains("progress: height "), node.debug_log_tail()
        assert node.debug_log_contains("progress: height %d of %d (100.0%%), caught up in" %
                                       (height, height)), node.debug_log_tail()
        self.restart_node(0)  # and the rebuilt databases open again
        self.same(self.view(node), before)

        self.log.info("invalidity marks persist")
        top = before["hashes"][-1]
        node.invalidateblock(before["hashes"][-2])
        invalidated = self.view(node)
        assert_equal(invalidated["count"], before["count"] - 2)
        assert_equal({t["hash"]: t["status"] for t in invalidated["tips"]}[top], "invalid")
        self.restart_node(0)
        self.same(self.view(node), invalidated)
        node.reconsiderblock(top)
        self.same(self.view(node), before)

        self.log.info("a side branch and its statuses survive a restart")
        fork_parent = before["hashes"][-2]
        node.invalidateblock(before["hashes"][-1])
        side = node.generateblock(self.payer_addr, [])["hash"]
        side2 = node.generateblock(self.payer_addr, [])["hash"]
        node.reconsiderblock(before["hashes"][-1])
        # the side branch is longer: it stays active
        assert_equal(node.getbestblockhash(), side2)
        assert_equal(node.getblock(side)["previousblockhash"], fork_parent)
        with_fork = self.view(node)
        statuses = {t["hash"]: (t["branchlen"], t["status"]) for t in with_fork["tips"]}
        assert_equal(statuses, {side2: (0, "active"), before["hashes"][-1]: (1, "valid-fork")})
        self.restart_node(0)
        self.same(self.view(node), with_fork)

        self.log.info("-reindex with a side branch: same tip and state_hash")
        self.restart_node(0, ["-reindex"])
        after = self.view(node)
        assert_equal(after["tip"], with_fork["tip"])
        assert_equal(after["state"], with_fork["state"])
        assert_equal(after["hashes"], with_fork["hashes"])
        assert_equal(after["payer_hist"], with_fork["payer_hist"])
        assert_equal(after["payee_hist"], with_fork["payee_hist"])
        # the side block was stored; whether it counts as once-connected
        # after a rebuild is the index's business, its place in the tree is not
        assert_equal([(t["hash"], t["height"], t["branchlen"]) for t in after["tips"]],
                     [(t["hash"], t["height"], t["branchlen"]) for t in with_fork["tips"]])

        self.log.info("kill -9 after mining, restart")
        self.generate(node, 5, self.payer_addr)
        state = node.getstateinfo()
        node.kill_process()
        self.start_node(0)
        # every block whose generatetoaddress returned was written before the
        # kill; the process dying loses nothing the OS already has
        assert_equal(node.getstateinfo(), state)
        self.restart_node(0, ["-reindex"])
        assert_equal(node.getstateinfo(), state)

if __name__ == "__main__":
    BlockchainPersistTest().main()

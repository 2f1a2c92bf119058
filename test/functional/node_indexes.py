#!/usr/bin/env python3
"""The tx index and account history follow the chain on their own thread.

They answer for the chain as of each call (a call right after a block sees
it), report their state in getindexinfo, and are rebuilt — never a reason to
refuse to start — when their database is lost or damaged, or after
-reindex. A damaged block index or chainstate is rebuilt from the block
files too."""
import os
import shutil

from test_framework.messages import COIN
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, assert_raises_rpc_error, wait_until


class NodeIndexesTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def lookups(self, node):
        """What the index answers, for comparing before and after."""
        tx = node.getrawtransaction(self.txid, True)
        hist = node.getaccounthistory(self.payee_addr)
        return tx["blockhash"], tx["confirmations"] > 0, [h["txid"] for h in hist]

    def run_test(self):
        node = self.nodes[0]
        payer, payer_addr = self.new_key()
        _, self.payee_addr = self.new_key()
        self.generate(node, 101, payer_addr)
        self.txid = node.sendrawtransaction(self.make_transfer(payer, 0, self.payee_addr, COIN, 1000))
        self.generate(node, 1)

        self.log.info("a call right after the block sees it in the index")
        before = self.lookups(node)
        assert_equal(before[2], [self.txid])
        info = node.getindexinfo()
        assert_equal(info["txindex"]["best_block_height"], node.getblockcount())
        assert info["txindex"]["synced"]
        assert_equal(node.getindexinfo("txindex"), {"txindex": info["txindex"]})
        assert_equal(node.getindexinfo("nothing"), {})

        self.log.info("getaccounthistory pages by cursor")
        everything = node.getaccounthistory(payer_addr, 0, 1000)
        assert_equal(len(everything), 102)   # 101 coinbases and the transfer
        pages, after = [], None
        while True:
            page = (node.getaccounthistory(payer_addr, 0, 25, after) if after is not None
                    else node.getaccounthistory(payer_addr, 0, 25))
            if not page:
                break
            pages += page
            after = {"height": page[-1]["height"], "position": page[-1]["position"]}
        assert_equal(pages, everything)
        assert_equal(node.getaccounthistory(payer_addr, 0, 2, {"height": 0, "position": 0}),
                     everything[:2])
        assert_raises_rpc_error(-8, "skip and after", node.getaccounthistory, payer_addr, 1, 2,
                                {"height": 0, "position": 0})
        assert_raises_rpc_error(-8, "after: expected", node.getaccounthistory, payer_addr, 0, 2,
                                {"height": -1, "position": 0})

        indexes = os.path.join(node.datadir, "regtest", "indexes")
        self.log.info("a damaged index database is rebuilt at start-up")
        self.stop_node(0)
        with open(os.path.join(indexes, "CURRENT"), "w") as f:
            f.write("garbage")
        self.start_node(0)
        assert_equal(self.lookups(node), before)
        assert node.debug_log_contains("the indexes database cannot be opened")

        self.log.info("a deleted index database is rebuilt at start-up")
        self.stop_node(0)
        shutil.rmtree(indexes)
        self.start_node(0)
        assert_equal(self.lookups(node), before)

        self.log.info("a damaged block index or chainstate is rebuilt from the block files")
        state = node.getstateinfo()
        for db in (os.path.join("blocks", "index"), "chainstate"):
            self.stop_node(0)
            with open(os.path.join(node.datadir, "regtest", db, "CURRENT"), "w") as f:
                f.write("garbage")
            self.start_node(0)
            assert_equal(node.getstateinfo(), state)
            assert_equal(self.lookups(node), before)
        assert node.debug_log_contains("the block index cannot be opened")
        assert node.debug_log_contains("the chainstate cannot be opened")

        self.log.info("-reindex rebuilds it too")
        self.restart_node(0, ["-reindex"])
        assert_equal(self.lookups(node), before)
        wait_until(lambda: node.getindexinfo()["txindex"]["synced"], timeout=30,
                   what="txindex synced after -reindex")


if __name__ == "__main__":
    NodeIndexesTest().main()

#!/usr/bin/env python3
"""Crash safety: kill -9 the node while it mines and connects blocks, ten times.

Each round kills the node once it has mined a random 7 to 30 blocks more
(in batches of 5, so the kill lands inside a batch). After every crash the
node must restart on its own with every block it had reported before the
kill (a block is on disk before it becomes the tip), with a valid best
block, and its state_hash must equal what a clean -reindex of the same block
files produces. Transfers are in flight too, so the blocks that get cut
short change account state, not only coinbase maturity records."""
import random
import threading

from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, assert_greater_than_or_equal, wait_until

ROUNDS = 10
BATCH = 5
MIN_BLOCKS, MAX_BLOCKS = 7, 30   # mined per round before the kill


class ChainCrashSafetyTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def mine_in_background(self, node, address, stop):
        """Keeps mining small batches until the node dies under it."""
        def run():
            try:
                rpc = node.make_rpc(timeout=30)
                while not stop.is_set():
                    rpc.generatetoaddress(BATCH, address)
            except Exception:
                pass  # the node was killed: expected
        t = threading.Thread(target=run, daemon=True)
        t.start()
        return t

    def check_consistent(self, node):
        tip = node.getbestblockhash()
        height = node.getblockcount()
        block = node.getblock(tip)
        assert_equal(block["height"], height)
        info = node.getstateinfo()
        assert_equal(info["bestblockhash"], tip)
        self.restart_node(0, ["-reindex"])
        again = node.getstateinfo()
        assert_equal(again["bestblockhash"], tip)
        assert_equal(again["state_hash"], info["state_hash"])
        self.restart_node(0, [])
        return height

    def run_test(self):
        node = self.nodes[0]
        rng = random.Random(self.options.portseed)
        payer, payer_addr = self.new_key()
        self.generate(node, 101, payer_addr)  # the first coinbase matures
        nonce = 0
        last_height = node.getblockcount()
        for i in range(ROUNDS):
            # a few transfers for the blocks about to be mined
            for _ in range(3):
                _, to = self.new_key()
                node.sendrawtransaction(self.make_transfer(payer, nonce, to, 1000 + i, 500))
                nonce += 1
            target = last_height + rng.randint(MIN_BLOCKS, MAX_BLOCKS)
            stop = threading.Event()
            t = self.mine_in_background(node, payer_addr, stop)
            wait_until(lambda: node.getblockcount() >= target or not t.is_alive(), timeout=120, poll=0.01,
                       what="height %d reached while mining" % target)
            seen = node.getblockcount()
            assert t.is_alive(), "the miner stopped before the kill (height %d)" % seen
            node.kill_process()
            stop.set()
            t.join(timeout=30)
            self.start_node(0)
            height = self.check_consistent(node)
            self.log.info("round %d: %d blocks seen before the kill, restarted at height %d",
                          i, seen - last_height, height)
            # The blocks reported before the kill survived it...
            assert_greater_than_or_equal(height, seen)
            # ...so every round advanced the chain by at least MIN_BLOCKS.
            assert_greater_than_or_equal(height - last_height, MIN_BLOCKS)
            last_height = height
            # transfers not yet mined are gone with the mempool; continue from
            # the nonce the chain has
            nonce = node.getaccount(payer_addr)["nonce"]


if __name__ == "__main__":
    ChainCrashSafetyTest().main()

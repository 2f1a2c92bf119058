#!/usr/bin/env python3
"""-blocknotify and -walletnotify: the commands run through /bin/sh with
their placeholders filled, as bitcoind's do.

-blocknotify runs once per new tip with its hash, in chain order, on the
node that mined the block and on the node that received it; not for the
tip at start-up, and not for the blocks a node connects while it first
catches up (only the tip it reaches). invalidateblock/reconsiderblock change the
tip, so each runs it. -walletnotify runs once when a tx enters a wallet
(%b "unconfirmed", %h -1) and once when it is confirmed (%b the block,
%h its height), for the sender's and the recipient's wallets; a coinbase
first seen in a block runs it once; a tx going back to the mempool in a
reorg runs nothing, and its confirmation in the block again runs it again.
%w is the wallet's name as one shell word, whatever it holds."""

import os
import time

from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, wait_until

# A wallet name a shell would split, expand and run if it were not quoted.
ODD_NAME = "o'neil $(touch pwned) `touch pwned2`; shop"


class NodeNotifyTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 3

    def setup_network(self):
        d = self.options.tmpdir
        self.blocks = [os.path.join(d, "blocks%d.log" % i) for i in range(3)]
        self.wallets = [os.path.join(d, "wallet%d.log" % i) for i in range(3)]
        args = [["-blocknotify=echo %%s >> %s" % self.blocks[i],
                 "-walletnotify=echo %%s %%w %%b %%h >> %s" % self.wallets[i]]
                for i in range(3)]
        self.add_nodes(3, args)
        self.start_node(0)
        self.start_node(1)
        self.connect_nodes(0, 1)

    def lines(self, path):
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return f.read().splitlines()

    def wait_lines(self, path, n, what):
        wait_until(lambda: len(self.lines(path)) >= n, timeout=30, what=what)
        # Nothing more than expected arrives a moment later either.
        time.sleep(0.3)
        return self.lines(path)

    def run_test(self):
        n0, n1 = self.nodes[0], self.nodes[1]
        _, miner = self.new_key()

        self.log.info("-blocknotify: one line per new tip, in order, on both nodes")
        # Node 1 reaches the first block as it is relayed: caught up from there on.
        hashes = self.generate(n0, 1, miner)
        hashes += self.generate(n0, 3, miner)
        assert_equal(self.wait_lines(self.blocks[0], 4, "node 0 ran -blocknotify"), hashes)
        assert_equal(self.wait_lines(self.blocks[1], 4, "node 1 ran -blocknotify"), hashes)

        self.log.info("-walletnotify: a coinbase first seen in a block runs it once")
        n0.createwallet(ODD_NAME)
        n1.createwallet("bob")
        alice, bob = n0.wallet_rpc(ODD_NAME), n1.wallet_rpc("bob")
        a_addr = alice.getnewaddress()
        cb_block = self.generate(n0, 1, a_addr)[0]
        height = n0.getblockcount()
        cb_txid = n0.getblock(cb_block)["tx"][0]
        if isinstance(cb_txid, dict):
            cb_txid = cb_txid["txid"]
        got = self.wait_lines(self.wallets[0], 1, "node 0 ran -walletnotify")
        assert_equal(got, ["%s %s %s %d" % (cb_txid, ODD_NAME, cb_block, height)])
        # The name reached echo as one word: nothing in it ran.
        for p in ("pwned", "pwned2"):
            assert not os.path.exists(os.path.join(n0.datadir, p))
            assert not os.path.exists(p)

        self.log.info("a payment runs it on entering both wallets, and again when mined")
        hashes += [cb_block] + self.generate(n0, 100, miner)
        assert_equal(self.wait_lines(self.blocks[1], len(hashes), "node 1 saw every tip"), hashes)
        b_addr = bob.getnewaddress()
        txid = alice.sendtoaddress(b_addr, 1)
        wait_until(lambda: txid in n1.getrawmempool(), timeout=30, what="tx relayed")
        assert_equal(self.wait_lines(self.wallets[0], 2, "sender notified")[1:],
                     ["%s %s unconfirmed -1" % (txid, ODD_NAME)])
        assert_equal(self.wait_lines(self.wallets[1], 1, "recipient notified"),
                     ["%s bob unconfirmed -1" % txid])
        block = self.generate(n0, 1, miner)[0]
        height = n0.getblockcount()
        assert_equal(self.wait_lines(self.wallets[0], 3, "sender: mined")[2:],
                     ["%s %s %s %d" % (txid, ODD_NAME, block, height)])
        assert_equal(self.wait_lines(self.wallets[1], 2, "recipient: mined")[1:],
                     ["%s bob %s %d" % (txid, block, height)])

        self.log.info("invalidate and reconsider: each tip change runs -blocknotify; the "
                      "tx's return to the mempool runs nothing, its confirmation again runs it")
        before = self.lines(self.blocks[0])
        prev = n0.getblockhash(height - 1)
        n0.invalidateblock(block)
        assert_equal(self.wait_lines(self.blocks[0], len(before) + 1, "tip went back"),
                     before + [prev])
        assert txid in n0.getrawmempool()
        n0.reconsiderblock(block)
        assert_equal(n0.getbestblockhash(), block)
        assert_equal(self.wait_lines(self.blocks[0], len(before) + 2, "tip came back"),
                     before + [prev, block])
        assert_equal(self.wait_lines(self.wallets[0], 4, "confirmed again")[3:],
                     ["%s %s %s %d" % (txid, ODD_NAME, block, height)])

        self.log.info("a rescan of blocks the wallet already has runs nothing")
        alice.rescanblockchain()
        assert_equal(self.wait_lines(self.wallets[0], 4, "no rescan notices"), self.lines(self.wallets[0]))
        assert_equal(len(self.lines(self.wallets[0])), 4)

        self.log.info("not for the tip at start-up")
        before = self.lines(self.blocks[0])
        self.restart_node(0)
        new = self.generate(n0, 1, miner, sync=False)[0]
        assert_equal(self.wait_lines(self.blocks[0], len(before) + 1, "after restart"),
                     before + [new])

        self.log.info("a node catching up runs it for the tip it reaches, not for each block")
        self.start_node(2)
        self.connect_nodes(0, 2)
        self.sync_blocks([n0, self.nodes[2]])
        assert_equal(self.wait_lines(self.blocks[2], 1, "node 2 reached the tip"), [new])


if __name__ == "__main__":
    NodeNotifyTest().main()

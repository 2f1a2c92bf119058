#!/usr/bin/env python3
"""A disk that fills up mid-block: the node shuts down cleanly and says why.

The node runs under a file size limit (RLIMIT_FSIZE, what `ulimit -f` sets)
above every file its datadir holds, and mines until a write goes past it.
soukd ignores SIGXFSZ, so the write fails with EFBIG ("File too large") as
on a full disk. Twice:
 - empty blocks and a wide margin: the block file grows slowly, and a
   LevelDB log (they start empty at every open) hits the limit first;
 - blocks full of transfers with long memos and a narrow margin: the block
   file (blk00000.dat) is the first to hit it.
Each time the node must stop on its own with exit status 1 and an error
naming the file and the reason, in debug.log and on stderr, and commit
nothing that points at the failed write: restarted without the limit it
opens at once, with every block it reported before the failure, keeps
mining, and its state_hash equals a fresh -reindex's.
Then a third time with the testkv plugin, so three plugin SQLite indexes
(testkv's, the market's and the review's, whose write-ahead logs grow by
whole pages per block) race to fail first: SQLite says "disk I/O error", and the node stops
the same way.
A -crashratio outside regtest is refused, as the switch is test-only."""
import os
import re
import resource
import subprocess

from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, assert_greater_than_or_equal

TXS_PER_BLOCK = 40
MEMO = b"m" * 256


class NodeDiskFullTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 2
        self.extra_args = [[], ["-testplugin"]]

    def largest_file(self, top):
        biggest = 0
        for root, _, files in os.walk(top):
            for f in files:
                try:
                    biggest = max(biggest, os.path.getsize(os.path.join(root, f)))
                except OSError:
                    pass
        return biggest

    def fill_block(self, node):
        """Queues a block's worth of transfers."""
        for _ in range(TXS_PER_BLOCK):
            _, to = self.new_key()
            node.sendrawtransaction(self.make_transfer(self.payer, self.nonce, to, 1000, 1000, MEMO))
            self.nonce += 1

    def mine_until_full(self, node, limit, full_blocks, batch, max_rounds, args=()):
        """Starts the node under the limit and mines until it stops; returns the
        height it last reported and the error line it printed."""

        def limit_file_size():
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        node.start(list(args), preexec=limit_file_size)
        reported = 0
        try:
            node.wait_for_rpc_connection()
            reported = node.getblockcount()
        except Exception as e:  # it may already fail while it catches up at start-up
            self.log.info("start-up stopped: %r", e)
            max_rounds = 0
        for _ in range(max_rounds):
            try:
                if full_blocks:
                    self.fill_block(node)
                node.generatetoaddress(batch, self.payer_addr)
                reported = node.getblockcount()
            except Exception as e:  # the node refused the block or went away: it must be stopping
                self.log.info("mining stopped: %r", e)
                break
        else:
            if max_rounds:
                raise AssertionError("%d rounds fit under the limit" % max_rounds)
        if node.running:
            assert_equal(node.wait_until_stopped(timeout=60), 1)
        else:
            assert_equal(node.process.returncode, 1)
        err = node.read_stderr()
        line = next((l for l in err.splitlines() if l.startswith("Error: ") and l.endswith("; shutting down")), None)
        assert line is not None, "no fatal error line on stderr: %r" % err
        self.log.info("%s", line)
        with open(node.debug_log_path, errors="replace") as f:
            log = f.read()
        assert line[len("Error: "):] in log, "the reason is not in debug.log"
        assert "shutdown after a fatal error" in log
        return reported, line

    def check_recovers(self, node, reported, args=()):
        node.start_and_wait(list(args))
        assert_greater_than_or_equal(node.getblockcount(), reported)
        # the chain still grows: the failed write left nothing in the way
        # (the transfers of the refused block went with the mempool)
        self.nonce = node.getaccount(self.payer_addr)["nonce"]
        self.fill_block(node)
        self.generate(node, 1, sync=False)
        info = node.getstateinfo()
        indexes = node.getindexinfo()
        for name, index in indexes.items():
            assert "error" not in index, (name, index)
        node.stop_node()
        node.start_and_wait(["-reindex"] + list(args))
        assert_equal(node.getbestblockhash(), info["bestblockhash"])
        assert_equal(node.getstateinfo()["state_hash"], info["state_hash"])
        node.stop_node()

    def run_test(self):
        node, plugged = self.nodes
        self.payer, self.payer_addr = self.new_key()
        self.generate(node, 101, self.payer_addr, sync=False)
        node.stop_node()

        self.log.info("a LevelDB log hits the limit")
        limit = 4 * self.largest_file(node.datadir)
        reported, line = self.mine_until_full(node, limit, full_blocks=False, batch=25, max_rounds=200)
        assert "File too large" in line and ".log" in line and "blk0" not in line, line
        self.check_recovers(node, reported)

        self.log.info("the block file hits the limit")
        limit = self.largest_file(node.datadir) + 48 * 1024
        reported, line = self.mine_until_full(node, limit, full_blocks=True, batch=1, max_rounds=40)
        assert "File too large" in line and "blk00000.dat" in line, line
        self.check_recovers(node, reported)

        self.log.info("a plugin's SQLite index hits the limit")
        # node1 has hosted the plugin from its genesis block; the index's
        # write-ahead log grows by whole pages for every block it indexes
        self.generate(plugged, 101, self.payer_addr, sync=False)
        plugged.stop_node()
        limit = self.largest_file(plugged.datadir) + 64 * 1024
        reported, line = self.mine_until_full(plugged, limit, full_blocks=False, batch=1, max_rounds=200,
                                              args=["-testplugin"])
        # node1 hosts three plugin indexes (testkv, the market, the review):
        # whichever write-ahead log reaches the limit first stops the node
        assert re.search(r"cannot write the (testkv|market|review) index: disk I/O error", line), line
        self.check_recovers(plugged, reported, ["-testplugin"])

        self.log.info("-crashratio is refused outside regtest")
        datadir = os.path.join(self.options.tmpdir, "testnet_refusal")
        os.makedirs(datadir)
        proc = subprocess.run([node.binaries.soukd, "-datadir=" + datadir, "-testnet", "-crashratio=5",
                               "-listen=0", "-printtoconsole=0"], capture_output=True, text=True, timeout=60)
        assert_equal(proc.returncode, 1)
        assert "-crashratio is a test switch and only allowed on regtest" in proc.stderr, proc.stderr


if __name__ == "__main__":
    NodeDiskFullTest().main()

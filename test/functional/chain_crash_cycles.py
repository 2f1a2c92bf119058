#!/usr/bin/env python3
"""Crash safety under -crashratio: thirty crash-restart cycles over a chain with reorgs.

node1 is the reference: it never crashes. Every cycle it builds on its chain,
with transfers and testkv puts (some with a deadline) in the blocks; most
cycles first go back 1 to 3 blocks (invalidateblock) and mine a longer
competing branch, so the blocks node1 mined before end on a side branch.
node0 runs with -crashratio and -testplugin and gets the cycle's blocks by
submitblock, in order, or (every other cycle) from node1 over P2P, headers
first: the first blocks of a competing branch are stored without becoming
the tip, the next one makes node0 reorganise (disconnect, connect), and the
tx index and the testkv index follow on their threads.
Somewhere in there node0 ends itself at a crash point (the block index,
undo and chainstate writes, the index writes), half of the time losing what
the block files had not synced, as in a power cut; or it gets through and
stops cleanly. Every fifth cycle node0 starts with -reindex under the
switch, so crashes land inside a reindex too.

After each crash node0 restarts without the switch. Then, before it is
given anything: every block it has an index entry with data for reads back
as the reference's bytes (no entry points at data a crash lost). Then it
gets the cycle's blocks again and must equal the reference exactly: best
block, state_hash, both indexes at the tip without error, every tx's place
as getrawtransaction reports it, every account's history and every testkv
key's history. At the end a -reindex of node0 gives the same state_hash."""
import random

from test_framework.authproxy import JSONRPCException
from test_framework.messages import Tx, genesis_hash
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, assert_greater_than_or_equal, wait_until

CYCLES = 30
CRASH_RATIO = 25
CRASH_STATUS = 86  # util/crashpoint.h: CRASHPOINT_EXIT_STATUS
KV_PUT = 250
FEE = 2000


class ChainCrashCyclesTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 2
        self.extra_args = [["-testplugin"], ["-testplugin"]]

    # -- node1: the reference chain ---------------------------------------------
    def send_txs(self, cycle):
        ref = self.nodes[1]
        nonce = ref.getaccount(self.payer_addr)["pending_nonce"]
        for i in range(2):
            _, to = self.new_key()
            self.addresses.append(to)
            tx = self.make_transfer(self.payer, nonce, to, 10000 + cycle, FEE)
            self.txids.append(ref.sendrawtransaction(tx))
            nonce += 1
        name = "k%d" % (cycle % 7)
        self.kv_names.add(name)
        ttl = 2 if cycle % 3 == 0 else 0
        kv = Tx(KV_PUT, b"", nonce, FEE, [name, b"c%d" % cycle, ttl]).sign(self.payer, genesis_hash("regtest"))
        self.txids.append(ref.sendrawtransaction(kv.hex()))

    def reference_cycle(self, cycle):
        """Mines the cycle's blocks on node1; returns their hashes in mining order."""
        ref = self.nodes[1]
        depth = self.rng.randint(1, 3) if cycle % 4 != 3 else 0
        fork_from = None
        if depth:
            height = ref.getblockcount()
            fork_from = ref.getblockhash(height - depth + 1)
            ref.invalidateblock(fork_from)
        self.send_txs(cycle)
        hashes = ref.generatetoaddress(depth + 1 if depth else 2, self.miner_address)
        if fork_from is not None:
            # the old branch keeps less work: it stays a side branch
            ref.reconsiderblock(fork_from)
            assert_equal(ref.getbestblockhash(), hashes[-1])
        return depth, hashes

    # -- node0: crash and recover ---------------------------------------------------
    def feed(self, node, hashes):
        for h in hashes:
            node.submitblock(self.nodes[1].getblock(h, 0))

    def crashed_at(self, node):
        for line in node.read_stderr().splitlines():
            if line.startswith("crashpoint "):
                return line.split()[1].rstrip(":")
        return None

    def run_until_crash(self, node, hashes, reindex, p2p):
        """node0 with the switch on: startup (with -reindex when asked), the cycle's
        blocks (by submitblock, or from node1 over P2P: headers first, then the
        blocks), index catch-up, shutdown. Returns the crash point's name, or None
        when it got through."""
        try:
            node.start_and_wait(["-testplugin", "-crashratio=%d" % CRASH_RATIO] + (["-reindex"] if reindex else []))
            if p2p:
                self.connect_nodes(0, 1)
                wait_until(lambda: node.getbestblockhash() == self.nodes[1].getbestblockhash(), timeout=60,
                           what="node0 synced over P2P")
            else:
                self.feed(node, hashes)
            wait_until(lambda: self.indexes_at_tip(node), timeout=60, what="indexes at the tip")
            node.stop_node(expected_rc=None)
        except Exception:
            # A crash cuts an RPC call or the startup short; anything else
            # (the node still runs) is a failure of its own.
            if node.running and node.wait_until_stopped(timeout=10) is None:
                raise
        if node.running:
            node.kill_process()
            return None
        rc = node.process.returncode
        if rc == 0:
            return None
        assert_equal(rc, CRASH_STATUS)
        point = self.crashed_at(node)
        assert point is not None, "exit %d without a crashpoint line: %s" % (rc, node.read_stderr())
        return point

    def indexes_at_tip(self, node):
        height = node.getblockcount()
        info = node.getindexinfo()
        for name in ("txindex", "testkv"):
            assert "error" not in info[name], "index %s stopped: %s" % (name, info[name])
        return all(info[n]["synced"] and info[n]["best_block_height"] == height for n in ("txindex", "testkv"))

    def check_stored_blocks(self, node, hashes):
        """Every block node0 indexed with data reads back as the reference's block."""
        for h in hashes:
            try:
                header = node.getblockheader(h)
            except JSONRPCException as e:
                assert_equal(e.code, -5)  # never stored: fine
                continue
            if header["nTx"] > 0:
                assert_equal(node.getblock(h, 0), self.nodes[1].getblock(h, 0))

    def tx_place(self, node, txid):
        try:
            tx = node.getrawtransaction(txid, True)
        except JSONRPCException as e:
            assert_equal(e.code, -5)
            return None
        return (tx["blockhash"], tx["height"]) if "blockhash" in tx else None

    def snapshot(self, node):
        wait_until(lambda: self.indexes_at_tip(node), timeout=60, what="indexes at the tip")
        state = node.getstateinfo()
        return {
            "tip": (node.getbestblockhash(), node.getblockcount()),
            "state": (state["bestblockhash"], state["keys"], state["state_hash"]),
            "txs": [self.tx_place(node, t) for t in self.txids],
            "history": [node.getaccounthistory(a, 0, 10000) for a in [self.payer_addr] + self.addresses],
            "kv": {k: node.testkv_history(k) for k in sorted(self.kv_names)},
        }

    def run_test(self):
        n0, n1 = self.nodes
        self.rng = random.Random(self.options.portseed)
        self.payer, self.payer_addr = self.new_key()
        self.miner_key, self.miner_address = self.new_key()
        self.txids, self.addresses, self.kv_names = [], [], set()
        # the payer's first coinbase matures at 101; reorgs never reach below 105
        self.generate(n1, 101, self.payer_addr, sync=False)
        self.generate(n1, 7, self.miner_address, sync=False)
        self.feed(n0, [n1.getblockhash(h) for h in range(1, 109)])
        assert_equal(n0.getbestblockhash(), n1.getbestblockhash())
        n0.stop_node()

        points = {}
        reorgs = 0
        for cycle in range(CYCLES):
            depth, hashes = self.reference_cycle(cycle)
            reorgs += depth > 0
            point = self.run_until_crash(n0, hashes, reindex=cycle % 5 == 4, p2p=cycle % 2 == 1)
            points[point] = points.get(point, 0) + 1
            n0.start_and_wait(["-testplugin"])
            self.check_stored_blocks(n0, hashes)
            self.feed(n0, hashes)
            got, want = self.snapshot(n0), self.snapshot(n1)
            for k in want:
                assert_equal(got[k], want[k])
            self.log.info("cycle %d: reorg depth %d, crash at %s, height %d, state %s",
                          cycle, depth, point, got["tip"][1], got["state"][2][:16])
            n0.stop_node()
        crashes = sum(v for k, v in points.items() if k is not None)
        self.log.info("%d cycles, %d reorgs, %d deliberate crashes: %s", CYCLES, reorgs, crashes,
                      ", ".join("%s %d" % (k, v) for k, v in sorted(points.items(), key=lambda kv: str(kv[0]))))
        assert_greater_than_or_equal(crashes, CYCLES // 2)

        self.log.info("a -reindex of node0 rebuilds the same state")
        n0.start_and_wait(["-testplugin", "-reindex"])
        assert_equal(self.snapshot(n0), self.snapshot(n1))


if __name__ == "__main__":
    ChainCrashCyclesTest().main()

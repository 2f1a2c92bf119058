"""SoukTestFramework: the base class of every functional test.

    class ExampleTest(SoukTestFramework):
        def set_test_params(self):
            self.num_nodes = 2
            self.extra_args = [[], ["-debug=rpc"]]   # optional, per node

        def run_test(self):
            assert_equal(self.nodes[0].getblockcount(), 0)

    if __name__ == "__main__":
        ExampleTest().main()

main() parses the options, creates the temp dir, starts the nodes
(setup_network -> setup_nodes -> add_nodes + start_nodes), runs run_test(),
stops the nodes and exits 0 (pass), 1 (fail) or 77 (skip: skip_test(reason)
prints "SKIP: <reason>", which test_runner.py requires). On failure it
prints the tail of every node's debug.log and stderr and keeps the temp dir.
Whatever happens, no soukd started by the test is left running.
Set self.setup_clean_chain / override setup_network() / skip_test_if_missing
etc. as needed; a test that needs no node sets num_nodes = 0.
"""

import argparse
import logging
import os
import shutil
import signal
import sys
import tempfile
import time

from .bech32m import encode_address
from .key import ECKey
from .messages import COIN, genesis_hash, transfer_tx
from .test_node import TestNode, Binaries
from .util import (PortSeed, MAX_NODES, p2p_port, rpc_port, gateway_port, port_is_free, sync_blocks, sync_mempools,
                   wait_until, assert_equal, to_units)

__all__ = ["SoukTestFramework", "SkipTest", "TEST_EXIT_PASSED", "TEST_EXIT_FAILED", "TEST_EXIT_SKIPPED"]

TEST_EXIT_PASSED = 0
TEST_EXIT_FAILED = 1
TEST_EXIT_SKIPPED = 77


class SkipTest(Exception):
    pass


def peer_ready(peer):
    """Whether a getpeerinfo entry has finished the version/verack handshake."""
    if "handshake" in peer:
        return bool(peer["handshake"])
    return peer.get("version", 1) != 0


class _Terminated(BaseException):
    """Raised from the SIGTERM/SIGINT handler so `finally` blocks still run."""


class SoukTestFramework:
    def __init__(self):
        self.num_nodes = 1
        self.extra_args = None
        self.conf_lines = None          # per node: extra souk.conf lines in [regtest]
        self.auto_connect = False       # True: nodes may make automatic outbound connections
        self.rpc_timeout = 60
        self.skip_reason = None
        self.nodes = []
        self.options = None
        self.binaries = None
        self.log = logging.getLogger("TestFramework")
        self.set_test_params()

    # -- to override ----------------------------------------------------------
    def set_test_params(self):
        raise NotImplementedError

    def add_options(self, parser):
        pass

    def run_test(self):
        raise NotImplementedError

    def setup_network(self):
        self.setup_nodes()

    def setup_nodes(self):
        self.add_nodes(self.num_nodes, self.extra_args)
        self.start_nodes()

    # -- node management ------------------------------------------------------
    def add_nodes(self, num, extra_args=None, conf_lines=None):
        if len(self.nodes) + num > MAX_NODES:
            raise ValueError("at most %d nodes" % MAX_NODES)
        extra_args = extra_args or [[]] * num
        conf_lines = conf_lines or self.conf_lines or [[]] * num
        for i in range(num):
            idx = len(self.nodes)
            for port in (p2p_port(idx), rpc_port(idx), gateway_port(idx)):
                if not port_is_free(port):
                    raise RuntimeError("port %d is already in use (port seed %d); rerun with another --portseed"
                                       % (port, PortSeed.n))
            self.nodes.append(TestNode(idx, os.path.join(self.options.tmpdir, "node%d" % idx), self.binaries,
                                       extra_args[i], self.rpc_timeout, conf_lines[i],
                                       auto_connect=self.auto_connect))

    def start_node(self, i, extra_args=None, timeout=60):
        self.nodes[i].start_and_wait(extra_args, timeout)

    def start_nodes(self, extra_args=None, timeout=60):
        # Launch all first, then wait, so nodes start in parallel.
        for i, node in enumerate(self.nodes):
            node.start(extra_args[i] if extra_args else None)
        for node in self.nodes:
            node.wait_for_rpc_connection(timeout)

    def stop_node(self, i, expected_rc=0):
        self.nodes[i].stop_node(expected_rc)

    def stop_nodes(self):
        for node in self.nodes:
            node.request_stop()
        for node in self.nodes:
            node.wait_for_stop()

    def restart_node(self, i, extra_args=None):
        self.nodes[i].restart_node(extra_args)

    def kill_node(self, i):
        self.nodes[i].kill_process()

    def sync_blocks(self, nodes=None, timeout=60):
        sync_blocks(nodes or self.nodes, timeout)

    def sync_mempools(self, nodes=None, timeout=60):
        sync_mempools(nodes or self.nodes, timeout)

    def sync_all(self, nodes=None):
        self.sync_blocks(nodes)
        self.sync_mempools(nodes)

    # -- P2P network between nodes (needs soukd's P2P and net RPCs) ----------------
    def connect_nodes(self, a, b, wait=True, timeout=30):
        """Node a dials node b (`addnode 127.0.0.1:<b's port> onetry`); by default waits until both
        see the connection with the handshake done."""
        src, dst = self.nodes[a], self.nodes[b]
        target = "127.0.0.1:%d" % dst.p2p_port
        before = len([p for p in dst.getpeerinfo() if p.get("inbound") and peer_ready(p)])
        src.addnode(target, "onetry")
        if not wait:
            return
        wait_until(lambda: any(p.get("addr") == target and not p.get("inbound") and peer_ready(p)
                               for p in src.getpeerinfo()),
                   timeout=timeout, what="node%d connected to node%d" % (a, b))
        wait_until(lambda: len([p for p in dst.getpeerinfo() if p.get("inbound") and peer_ready(p)]) > before,
                   timeout=timeout, what="node%d sees the inbound connection from node%d" % (b, a))

    def disconnect_nodes(self, a, b, timeout=30):
        """Close every connection between nodes a and b, whichever side dialled, and wait until
        neither lists the other."""
        pairs = ((self.nodes[a], self.nodes[b]), (self.nodes[b], self.nodes[a]))
        gone = []   # (node, addr of the connection as that node sees it)
        for x, y in pairs:
            target = "127.0.0.1:%d" % y.p2p_port
            for p in x.getpeerinfo():
                if p.get("addr") == target and not p.get("inbound"):
                    x.disconnectnode("", p["id"])
                    gone.append((x, target))
                    if p.get("addrbind"):
                        gone.append((y, p["addrbind"]))
        if not gone:
            raise AssertionError("node%d and node%d are not connected" % (a, b))
        wait_until(lambda: not any(any(p.get("addr") == addr for p in n.getpeerinfo()) for n, addr in gone),
                   timeout=timeout, what="node%d and node%d disconnected" % (a, b))

    def connect_line(self, indices=None):
        """Connect nodes (default: all) in a line: 0-1, 1-2, ..."""
        indices = list(range(len(self.nodes))) if indices is None else list(indices)
        for a, b in zip(indices, indices[1:]):
            self.connect_nodes(a, b)

    def wait_for_peer_count(self, i, count, timeout=30, ready=True):
        """Wait until node i has exactly `count` peers (by default: with the handshake done)."""
        node = self.nodes[i]
        wait_until(lambda: len([p for p in node.getpeerinfo() if not ready or peer_ready(p)]) == count,
                   timeout=timeout, what="node%d has %d peers" % (i, count))

    # -- chain helpers (need the chain RPCs) -----------------------------------
    def new_key(self):
        """A fresh ECKey and its regtest address: (key, address)."""
        k = ECKey()
        return k, encode_address(k.pubkey, "regtest")

    def generate(self, node, nblocks, address=None, sync=True):
        """Mine nblocks on node to address (default: a key kept in self.miner_key)."""
        if address is None:
            if getattr(self, "miner_key", None) is None:
                self.miner_key, self.miner_address = self.new_key()
            address = self.miner_address
        hashes = node.generatetoaddress(nblocks, address)
        if sync and len(self.nodes) > 1:
            self.sync_blocks([n for n in self.nodes if n.running])
        return hashes

    def make_transfer(self, key, nonce, to, amount, fee, memo=b""):
        """Hex of a transfer signed by key for regtest; `to` is an ECKey, 32 bytes or an address."""
        from .bech32m import decode_address
        if isinstance(to, ECKey):
            to = to.pubkey
        elif isinstance(to, str):
            to = decode_address(to, "regtest")
        return transfer_tx(key, genesis_hash("regtest"), nonce, to, amount, fee, memo).hex()

    def check_supply(self):
        """After every test, on every running node: no coin was made or lost.

        getsupplyinfo's balances + escrow + immature must equal the subsidy of
        blocks 1..height. A test may mine a coinbase claiming less than its
        subsidy and fees (consensus allows it); only then is the chain walked
        to count what coinbases left unclaimed, which must be exactly the gap."""
        for node in self.nodes:
            if not node.running:
                continue
            s = node.getsupplyinfo()
            parts = sum(to_units(s[k]) for k in ("balances", "escrow", "immature"))
            assert_equal(to_units(s["total"]), parts)
            assert_equal(to_units(s["excess"]), 0)
            if s["balanced"]:
                self.log.debug("node%d: supply balanced at height %d", node.index, s["height"])
                continue
            halving = 150 if node.getblockchaininfo()["chain"] == "regtest" else 1051200
            left = 0
            for height in range(1, s["height"] + 1):
                blk = node.getblock(node.getblockhash(height), 2)
                fees = sum(to_units(tx["fee"]) for tx in blk["tx"][1:])
                claimed = to_units(blk["tx"][0]["payload"]["amount"])
                left += (50 * COIN >> (height // halving)) + fees - claimed
            assert_equal(to_units(s["subsidy"]) - to_units(s["total"]), left)
            assert_equal(to_units(s["unclaimed"]), left)
            self.log.debug("node%d: supply holds with %d units left unclaimed", node.index, left)

    def skip_test(self, reason):
        """Ends the test as skipped. The reason is required: the runner fails a skip
        that does not say why."""
        raise SkipTest(reason)

    # -- driver ---------------------------------------------------------------
    def _parse_args(self):
        parser = argparse.ArgumentParser(description=self.__class__.__doc__)
        parser.add_argument("--nocleanup", action="store_true",
                            help="leave the temp dir and datadirs in place after the test")
        parser.add_argument("--noshutdown", action="store_true",
                            help="do not stop the nodes (they are still killed at exit)")
        parser.add_argument("--tmpdir", help="root dir for datadirs (must not exist yet)")
        parser.add_argument("--loglevel", "-l", default="INFO",
                            help="console log level: DEBUG, INFO, WARNING, ERROR (the log file gets DEBUG)")
        parser.add_argument("--portseed", type=int, default=os.getpid(),
                            help="port seed (see util.py); default: this process's PID")
        parser.add_argument("--builddir", default=None,
                            help="dir holding soukd/souk-cli (default: $SOUK_BUILD_DIR, <repo>/build, <repo>)")
        parser.add_argument("--timeout-factor", type=float, default=1.0,
                            help="multiply RPC timeouts by this")
        self.add_options(parser)
        self.options = parser.parse_args()

    def _setup_logging(self):
        root = logging.getLogger("TestFramework")
        root.setLevel(logging.DEBUG)
        root.propagate = False
        fmt = logging.Formatter("%(asctime)s.%(msecs)03d %(name)s (%(levelname)s): %(message)s", "%H:%M:%S")
        fh = logging.FileHandler(os.path.join(self.options.tmpdir, "test_framework.log"), encoding="utf-8")
        fh.setLevel(logging.DEBUG)
        fh.setFormatter(fmt)
        ch = logging.StreamHandler(sys.stdout)
        ch.setLevel(getattr(logging, self.options.loglevel.upper(), logging.INFO))
        ch.setFormatter(fmt)
        root.handlers[:] = [fh, ch]

    def main(self):
        """Run the test and sys.exit with its status."""
        sys.exit(self.run())

    def run(self):
        self._parse_args()
        PortSeed.n = self.options.portseed
        if self.options.tmpdir:
            self.options.tmpdir = os.path.abspath(self.options.tmpdir)
            os.makedirs(self.options.tmpdir, exist_ok=False)
        else:
            self.options.tmpdir = tempfile.mkdtemp(prefix="souk_func_%s_" % self.__class__.__name__)
        self._setup_logging()
        self.rpc_timeout = int(self.rpc_timeout * self.options.timeout_factor)
        self.binaries = Binaries(self.options.builddir)

        def on_signal(signum, frame):
            raise _Terminated("signal %d" % signum)
        old = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}

        status = TEST_EXIT_FAILED
        start = time.monotonic()
        try:
            try:
                if self.num_nodes:
                    self.binaries.check()
                self.setup_network()
                self.run_test()
                status = TEST_EXIT_PASSED
            except SkipTest as e:
                # One line, so the runner can quote it.
                self.skip_reason = " ".join(str(e).split())
                if self.skip_reason:
                    self.log.warning("skipped: %s", self.skip_reason)
                    status = TEST_EXIT_SKIPPED
                else:
                    self.log.error("skip_test() without a reason")
            except AssertionError:
                self.log.exception("assertion failed")
            except _Terminated as e:
                self.log.error("terminated by %s", e)
            except Exception:
                self.log.exception("unexpected exception")
            if status == TEST_EXIT_PASSED:
                try:
                    self.check_supply()
                except BaseException:
                    self.log.exception("the supply check failed")
                    status = TEST_EXIT_FAILED
            if status != TEST_EXIT_FAILED and not self.options.noshutdown:
                try:
                    self.stop_nodes()
                except BaseException:
                    self.log.exception("stopping the nodes failed")
                    status = TEST_EXIT_FAILED
        finally:
            for node in self.nodes:
                try:
                    node.cleanup()
                except BaseException:
                    self.log.exception("cleanup of node%d failed", node.index)
            for s, h in old.items():
                signal.signal(s, h)
        self._report(status, time.monotonic() - start)
        return status

    def _report(self, status, elapsed):
        if status == TEST_EXIT_FAILED:
            for node in self.nodes:
                print("\n---- node%d debug.log (tail) %s" % (node.index, node.debug_log_path))
                print(node.debug_log_tail(40), end="")
                err = node.read_stderr()
                if err.strip():
                    print("---- node%d stderr\n%s" % (node.index, err[-4000:]), end="")
            print("\nTest failed after %.1fs; datadirs and test_framework.log kept in %s" %
                  (elapsed, self.options.tmpdir))
        elif self.options.nocleanup:
            self.log.info("--nocleanup: kept %s", self.options.tmpdir)
        else:
            root = logging.getLogger("TestFramework")
            for h in root.handlers:
                h.close()
            root.handlers[:] = []
            shutil.rmtree(self.options.tmpdir, ignore_errors=True)
        if status == TEST_EXIT_PASSED:
            print("%s passed (%.1fs)" % (self.__class__.__name__, elapsed))
        elif status == TEST_EXIT_SKIPPED:
            print("SKIP: %s" % self.skip_reason)
        sys.stdout.flush()

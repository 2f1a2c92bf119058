"""One soukd process under test: its datadir, config, process and RPC.

    node = TestNode(0, "/tmp/x/node0", binaries)
    node.start(["-debug=rpc"]); node.wait_for_rpc_connection()
    node.getblockcount()          # any RPC method, via AuthServiceProxy
    node.cli("getblockcount")     # the same through souk-cli
    node.cli("getbalance", wallet="w")   # ... sent to /wallet/w
    node.wallet_rpc("w").getbalance()      # the same over JSON-RPC
    node.stop_node(); node.kill_process(); node.restart_node([...])

The process is started with PR_SET_PDEATHSIG where available, so it dies
with the test process even if the test is killed before it can clean up.
Only this node's own pid is ever signalled.
"""

import ctypes
import json
import logging
import os
import re
import signal
import subprocess
import time
from decimal import Decimal
from urllib.parse import quote

from .authproxy import AuthServiceProxy, JSONRPCException, HTTPError, read_cookie
from .util import p2p_port, rpc_port, gateway_port, TestFailure

__all__ = ["TestNode", "Binaries", "FailedToStartError", "CliError", "write_config"]

logger = logging.getLogger("TestFramework.node")


class FailedToStartError(Exception):
    pass


class CliError(Exception):
    def __init__(self, returncode, stdout, stderr):
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        # bitcoin-cli's format: "error code: N\nerror message:\n<text>"
        m = re.search(r"error code: (-?\d+)\s*\nerror message:\s*\n(.*)", stderr or "", re.S)
        self.code = int(m.group(1)) if m else None
        self.message = m.group(2).strip() if m else (stderr or stdout).strip()
        super().__init__("souk-cli exited %d: %s" % (returncode, (stderr or stdout).strip()))


class Binaries:
    """Locates soukd and souk-cli: $SOUK_BUILD_DIR, else <repo>/build, else the repo root."""

    def __init__(self, build_dir=None):
        repo = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
        candidates = [build_dir] if build_dir else []
        if os.environ.get("SOUK_BUILD_DIR"):
            candidates.append(os.environ["SOUK_BUILD_DIR"])
        candidates += [os.path.join(repo, "build"), repo]
        self.build_dir = None
        for c in candidates:
            if c and os.path.isfile(os.path.join(c, "soukd")):
                self.build_dir = os.path.abspath(c)
                break
        self.searched = candidates
        base = self.build_dir or os.path.abspath(candidates[0])
        self.soukd = os.path.join(base, "soukd")
        self.cli = os.path.join(base, "souk-cli")

    def check(self):
        if self.build_dir is None:
            raise FailedToStartError("soukd not found in any of: %s (set SOUK_BUILD_DIR)" %
                                     ", ".join(os.path.abspath(c) for c in self.searched if c))


def _set_pdeathsig():
    # Runs in the child between fork and exec: ask the kernel to SIGKILL the
    # node when the test process dies, whatever way it dies.
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except Exception:
        pass


# The web app in the source tree (what -webdir points at in tests).
WEB_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "web"))


def write_config(datadir, index, extra_lines=(), auto_connect=False):
    """souk.conf: network at the top, per-node ports in [regtest].
    The node listens on 127.0.0.1 only and, unless auto_connect, makes no automatic
    outbound connections (connect=0): a test's topology is exactly the connections it makes
    (connect_nodes / addnode onetry still work; a -connect on the command line wins)."""
    os.makedirs(datadir, exist_ok=True)
    path = os.path.join(datadir, "souk.conf")
    with open(path, "w", encoding="utf-8") as f:
        f.write("regtest=1\n")
        f.write("[regtest]\n")
        f.write("port=%d\n" % p2p_port(index))
        f.write("bind=127.0.0.1\n")
        if not auto_connect:
            f.write("connect=0\n")
        f.write("rpcport=%d\n" % rpc_port(index))
        # The gateway (off unless a test passes -gateway) on a port of the
        # test's own block, serving the web app from the source tree.
        f.write("gatewayport=%d\n" % gateway_port(index))
        f.write("webdir=%s\n" % WEB_DIR)
        f.write("printtoconsole=0\n")
        for line in extra_lines:
            f.write(line + "\n")
    return path


class TestNode:
    def __init__(self, index, datadir, binaries, extra_args=None, rpc_timeout=60, conf_lines=(),
                 chain="regtest", auto_connect=False):
        self.index = index
        self.datadir = datadir
        self.chain = chain
        self.netdir = os.path.join(datadir, chain)
        self.binaries = binaries
        self.extra_args = list(extra_args or [])
        self.rpc_timeout = rpc_timeout
        self.p2p_port = p2p_port(index)
        self.rpc_port = rpc_port(index)
        self.gateway_port = gateway_port(index)
        self.process = None
        self.running = False
        self.rpc = None
        self.log = logging.getLogger("TestFramework.node%d" % index)
        self.stdout_path = os.path.join(datadir, "stdout.txt")
        self.stderr_path = os.path.join(datadir, "stderr.txt")
        self.other_pids = set()  # e.g. a -daemon child; killed at cleanup
        self.p2ps = []           # Python peers connected with add_p2p_connection
        self.conf_path = write_config(datadir, index, conf_lines, auto_connect=auto_connect)

    # -- paths ----------------------------------------------------------------
    @property
    def debug_log_path(self):
        return os.path.join(self.netdir, "debug.log")

    @property
    def cookie_path(self):
        return os.path.join(self.netdir, ".cookie")

    def base_args(self):
        return [self.binaries.soukd, "-datadir=" + self.datadir, "-regtest"]

    # -- process --------------------------------------------------------------
    def start(self, extra_args=None, stdout=None, stderr=None, wait_for_exit=False, preexec=None):
        """Start soukd with base args + self.extra_args (or extra_args if given).
        preexec, if given, runs in the child just before exec (e.g. to set a resource limit)."""
        if self.running:
            raise RuntimeError("node%d is already running" % self.index)
        self.binaries.check()
        args = self.base_args() + (list(extra_args) if extra_args is not None else self.extra_args)
        self.log.debug("starting: %s", " ".join(args))
        self._stdout = stdout or open(self.stdout_path, "w")
        self._stderr = stderr or open(self.stderr_path, "w")
        def child_setup():
            _set_pdeathsig()
            if preexec is not None:
                preexec()
        self.process = subprocess.Popen(args, stdout=self._stdout, stderr=self._stderr,
                                        stdin=subprocess.DEVNULL, preexec_fn=child_setup)
        self.running = True
        self.rpc = None

    def read_stderr(self):
        try:
            with open(self.stderr_path, "r", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def _close_logs(self):
        for f in (getattr(self, "_stdout", None), getattr(self, "_stderr", None)):
            if f is not None and not f.closed:
                f.close()

    def _exited(self, rc):
        self.running = False
        self.rpc = None
        self._close_logs()
        self.log.debug("exited with %s", rc)

    def make_rpc(self, timeout=None, auth=None):
        """A new proxy to this node; auth defaults to re-reading the cookie on every call."""
        if auth is None:
            auth = lambda: read_cookie(self.cookie_path)
        return AuthServiceProxy("127.0.0.1", self.rpc_port, auth, timeout or self.rpc_timeout)

    def wallet_rpc(self, name, timeout=None):
        """A proxy that sends every call to /wallet/<name> (the cookie re-read on every call)."""
        return AuthServiceProxy("127.0.0.1", self.rpc_port, lambda: read_cookie(self.cookie_path),
                                timeout or self.rpc_timeout, path="/wallet/" + quote(name, safe=""))

    def wait_for_rpc_connection(self, timeout=60):
        """Poll until the node answers `getblockcount` (it answers -28 while it
        warms up: loading the chain, reindexing); fail early if the process exits."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            rc = self.process.poll()
            if rc is not None:
                self._exited(rc)
                raise FailedToStartError("soukd (node%d) exited with code %d during startup; stderr:\n%s" %
                                         (self.index, rc, self.read_stderr()))
            try:
                if os.path.exists(self.cookie_path):
                    rpc = self.make_rpc(timeout=min(self.rpc_timeout, 10))
                    rpc.getblockcount()
                    self.rpc = self.make_rpc()
                    self.log.debug("RPC ready")
                    return
            except JSONRPCException as e:
                if e.code != -28:  # warming up: keep waiting
                    raise
                last = e
            except HTTPError as e:
                last = e   # e.g. 401 from a stale cookie about to be replaced
            except (OSError, ValueError) as e:
                last = e   # refused, reset, cookie half-written
            time.sleep(0.05)
        self.kill_process()
        raise FailedToStartError("node%d did not answer RPC within %ss (last error: %r); stderr:\n%s" %
                                 (self.index, timeout, last, self.read_stderr()))

    def wait_until_stopped(self, timeout=60):
        try:
            rc = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        self._exited(rc)
        return rc

    def request_stop(self):
        """Send the `stop` RPC (SIGTERM if RPC fails); does not wait."""
        if not self.running:
            return
        try:
            reply = self.make_rpc(timeout=10).stop()
            self.log.debug("stop -> %r", reply)
        except Exception as e:
            self.log.warning("stop RPC failed (%s); sending SIGTERM", e)
            self.send_signal(signal.SIGTERM)

    def wait_for_stop(self, expected_rc=0, timeout=60):
        """Wait for exit after request_stop(); SIGTERM then SIGKILL if it hangs."""
        if not self.running:
            return
        rc = self.wait_until_stopped(timeout)
        if rc is None:
            self.log.warning("node%d did not stop in %ss; SIGTERM", self.index, timeout)
            self.send_signal(signal.SIGTERM)
            rc = self.wait_until_stopped(10)
        if rc is None:
            self.log.warning("node%d ignored SIGTERM; SIGKILL", self.index)
            self.kill_process()
            raise TestFailure("node%d did not shut down" % self.index)
        if expected_rc is not None and rc != expected_rc:
            raise TestFailure("node%d exited with %d, expected %d; stderr:\n%s" %
                              (self.index, rc, expected_rc, self.read_stderr()))

    def stop_node(self, expected_rc=0, timeout=60):
        """`stop` RPC, then wait; falls back to SIGTERM then SIGKILL of our own pid."""
        self.request_stop()
        self.wait_for_stop(expected_rc, timeout)

    def send_signal(self, sig):
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, sig)

    def kill_process(self):
        """kill -9 this node (crash tests, cleanup). Leaves the datadir as the crash left it."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        if self.process is not None:
            try:
                rc = self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                rc = None
            self._exited(rc)

    def _daemon_pid(self):
        """The pid in soukd.pid if that process is a soukd of this datadir."""
        try:
            with open(os.path.join(self.netdir, "soukd.pid")) as f:
                pid = int(f.read().strip())
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                cmd = f.read().split(b"\0")
        except (OSError, ValueError):
            return None
        return pid if ("-datadir=" + self.datadir).encode() in cmd else None

    def kill_other_pids(self):
        pid = self._daemon_pid()
        if pid is not None:
            self.other_pids.add(pid)
        for pid in list(self.other_pids):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.other_pids.discard(pid)

    def start_and_wait(self, extra_args=None, timeout=60):
        self.start(extra_args)
        self.wait_for_rpc_connection(timeout)

    def restart_node(self, extra_args=None, timeout=60):
        self.stop_node()
        self.start_and_wait(extra_args, timeout)

    def assert_start_raises_init_error(self, extra_args=None, expected_msg=None, timeout=30):
        """Start soukd expecting it to refuse: non-zero exit with expected_msg on stderr."""
        self.start(extra_args)
        try:
            rc = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill_process()
            raise TestFailure("soukd was expected to fail at startup but kept running")
        self._exited(rc)
        err = self.read_stderr()
        if rc == 0:
            raise TestFailure("soukd was expected to fail at startup but exited 0; stderr: %s" % err)
        if expected_msg is not None and expected_msg not in err:
            raise TestFailure("expected %r in soukd's stderr, got: %s" % (expected_msg, err))
        return err

    # -- RPC ------------------------------------------------------------------
    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        rpc = self.__dict__.get("rpc")
        if rpc is None:
            raise AttributeError("node%d has no RPC connection (not started?) for %s" %
                                 (self.__dict__.get("index", -1), name))
        return getattr(rpc, name)

    # -- souk-cli -------------------------------------------------------------
    def cli_raw(self, *args, input=None, timeout=60):
        """Run souk-cli -datadir=<this node> args...; returns CompletedProcess (text)."""
        cmd = [self.binaries.cli, "-datadir=" + self.datadir] + [str(a) for a in args]
        self.log.debug("cli: %s", " ".join(cmd))
        return subprocess.run(cmd, capture_output=True, text=True, input=input, timeout=timeout)

    def cli(self, method, *args, named=False, wallet=None):
        """souk-cli method args...; JSON output parsed (fractions as Decimal), plain strings
        returned as is.
        Non-JSON args are passed as JSON (str(json.dumps)) unless already str.
        With named=True pass args as "key=value" strings; with wallet, the call goes
        to that wallet (-rpcwallet). Raises CliError."""
        pre = (["-rpcwallet=" + wallet] if wallet is not None else []) + (["-named"] if named else [])
        conv = [a if isinstance(a, str) else json.dumps(a) for a in args]
        res = self.cli_raw(*(pre + [method] + conv))
        if res.returncode != 0:
            raise CliError(res.returncode, res.stdout, res.stderr)
        out = res.stdout.strip()
        try:
            # amounts exact, as the RPC proxy returns them
            return json.loads(out, parse_float=Decimal)
        except ValueError:
            return out

    # -- P2P ------------------------------------------------------------------
    def add_p2p_connection(self, peer=None, wait_for_verack=True, timeout=10):
        """Connect a Python peer (p2p.P2PInterface by default) to this node's P2P port;
        by default wait until the version/verack handshake is done. Returns the peer."""
        from .p2p import P2PInterface
        if peer is None:
            peer = P2PInterface()
        peer.connect("127.0.0.1", self.p2p_port, timeout)
        self.p2ps.append(peer)
        if wait_for_verack:
            peer.wait_for_verack(timeout)
        return peer

    def try_p2p_connection(self, peer=None, timeout=5):
        """Connect a Python peer expecting it may be refused: (peer, True when the handshake
        completed, False when the node closed the connection, refused it or stayed silent)."""
        from .p2p import P2PInterface
        if peer is None:
            peer = P2PInterface()
        try:
            peer.connect("127.0.0.1", self.p2p_port, timeout)
        except OSError:
            return peer, False
        self.p2ps.append(peer)
        try:
            return peer, peer.wait_for_verack_or_close(timeout)
        except OSError:
            return peer, False

    def peer_info(self, p2p):
        """This node's getpeerinfo entry for a connected Python peer, or None."""
        addr = p2p.local_addr
        return next((p for p in self.getpeerinfo() if p.get("addr") == addr), None)

    def disconnect_p2ps(self):
        """Close every Python peer of this node."""
        for p in self.p2ps:
            p.close()
        self.p2ps = []

    def peer_count(self):
        return len(self.getpeerinfo())

    # -- logs -----------------------------------------------------------------
    def debug_log_tail(self, lines=40):
        try:
            with open(self.debug_log_path, "r", errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError as e:
            return "(no debug.log: %s)" % e

    def debug_log_contains(self, text):
        try:
            with open(self.debug_log_path, "r", errors="replace") as f:
                return text in f.read()
        except OSError:
            return False

    def cleanup(self):
        """Make sure nothing of this node keeps running."""
        self.disconnect_p2ps()
        self.kill_other_pids()
        if self.running:
            self.kill_process()
        self._close_logs()

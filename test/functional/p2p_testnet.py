#!/usr/bin/env python3
"""contrib/testnet.sh: `testnet.sh 5` starts five -daemon regtest nodes in a
ring on consecutive ports and prints how to reach each; blocks mined on
several of them reach all five, which agree on tip and state_hash; `status`
reports them, and each neighbouring pair holds one connection; `status` and
`stop` work from any directory (the start recorded the network) and fail
when there is none; `stop` ends every one (no process left); a second
`testnet.sh 5` on the same directory resumes the same chains; starting
while running is refused."""

import os
import re
import signal
import subprocess

from test_framework.authproxy import AuthServiceProxy, read_cookie
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, p2p_port, port_is_free, rpc_port, wait_until

N = 5
SCRIPT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "contrib", "testnet.sh"))


class P2PTestnetTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 0

    def script(self, *args, check=True, give_dir=True, cwd=None):
        """Runs testnet.sh; without give_dir it must find the network itself
        (from the directory start recorded under XDG_STATE_HOME)."""
        env = dict(os.environ)
        env.update({
            "SOUK_TESTNET_PORT": str(p2p_port(0)),
            "SOUK_TESTNET_RPCPORT": str(rpc_port(0)),
            "SOUK_BUILD_DIR": self.binaries.build_dir,
            "XDG_STATE_HOME": self.state,
        })
        env.pop("SOUK_TESTNET_DIR", None)
        if give_dir:
            env["SOUK_TESTNET_DIR"] = self.dir
        r = subprocess.run(["bash", SCRIPT] + list(args), capture_output=True, text=True, env=env,
                           timeout=180, cwd=cwd)
        self.log.debug("testnet.sh %s -> %d\n%s%s", " ".join(args), r.returncode, r.stdout, r.stderr)
        if check and r.returncode != 0:
            raise AssertionError("testnet.sh %s exited %d:\n%s%s" % (" ".join(args), r.returncode, r.stdout, r.stderr))
        return r

    def node_dir(self, i):
        return os.path.join(self.dir, "node%d" % i)

    def pid(self, i):
        try:
            with open(os.path.join(self.node_dir(i), "regtest", "soukd.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def rpc(self, i):
        cookie = os.path.join(self.node_dir(i), "regtest", ".cookie")
        return AuthServiceProxy("127.0.0.1", rpc_port(i), lambda: read_cookie(cookie), 60)

    def alive(self, pid):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                return b"soukd" in f.read()
        except OSError:
            return False

    def run_test(self):
        self.binaries.check()
        self.dir = os.path.join(self.options.tmpdir, "testnet")
        self.state = os.path.join(self.options.tmpdir, "state")
        for i in range(N):
            for port in (p2p_port(i), rpc_port(i)):
                assert port_is_free(port), "port %d in use" % port
        self.pids = set()
        try:
            self.exercise()
        finally:
            # Whatever happened, no daemon of ours outlives the test: kill any by its own pid.
            for i in range(N):
                p = self.pid(i)
                if p is not None:
                    self.pids.add(p)
            for p in self.pids:
                if self.alive(p):
                    self.log.warning("killing leftover soukd pid %d", p)
                    os.kill(p, signal.SIGKILL)

    def wait_ring(self):
        """Every node keeps its ring link to the next one (and may have found others by itself)."""
        rpcs = [self.rpc(i) for i in range(N)]

        def ring():
            for i, r in enumerate(rpcs):
                nxt = "127.0.0.1:%d" % p2p_port((i + 1) % N)
                if not any(p["addr"] == nxt and not p["inbound"] for p in r.getpeerinfo()):
                    return False
            return True
        wait_until(ring, timeout=60, what="every node connected to the next one")
        return rpcs

    def agree(self, rpcs):
        wait_until(lambda: len({r.getbestblockhash() for r in rpcs}) == 1, timeout=30, what="same tip")
        assert_equal(len({r.getstateinfo()["state_hash"] for r in rpcs}), 1)

    def exercise(self):
        self.log.info("status and stop without a network fail")
        for cmd in ("status", "stop"):
            r = self.script(cmd, check=False)
            assert r.returncode == 1 and "no network in" in r.stderr, (r.returncode, r.stderr)

        self.log.info("testnet.sh %d", N)
        out = self.script(str(N)).stdout
        for i in range(N):
            pid = self.pid(i)
            assert pid is not None and self.alive(pid), "node%d not running" % i
            self.pids.add(pid)
            # it tells how to reach each node
            assert re.search(r"node%d\s+P2P 127\.0\.0\.1:%d\s+RPC %d" % (i, p2p_port(i), rpc_port(i)), out), out
            assert "-datadir=%s getblockchaininfo" % self.node_dir(i) in out, out
        rpcs = self.wait_ring()

        self.log.info("mine on nodes 0, 2 and 4; all five agree")
        _, addr = self.new_key()
        for i, n in ((0, 3), (2, 2), (4, 4), (1, 1)):
            rpcs[i].generatetoaddress(n, addr)
            self.agree(rpcs)
        assert_equal(rpcs[3].getblockcount(), 10)
        tip = rpcs[3].getbestblockhash()

        self.log.info("status from another directory finds the network; each pair of the ring holds one connection")
        st = self.script("status", give_dir=False, cwd="/").stdout
        self.log.debug("status:\n%s", st)
        for i in range(N):
            m = re.search(r"node%d: height 10, best %s, peers (\d+)" % (i, tip), st)
            assert m and int(m.group(1)) == 2, st
            peers = rpcs[i].getpeerinfo()
            assert_equal(sorted(p["inbound"] for p in peers), [False, True])
        assert "--dir %s stop" % self.dir in out, out

        self.log.info("starting again while running is refused")
        r = self.script(str(N), check=False)
        assert r.returncode != 0 and "still running" in r.stderr, r.stderr

        self.log.info("testnet.sh stop: every process ends")
        pids = [self.pid(i) for i in range(N)]
        self.script("stop", give_dir=False, cwd="/")
        for i, p in enumerate(pids):
            assert not self.alive(p), "node%d (pid %d) still running after stop" % (i, p)
        r = self.script("stop", check=False)
        assert r.returncode == 1 and "no node running" in r.stderr, (r.returncode, r.stderr)

        self.log.info("a second start resumes the same chains")
        self.script(str(N))
        for i in range(N):
            self.pids.add(self.pid(i))
        rpcs = self.wait_ring()
        for r in rpcs:
            assert_equal(r.getbestblockhash(), tip)
        rpcs[3].generatetoaddress(1, addr)
        self.agree(rpcs)
        pids = [self.pid(i) for i in range(N)]
        self.script("stop")
        wait_until(lambda: not any(self.alive(p) for p in pids), timeout=5, what="every node gone after stop")
        for i in range(N):
            assert not os.path.exists(os.path.join(self.node_dir(i), "regtest", "soukd.pid")) or \
                not self.alive(self.pid(i) or 0)


if __name__ == "__main__":
    P2PTestnetTest().main()

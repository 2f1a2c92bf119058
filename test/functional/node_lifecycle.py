#!/usr/bin/env python3
"""soukd process lifecycle: -help, one node per datadir (lock), -daemon with
its pid file, clean shutdown on SIGTERM/SIGINT (cookie and pid file removed),
restart after kill -9, and a config file error refusing to start."""

import os
import signal
import subprocess

from test_framework.test_framework import SoukTestFramework
from test_framework.test_node import TestNode
from test_framework.util import assert_equal, assert_greater_than_or_equal, wait_until, TestFailure


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); look at its state.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


class NodeLifecycleTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 2

    def setup_network(self):
        self.add_nodes(self.num_nodes)
        self.start_node(0)  # node1's slot is used for the second-instance test

    def run_test(self):
        self.test_help()
        self.test_files()
        self.test_second_instance()
        self.test_sigterm()
        self.test_sigint()
        self.test_kill9_restart()
        self.test_daemon()
        self.test_bad_config()

    def test_help(self):
        self.log.info("-help lists the options and exits 0")
        r = subprocess.run([self.binaries.soukd, "-help"], capture_output=True, text=True, timeout=30)
        assert_equal(r.returncode, 0)
        for opt in ("-datadir", "-regtest", "-daemon", "-rpcport", "-printtoconsole", "-conf"):
            assert opt in r.stdout, "-help does not mention %s" % opt

    def test_files(self):
        self.log.info("datadir layout: debug.log and .cookie in <datadir>/regtest")
        node = self.nodes[0]
        assert os.path.isfile(node.debug_log_path)
        assert os.path.isfile(node.cookie_path)
        assert_greater_than_or_equal(os.path.getsize(node.debug_log_path), 1)

    def test_second_instance(self):
        self.log.info("a second soukd on the same datadir refuses to start")
        node = self.nodes[0]
        other = self.nodes[1]
        # Same datadir as node0, node1's ports: only the lock can stop it.
        twin = TestNode(1, other.datadir, self.binaries)
        args = [self.binaries.soukd, "-datadir=" + node.datadir, "-regtest", "-rpcport=%d" % other.rpc_port,
                "-port=%d" % other.p2p_port]
        twin.base_args = lambda: args
        self.nodes.append(twin)  # so cleanup covers it if it wrongly keeps running
        err = twin.assert_start_raises_init_error([])
        self.log.debug("refusal message: %s", err.strip())
        low = err.lower()
        assert "lock" in low or "already" in low, "unclear refusal message: %r" % err
        self.nodes.remove(twin)
        # The first node is unharmed, and its cookie still valid.
        assert_greater_than_or_equal(node.uptime(), 0)
        assert os.path.isfile(node.cookie_path)

    def _signal_stop(self, sig):
        node = self.nodes[0]
        node.send_signal(sig)
        rc = node.wait_until_stopped(60)
        if rc is None:
            raise TestFailure("soukd did not exit after signal %d" % sig)
        assert_equal(rc, 0)
        assert not os.path.exists(node.cookie_path), ".cookie left after signal %d" % sig
        assert os.path.isfile(node.debug_log_path)

    def test_sigterm(self):
        self.log.info("SIGTERM: clean exit 0, .cookie removed")
        self._signal_stop(signal.SIGTERM)
        self.start_node(0)

    def test_sigint(self):
        self.log.info("SIGINT: clean exit 0, .cookie removed")
        self._signal_stop(signal.SIGINT)
        self.start_node(0)

    def test_kill9_restart(self):
        self.log.info("kill -9 leaves a stale cookie; the node restarts anyway")
        node = self.nodes[0]
        node.kill_process()
        assert os.path.exists(node.cookie_path), "cookie should survive kill -9"
        self.start_node(0)
        assert_greater_than_or_equal(node.uptime(), 0)

    def test_daemon(self):
        self.log.info("-daemon: parent returns, pid file names the running node")
        node = self.nodes[0]
        node.stop_node()
        pidfile = os.path.join(node.netdir, "soukd.pid")
        assert not os.path.exists(pidfile)
        # Output to files, not pipes: the daemon may keep inherited pipes open.
        with open(node.stdout_path, "w") as out, open(node.stderr_path, "w") as err:
            parent = subprocess.Popen(node.base_args() + ["-daemon"], stdout=out, stderr=err,
                                      stdin=subprocess.DEVNULL)
            try:
                rc = parent.wait(timeout=60)
            except subprocess.TimeoutExpired:
                parent.kill()
                parent.wait()
                raise TestFailure("soukd -daemon: the parent did not return")
        assert_equal(rc, 0)
        wait_until(lambda: os.path.exists(pidfile), timeout=30, what="soukd.pid")
        pid = []

        def read_pid():
            try:
                with open(pidfile) as f:
                    pid[:] = [int(f.read().strip())]
                return True
            except (OSError, ValueError):
                return False
        wait_until(read_pid, timeout=10)
        node.other_pids.add(pid[0])
        assert pid_alive(pid[0]), "pid %d from soukd.pid is not running" % pid[0]
        rpc = node.make_rpc()
        wait_until(lambda: self._rpc_up(rpc), timeout=60, what="daemon RPC")
        assert_equal(rpc.stop(), "souk stopping")
        wait_until(lambda: not pid_alive(pid[0]), timeout=60, what="daemon exit")
        node.other_pids.discard(pid[0])
        assert not os.path.exists(pidfile), "soukd.pid left behind"
        assert not os.path.exists(node.cookie_path), ".cookie left behind"
        self.start_node(0)

    @staticmethod
    def _rpc_up(rpc):
        try:
            rpc.uptime()
            return True
        except Exception:
            return False

    def test_bad_config(self):
        self.log.info("an unknown option in souk.conf refuses to start, naming it")
        node = self.nodes[0]
        node.stop_node()
        with open(node.conf_path) as f:
            conf = f.read()
        try:
            with open(node.conf_path, "a") as f:
                f.write("nosuchoption=1\n")
            err = node.assert_start_raises_init_error()
            assert "nosuchoption" in err, err
        finally:
            with open(node.conf_path, "w") as f:
                f.write(conf)
        self.start_node(0)


if __name__ == "__main__":
    NodeLifecycleTest().main()

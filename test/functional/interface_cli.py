#!/usr/bin/env python3
"""souk-cli against a running node: same results as raw RPC, -named, JSON
versus string arguments, RPC errors on stderr with a non-zero exit, bad
credentials, no server, and -rpcwait."""

import os
import subprocess

from test_framework.test_framework import SoukTestFramework
from test_framework.test_node import CliError
from test_framework.util import assert_equal, assert_raises_message, wait_until


class InterfaceCliTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]
        self.log.info("results match raw RPC")
        assert_equal(node.cli("help"), node.help())
        assert_equal(node.cli("help", "uptime"), node.help("uptime"))
        info = node.cli("getrpcinfo")
        assert_equal(info["logpath"], node.getrpcinfo()["logpath"])
        assert isinstance(node.cli("uptime"), int)

        self.log.info("-named")
        assert_equal(node.cli("help", "command=uptime", named=True), node.help("uptime"))
        e = assert_raises_message(CliError, "nosuch", node.cli, "help", "nosuch=1", named=True)
        assert_equal(e.code, -8)

        self.log.info("JSON-quoted strings, -stdin")
        assert_equal(node.cli("help", '"stop"'), node.help("stop"))
        r = node.cli_raw("-stdin", "help", input="uptime\n")
        assert_equal(r.returncode, 0)
        assert_equal(r.stdout.strip(), node.help("uptime").strip())

        self.log.info("RPC errors: code and message on stderr, exit status 1")
        r = node.cli_raw("nosuchmethod")
        assert_equal(r.returncode, 1)
        assert_equal(r.stdout, "")
        e = assert_raises_message(CliError, "Method not found", node.cli, "nosuchmethod")
        assert_equal(e.code, -32601)
        # A JSON-looking argument is sent as JSON: 5 is a number, a type error for help.
        e = assert_raises_message(CliError, "string", node.cli, "help", "5")
        assert_equal(e.code, -3)
        e = assert_raises_message(CliError, "Too many parameters", node.cli, "uptime", "1")
        assert_equal(e.code, -32602)

        self.log.info("bad credentials and a missing server fail clearly")
        r = node.cli_raw("-rpcuser=x", "-rpcpassword=y", "uptime")
        assert_equal(r.returncode, 1)
        assert r.stderr.strip(), "no message for bad credentials"
        self.log.debug("bad credentials: %s", r.stderr.strip())
        free = node.rpc_port + 1 if node.rpc_port + 1 != node.p2p_port else node.rpc_port + 2
        r = node.cli_raw("-rpcport=%d" % free, "uptime")
        assert_equal(r.returncode, 1)
        assert r.stderr.strip(), "no message when no server listens"
        self.log.debug("no server: %s", r.stderr.strip())

        self.log.info("-rpcwait waits for the node to come up")
        node.stop_node()
        waiter = subprocess.Popen([self.binaries.cli, "-datadir=" + node.datadir, "-rpcwait", "uptime"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            # What is tested is that it keeps waiting: it must still be running a second later.
            try:
                waiter.wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass
            assert waiter.poll() is None, "souk-cli -rpcwait returned before the node started: %s" % (
                waiter.communicate())
            node.start_and_wait()
            out, err = waiter.communicate(timeout=60)
        finally:
            if waiter.poll() is None:
                waiter.kill()
                waiter.wait()
        assert_equal(waiter.returncode, 0)
        assert int(out.strip()) >= 0

        self.log.info("stop through souk-cli")
        assert_equal(node.cli("stop"), "souk stopping")
        node.wait_for_stop()
        wait_until(lambda: not os.path.exists(node.cookie_path), timeout=10)


if __name__ == "__main__":
    InterfaceCliTest().main()

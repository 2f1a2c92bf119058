#!/usr/bin/env python3
"""Warm-up: while soukd starts (here, a -reindex of a few thousand blocks) its
RPC server already answers, with -28 and what startup is doing for every
method except help, getrpcschema, uptime, stop and getrpcinfo; souk-cli
-rpcwait (which asks getrpcschema first) waits it out; stop works during warm-up; and a -reindex cut short by stop or by
kill -9 is resumed by the next start (without -reindex), which ends at the
same tip and state_hash as before. Also -par, the threads that check a
block's signatures (a -reindex checks every block again)."""
import os

from test_framework.authproxy import HTTPError, JSONRPCException
from test_framework.test_framework import SoukTestFramework
from test_framework.util import TestFailure, assert_equal, assert_raises_rpc_error, wait_until

BLOCKS = 3000
RPC_IN_WARMUP = -28
STATUSES = {"Starting\u2026", "Loading block index\u2026", "Reindexing blocks\u2026",
            "Activating best chain\u2026", "Loading wallets\u2026", "Starting network\u2026"}


class NodeWarmupTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def start_warming(self, extra_args):
        """Starts the node; returns (proxy, message) at its first -28 answer,
        or (proxy, None) when it answered normally first."""
        node = self.nodes[0]
        node.start(extra_args)
        answer = []

        def answered():
            if node.process.poll() is not None:
                raise TestFailure("soukd exited during startup: %s" % node.read_stderr())
            if not os.path.exists(node.cookie_path):
                return False
            rpc = node.make_rpc(timeout=10)
            try:
                rpc.getblockcount()
                answer[:] = [rpc, None]
            except JSONRPCException as e:
                if e.code != RPC_IN_WARMUP:
                    raise
                answer[:] = [rpc, e.message]
            except (HTTPError, OSError, ValueError):
                return False  # not listening yet, or the cookie is half-written
            return True
        # Polled often: the first answer should come early in the warm-up.
        wait_until(answered, timeout=60, poll=0.005, what="soukd answering RPC")
        return tuple(answer)

    def same_chain(self, node):
        assert_equal(node.getblockcount(), BLOCKS)
        assert_equal(node.getbestblockhash(), self.ref["bestblockhash"])
        assert_equal(node.getstateinfo(), self.ref)

    def run_test(self):
        node = self.nodes[0]
        self.generate(node, BLOCKS)
        self.ref = node.getstateinfo()
        node.stop_node()

        self.log.info("during a -reindex the server answers -28, except help, getrpcschema, uptime, stop, "
                      "getrpcinfo")
        rpc, status = self.start_warming(["-reindex"])
        assert status is not None, "the node finished warming up before it was asked anything"
        assert status in STATUSES, status
        assert_raises_rpc_error(RPC_IN_WARMUP, "\u2026", rpc.getbestblockhash)
        assert_raises_rpc_error(RPC_IN_WARMUP, None, rpc.getblockhash, "not a number")
        assert_raises_rpc_error(-32601, "Method not found", rpc.nosuchmethod)
        assert "getblockcount" in rpc.help()
        assert_equal(rpc.getrpcschema("getblockhash"),
                     {"getblockhash": [{"name": "height", "type": "int", "optional": False}]})
        assert isinstance(rpc.uptime(), int)
        assert "active_commands" in rpc.getrpcinfo()
        self.log.info("souk-cli -rpcwait waits until the node is ready")
        r = node.cli_raw("-rpcwait", "getblockcount", timeout=120)
        assert_equal((r.returncode, r.stdout.strip()), (0, str(BLOCKS)))
        node.wait_for_rpc_connection()
        self.same_chain(node)

        self.log.info("stop during warm-up: a clean exit; the next start finishes the reindex")
        node.stop_node()
        rpc, status = self.start_warming(["-reindex"])
        assert_equal(rpc.stop(), "souk stopping")
        node.wait_for_stop(timeout=30)
        self.log.info("stopped %s", "during warm-up (%s)" % status if status else "after warm-up")
        self.start_node(0)
        self.same_chain(node)

        # None: once warm-up is over (the reindex done, the node just up).
        for target in ["Reindexing blocks\u2026", "Activating best chain\u2026", None]:
            node.stop_node()
            rpc, status = self.start_warming(["-reindex"])
            while status is not None and status != target:
                status = self.warmup_status(rpc)
            self.log.info("kill -9 during a -reindex (%s)", status or "after warm-up")
            node.kill_process()
            self.start_node(0)
            self.same_chain(node)

        self.log.info("-par sets the threads that check signatures")
        node.stop_node()
        node.assert_start_raises_init_error(["-par=17"], "par")
        for arg, text in [("-par=3", "on 3 threads"), ("-par=-16", "on 1 thread\n")]:
            self.start_node(0, [arg, "-reindex"])
            assert node.debug_log_contains("checking block signatures " + text), text
            self.same_chain(node)
            node.stop_node()

    def warmup_status(self, rpc):
        """The -28 message, or None once warm-up is over."""
        try:
            rpc.getblockcount()
            return None
        except JSONRPCException as e:
            if e.code != RPC_IN_WARMUP:
                raise
            return e.message


if __name__ == "__main__":
    NodeWarmupTest().main()

#!/usr/bin/env python3
"""-addnode names are resolved off the event-loop thread (doc/protocol.md,
"Connections"): while a name server does not answer, the node still accepts
peers, answers their pings and serves getpeerinfo; once the answer comes the
node connects to the address; a name that does not resolve is logged with
the name and tried again with the other -addnode connections.

A slow name server needs no change to the machine: a small library loaded
with LD_PRELOAD (built here with the system's C compiler, skipped without
one) stands in for getaddrinfo for the names of the .test domain, which
RFC 6761 reserves for testing: a name under slow.test notes that it was
asked (a file), waits until a gate file exists and then is 127.0.0.1; one
under fail.test does not exist. Every other name goes to the real
getaddrinfo. Before the fix the lookup ran on the event loop (holding the
connection manager's lock), so the new peer, its ping and getpeerinfo all
waited for the name server."""

import os
import shutil
import subprocess

from test_framework.p2p import P2PInterface, P2PListener
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, wait_until

SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res)
{
    int (*real)(const char *, const char *, const struct addrinfo *, struct addrinfo **) =
        (int (*)(const char *, const char *, const struct addrinfo *, struct addrinfo **))
            dlsym(RTLD_NEXT, "getaddrinfo");
    if (node != NULL && ends_with(node, ".fail.test"))
        return EAI_NONAME;
    if (node != NULL && ends_with(node, ".slow.test")) {
        const char *gate = getenv("SOUK_TEST_DNS_GATE");
        const char *asked = getenv("SOUK_TEST_DNS_ASKED");
        if (asked != NULL)
            close(open(asked, O_WRONLY | O_CREAT, 0600));
        while (gate != NULL && access(gate, F_OK) != 0)
            usleep(20000);
        node = "127.0.0.1";
    }
    return real(node, service, hints, res);
}
"""


class P2PAddnodeNamesTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def setup_network(self):
        # nodes are started in run_test, with the stand-in resolver
        self.add_nodes(self.num_nodes)

    def build_shim(self):
        cc = shutil.which("cc") or shutil.which("gcc")
        if cc is None:
            self.skip_test("no C compiler to build the stand-in resolver")
        src = os.path.join(self.options.tmpdir, "slowdns.c")
        lib = os.path.join(self.options.tmpdir, "slowdns.so")
        with open(src, "w") as f:
            f.write(SHIM)
        r = subprocess.run([cc, "-shared", "-fPIC", "-o", lib, src, "-ldl"], capture_output=True, text=True)
        if r.returncode != 0:
            self.skip_test("cannot build the stand-in resolver: %s" % r.stderr.strip())
        return lib

    def run_test(self):
        node = self.nodes[0]
        lib = self.build_shim()
        gate = os.path.join(self.options.tmpdir, "dns-gate")
        asked = os.path.join(self.options.tmpdir, "dns-asked")
        listener = P2PListener()
        slow_name = "peer.slow.test:%d" % listener.port
        bad_name = "nowhere.fail.test:1"
        env_before = {k: os.environ.get(k)
                      for k in ("LD_PRELOAD", "SOUK_TEST_DNS_GATE", "SOUK_TEST_DNS_ASKED", "ASAN_OPTIONS")}
        os.environ["LD_PRELOAD"] = lib
        os.environ["SOUK_TEST_DNS_GATE"] = gate
        os.environ["SOUK_TEST_DNS_ASKED"] = asked
        # a sanitizer build wants its runtime first; the stand-in changes nothing it checks
        os.environ["ASAN_OPTIONS"] = ((env_before["ASAN_OPTIONS"] + ":") if env_before["ASAN_OPTIONS"] else "") + \
            "verify_asan_link_order=0"
        try:
            node.start(["-debug=net", "-addnode=" + slow_name, "-addnode=" + bad_name])
            node.wait_for_rpc_connection()
        finally:
            for k, v in env_before.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        try:
            self.check_while_unanswered(node, slow_name, bad_name, asked)
        finally:
            open(gate, "w").close()   # a failing run must not leave the lookup hanging

        self.log.info("the answer comes: the node connects to %s", slow_name)
        peer = listener.accept(P2PInterface(), timeout=30)
        node.p2ps.append(peer)
        peer.wait_for_verack(10)
        target = "127.0.0.1:%d" % listener.port
        wait_until(lambda: any(p["addr"] == target and p["connection_type"] == "manual"
                               for p in node.getpeerinfo()), timeout=10, what="the manual connection")
        listener.close()

    def check_while_unanswered(self, node, slow_name, bad_name, asked):
        self.log.info("the name server does not answer for %s", slow_name)
        wait_until(lambda: os.path.exists(asked), timeout=10, what="the lookup of %s started" % slow_name)
        self.log.info("meanwhile a new peer is accepted, pinged and listed")
        p = node.add_p2p_connection(P2PInterface(), timeout=10)
        p.sync_with_ping(timeout=10)
        peers = node.getpeerinfo()
        assert_equal([x["connection_type"] for x in peers], ["inbound"])
        assert_equal(node.getconnectioncount(), 1)
        node.ping()
        wait_until(lambda: "pingtime" in (node.peer_info(p) or {}), timeout=10, what="the node's ping answered")

        self.log.info("a name that does not exist is logged with the name and tried again")
        msg = "cannot resolve %s" % bad_name

        def failures():
            with open(node.debug_log_path, errors="replace") as f:
                return f.read().count(msg)
        wait_until(lambda: failures() >= 2, timeout=30, what="two logged attempts for %s" % bad_name)
        # the slow name is asked once, not once per retry, while its answer is pending
        with open(node.debug_log_path, errors="replace") as f:
            assert_equal(f.read().count("[net] resolving peer.slow.test"), 1)
        assert not node.debug_log_contains("%s is " % slow_name)
        node.disconnect_p2ps()


if __name__ == "__main__":
    P2PAddnodeNamesTest().main()

#!/usr/bin/env python3
"""Manual bans: setban add/remove of addresses and subnets, listbanned,
clearbanned; a banned address cannot connect and its open connections are
dropped; bans expire; bans survive a restart through banlist.json, and a
clearbanned survives it too."""

import json
import os
import time

from test_framework.p2p import P2PInterface
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, assert_raises_rpc_error, wait_until


class P2PBansTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 2

    def banned(self, node):
        return sorted(b["address"] for b in node.listbanned())

    def can_connect(self, node):
        p, ok = node.try_p2p_connection()
        node.disconnect_p2ps()
        return ok

    def run_test(self):
        node, other = self.nodes
        banlist = os.path.join(node.netdir, "banlist.json")

        self.log.info("setban add / listbanned")
        assert_equal(node.listbanned(), [])
        node.setban("192.0.2.7", "add")
        node.setban("198.51.100.0/24", "add", 3600)
        node.setban("2001:db8::/32", "add")
        listed = {b["address"]: b for b in node.listbanned()}
        assert_equal(len(listed), 3)
        assert any(a.startswith("192.0.2.7") for a in listed), listed
        assert "198.51.100.0/24" in listed, listed
        e = listed["198.51.100.0/24"]
        now = int(time.time())
        assert abs(e["banned_until"] - (now + 3600)) <= 60, e
        assert abs(e["ban_created"] - now) <= 60, e
        # the default ban lasts 24 h
        e = [b for a, b in listed.items() if a.startswith("192.0.2.7")][0]
        assert abs(e["banned_until"] - e["ban_created"] - 86400) <= 5, e

        self.log.info("setban errors")
        assert_raises_rpc_error(-23, None, node.setban, "192.0.2.7", "add")       # already banned
        assert_raises_rpc_error(None, None, node.setban, "not-an-ip", "add")
        assert_raises_rpc_error(None, None, node.setban, "192.0.2.0/33", "add")
        assert_raises_rpc_error(None, None, node.setban, "203.0.113.1", "remove")  # not banned
        assert_raises_rpc_error(None, None, node.setban, "203.0.113.1", "ban")     # no such command
        assert_equal(len(node.listbanned()), 3)

        self.log.info("setban remove")
        node.setban("2001:db8::/32", "remove")
        assert_equal(len(node.listbanned()), 2)

        self.log.info("absolute ban time in the past is refused or expires at once; a short ban expires")
        node.setban("203.0.113.9", "add", int(time.time()) + 2, True)
        assert any(b["address"].startswith("203.0.113.9") for b in node.listbanned())
        wait_until(lambda: not any(b["address"].startswith("203.0.113.9") for b in node.listbanned()),
                   timeout=15, what="a 2-second ban expires")

        self.log.info("banning 127.0.0.1 drops its connections and refuses new ones")
        self.connect_nodes(1, 0)
        p = node.add_p2p_connection(P2PInterface())
        assert_equal(node.getconnectioncount(), 2)
        node.setban("127.0.0.1", "add")
        assert p.wait_for_disconnect(10), "open connection from a banned address kept"
        wait_until(lambda: node.getconnectioncount() == 0, timeout=10, what="banned peers dropped")
        assert not self.can_connect(node), "banned address could connect"
        node.disconnect_p2ps()

        self.log.info("bans persist in banlist.json across a restart")
        before = self.banned(node)
        assert_equal(len(before), 3)
        self.stop_node(0)
        assert os.path.isfile(banlist), "no banlist.json"
        with open(banlist) as f:
            json.load(f)   # valid JSON
        self.start_node(0)
        assert_equal(self.banned(node), before)
        assert not self.can_connect(node), "ban forgotten after restart"

        self.log.info("clearbanned, and it stays cleared after a restart")
        node.clearbanned()
        assert_equal(node.listbanned(), [])
        assert self.can_connect(node)
        self.restart_node(0)
        assert_equal(node.listbanned(), [])
        assert self.can_connect(node)

        self.log.info("a corrupt banlist.json does not stop the node")
        node.setban("192.0.2.8", "add")
        self.stop_node(0)
        with open(banlist, "w") as f:
            f.write("{ not json")
        self.start_node(0)
        assert self.can_connect(node)
        node.setban("192.0.2.9", "add")
        assert any(b["address"].startswith("192.0.2.9") for b in node.listbanned())
        assert_equal(other.getblockcount(), 0)


if __name__ == "__main__":
    P2PBansTest().main()

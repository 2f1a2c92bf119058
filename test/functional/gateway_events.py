#!/usr/bin/env python3
"""GET /api/events: the node's event stream for the logged-in account.

One node with the gateway. Checks: without a session the route answers 401
with a JSON error, and after logout too; with one it streams
text/event-stream carrying every block and the payments to the account's
address (and not another account's), each with an id; a client that
reconnects with Last-Event-ID gets what it missed; 200 streams at once and
one client that never reads do not hold the node up."""
import http.client
import json

from test_framework.messages import COIN
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal


class Stream:
    """An open /api/events connection, read event by event."""

    def __init__(self, port, cookie, last_id=None):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Cookie": cookie}
        if last_id is not None:
            headers["Last-Event-ID"] = str(last_id)
        self.conn.request("GET", "/api/events", headers=headers)
        self.resp = self.conn.getresponse()

    def next(self):
        ev = {}
        while True:
            line = self.resp.readline().decode()
            if line in ("\n", "\r\n", ""):
                if "event" in ev:
                    return ev
                if line == "":
                    raise AssertionError("the stream ended")
                continue
            if line.startswith(":"):
                continue
            k, _, v = line.rstrip("\n").partition(": ")
            ev[k] = v

    def until(self, kind, pred=lambda d: True):
        """Events up to the first of kind that pred accepts (that one last)."""
        seen = []
        while True:
            ev = self.next()
            seen.append(ev)
            if ev["event"] == kind and pred(json.loads(ev["data"])):
                return seen

    def close(self):
        self.conn.close()


class GatewayEventsTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.extra_args = [["-gateway"]]

    def api(self, method, path, body=None, cookie=None, csrf=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.nodes[0].gateway_port, timeout=30)
        headers = {"Content-Type": "application/json"}
        if cookie:
            headers["Cookie"] = cookie
        if csrf:
            headers["X-CSRF-Token"] = csrf
        conn.request(method, path, json.dumps(body) if body is not None else None, headers)
        r = conn.getresponse()
        data = r.read()
        cookie_out = r.getheader("Set-Cookie")
        conn.close()
        return r.status, (json.loads(data) if data else None), cookie_out

    def signup(self, name):
        status, body, cookie = self.api("POST", "/api/signup", {"username": name, "password": "pw-" + name + "-123"})
        assert_equal(status, 200)
        return body, cookie.split(";", 1)[0]

    def run_test(self):
        node = self.nodes[0]
        port = node.gateway_port
        # The log names each server for what it is.
        assert node.debug_log_contains("gateway listening on 127.0.0.1 port %d" % port)
        assert node.debug_log_contains("RPC server listening on")
        self.miner_key, self.miner_address = self.new_key()
        self.generate(node, 110)
        self.log.info("no session: 401 with a JSON error")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/api/events")
        r = conn.getresponse()
        assert_equal((r.status, json.loads(r.read())["error"]), (401, "Please log in."))
        conn.close()

        alice, a_cookie = self.signup("alice")
        bob, _ = self.signup("bob")
        self.log.info("a session's stream carries blocks and the payments to its address only")
        s = Stream(port, a_cookie)
        assert_equal(s.resp.status, 200)
        assert_equal(s.resp.getheader("Content-Type"), "text/event-stream")
        node.sendrawtransaction(self.make_transfer(self.miner_key, 0, bob["address"], 3 * COIN, 2000))
        node.sendrawtransaction(self.make_transfer(self.miner_key, 1, alice["address"], 5 * COIN, 2000))
        self.generate(node, 1)
        seen = s.until("payment", lambda d: d["confirmed"])
        d = json.loads(seen[-1]["data"])
        assert_equal((d["to"], d["amount"]), (alice["address"], 5))
        # the block, and alice's payment while pending, came first; bob's never
        assert_equal([e["event"] for e in seen], ["payment", "block", "payment"])
        assert all(json.loads(e["data"]).get("to") != bob["address"] for e in seen)
        ids = [int(e["id"]) for e in seen]
        assert_equal(ids, sorted(ids))
        first = ids[-1]
        s.close()
        self.log.info("Last-Event-ID: what happened meanwhile comes on reconnecting")
        self.generate(node, 1)
        s = Stream(port, a_cookie, last_id=first)
        got = s.until("block", lambda d: d["height"] == node.getblockcount())
        assert int(got[0]["id"]) > first
        s.close()
        self.log.info("200 streams and one that never reads: every stream gets the block, RPC answers")
        import socket
        streams = [Stream(port, a_cookie) for _ in range(200)]
        stalled = socket.socket()
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.connect(("127.0.0.1", port))
        stalled.sendall(("GET /api/events HTTP/1.1\r\nHost: x\r\nCookie: %s\r\n\r\n" % a_cookie).encode())
        for _ in range(3):
            self.generate(node, 1)
            height = node.getblockcount()
            for st in streams:
                st.until("block", lambda d: d["height"] == height)
        for st in streams:
            st.close()
        stalled.close()

        self.log.info("after logout: 401")
        status, _, _ = self.api("POST", "/api/logout", {}, cookie=a_cookie, csrf=alice["csrf"])
        assert_equal(status, 204)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/api/events", headers={"Cookie": a_cookie})
        r = conn.getresponse()
        assert_equal(r.status, 401)
        conn.close()


if __name__ == "__main__":
    GatewayEventsTest().main()

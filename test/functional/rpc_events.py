#!/usr/bin/env python3
"""GET /events?address=...: server-sent events on the RPC port.

A client following an address gets every block, and the payments, order
and listing actions, reviews and chat messages that concern the address —
sent, received, or as a trade's counterparty — each with an id larger than
the one before, and nothing that concerns only others. A client that
reconnects with Last-Event-ID gets exactly what it missed; one whose id the
node no longer holds (-eventsbuffer), or one from before a restart, is told
so by a `missed` event first. Blocks taken away by invalidateblock and
brought back are events too.

Refusals: no credentials or wrong ones (401), no address, a bad one,
another network's, too many, a bad Last-Event-ID (400), another method
than GET (405). A client that stops reading is dropped once it has fallen
behind what the node holds, while the node keeps answering RPC and another
client keeps getting events; with room in the ring, it is closed once it
has taken nothing for -rpcservertimeout, while a client that only listens
stays connected past that time."""

import base64
import http.client
import json
import socket
import time
from decimal import Decimal

from test_framework.bech32m import encode_address
from test_framework.messages import COIN
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, wait_until

OPT = {"fee": "0.0001"}
RING = 256


class SseClient:
    """One /events stream read with http.client (chunked decoding included)."""

    def __init__(self, node, addresses, last_event_id=None, timeout=30):
        query = "&".join("address=" + a for a in addresses)
        self.conn = http.client.HTTPConnection("127.0.0.1", node.rpc_port, timeout=timeout)
        headers = {"Authorization": basic_auth(node)}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.conn.request("GET", "/events?" + query, headers=headers)
        self.resp = self.conn.getresponse()
        assert_equal(self.resp.status, 200)
        assert_equal(self.resp.getheader("Content-Type"), "text/event-stream")

    def next(self, within=60):
        """The next event as a dict (id, event, data), comments skipped.
        The node's keep-alive comments keep the socket busy, so an event
        that never comes is noticed by the clock."""
        ev = {}
        deadline = time.monotonic() + within
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError("no event within %d s" % within)
            line = self.resp.readline()
            if not line:
                raise EOFError("the stream ended")
            line = line.decode().rstrip("\n")
            if line == "":
                if ev:
                    if "data" in ev:
                        ev["data"] = json.loads(ev["data"], parse_float=Decimal)
                    return ev
                continue
            if line.startswith(":"):
                continue
            field, _, value = line.partition(": ")
            ev[field] = value

    def take(self, n):
        return [self.next() for _ in range(n)]

    def close(self):
        self.conn.close()


def read_to_end(sock):
    """Reads what the server sent until it closed the connection (a
    socket.timeout if it did not); returns the byte count."""
    sock.settimeout(20)
    total = 0
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            total += len(data)
    except ConnectionResetError:
        pass
    sock.close()
    return total


def basic_auth(node):
    with open(node.cookie_path) as f:
        return "Basic " + base64.b64encode(f.read().strip().encode()).decode()


class RpcEventsTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.extra_args = [["-eventsbuffer=%d" % RING]]

    def refused(self, path, status, text, headers=None, auth=True, method="GET"):
        node = self.nodes[0]
        conn = http.client.HTTPConnection("127.0.0.1", node.rpc_port, timeout=30)
        h = dict(headers or {})
        if auth is True:
            h["Authorization"] = basic_auth(node)
        elif auth:
            h["Authorization"] = auth
        conn.request(method, path, headers=h)
        resp = conn.getresponse()
        body = resp.read().decode()
        conn.close()
        assert_equal(resp.status, status)
        assert text in body, "%r not in %r" % (text, body)

    def run_test(self):
        node = self.nodes[0]
        self.miner_key, self.miner_address = self.new_key()
        self.generate(node, 110)
        node.createwallet("alice")
        node.createwallet("bob")
        self.alice, self.bob = node.wallet_rpc("alice"), node.wallet_rpc("bob")
        self.a, self.b = self.alice.getnewaddress(), self.bob.getnewaddress()
        for i, addr in enumerate((self.a, self.b)):
            node.sendrawtransaction(self.make_transfer(self.miner_key, i, addr, 100 * COIN, 10000))
        self.generate(node, 1)

        self.test_refusals()
        self.test_live()
        self.test_resume()
        self.test_stalled_client()
        self.test_timeouts()

    def test_refusals(self):
        self.log.info("refusals: credentials, addresses, Last-Event-ID, method")
        a = self.a
        self.refused("/events?address=" + a, 401, "", auth=False)
        self.refused("/events?address=" + a, 401, "",
                     auth="Basic " + base64.b64encode(b"__cookie__:wrong").decode())
        self.refused("/events", 400, "address: required")
        self.refused("/events?addr=" + a, 400, "address: required")
        self.refused("/events?address=rsouk1nope", 400, "Invalid address: rsouk1nope")
        self.refused("/events?address=%3Cscript%3E", 400, "Invalid address: <script>")
        key, _ = self.new_key()
        main_addr = encode_address(key.pubkey, "souk")
        self.refused("/events?address=" + main_addr, 400, "Invalid address: souk1")
        self.refused("/events?" + "&".join(["address=" + a] * 17), 400, "at most 16 addresses")
        self.refused("/events?address=" + a, 400, "Last-Event-ID: expected an event id",
                     headers={"Last-Event-ID": "abc"})
        self.refused("/events?address=" + a, 400, "Last-Event-ID", headers={"Last-Event-ID": "-5"})
        self.refused("/events?address=" + a, 405, "GET", method="POST")
        assert_equal(self.nodes[0].getblockcount(), 111)

    def expect(self, client, kinds):
        """The next events are of these kinds, in order; returns them."""
        got = client.take(len(kinds))
        assert_equal([e["event"] for e in got], kinds)
        ids = [int(e["id"]) for e in got]
        assert_equal(ids, sorted(set(ids)))
        if getattr(client, "last", None) is not None:
            assert ids[0] > client.last
        client.last = ids[-1]
        return got

    def test_live(self):
        self.log.info("live: blocks, payments, listings, orders, reviews and messages")
        node, a, b = self.nodes[0], self.a, self.b
        ca, cb = SseClient(node, [a]), SseClient(node, [b])
        # A block mined to Alice: both see it, only Alice the coinbase.
        h = node.generatetoaddress(1, a)[0]
        blk, cbase = self.expect(ca, ["block", "payment"])
        assert_equal(blk["data"]["hash"], h)
        assert_equal(blk["data"]["connected"], True)
        assert_equal(cbase["data"]["to"], a)
        assert_equal(cbase["data"]["from"], None)
        assert_equal(cbase["data"]["type"], "coinbase")
        assert_equal(self.expect(cb, ["block"])[0]["data"]["hash"], h)

        # Alice pays Bob: both see it in the mempool, then mined.
        txid = self.alice.sendtoaddress(b, Decimal("1.5"))
        for c in (ca, cb):
            p = self.expect(c, ["payment"])[0]["data"]
            assert_equal((p["txid"], p["from"], p["to"], p["amount"], p["confirmed"], p["height"]),
                         (txid, a, b, Decimal("1.5"), False, None))
        h = self.generate(node, 1)[0]
        height = node.getblockcount()
        for c in (ca, cb):
            _, p = self.expect(c, ["block", "payment"])
            assert_equal((p["data"]["txid"], p["data"]["confirmed"], p["data"]["height"]),
                         (txid, True, height))

        # Bob lists, Alice orders, Bob accepts: the order concerns both.
        listing = self.bob.market_createlisting({"title": "Lamp", "price": 2, "quantity": 3},
                                                OPT)["txid"]
        ev = self.expect(cb, ["listing"])[0]["data"]
        assert_equal((ev["type"], ev["object"], ev["txid"], ev["addresses"]),
                     ("listing_create", listing, listing, [b]))
        self.generate(node, 1)
        self.expect(cb, ["block", "listing"])
        self.expect(ca, ["block"])
        order = self.alice.market_placeorder(listing, 1, OPT)["txid"]
        for c in (ca, cb):
            ev = self.expect(c, ["order"])[0]["data"]
            assert_equal((ev["type"], ev["object"]), ("order_place", order))
            assert_equal(sorted(ev["addresses"]), sorted([a, b]))
        self.generate(node, 1)
        for c in (ca, cb):
            self.expect(c, ["block", "order"])
        accept = self.bob.market_acceptorder(order, OPT)["txid"]
        for c in (ca, cb):
            ev = self.expect(c, ["order"])[0]["data"]
            assert_equal((ev["type"], ev["txid"], ev["object"]), ("order_accept", accept, order))
        self.generate(node, 1)
        for c in (ca, cb):
            self.expect(c, ["block", "order"])
        self.alice.market_completeorder(order, OPT)
        for c in (ca, cb):
            assert_equal(self.expect(c, ["order"])[0]["data"]["type"], "order_complete")
        self.generate(node, 1)
        for c in (ca, cb):
            self.expect(c, ["block", "order"])
        review = self.alice.review_post(order, 4, "Bright", OPT)["txid"]
        for c in (ca, cb):
            ev = self.expect(c, ["review"])[0]["data"]
            assert_equal((ev["type"], ev["txid"]), ("review_post", review))
        self.generate(node, 1)
        for c in (ca, cb):
            self.expect(c, ["block", "review"])

        # An order Bob never accepts times out in a block: no transaction
        # carries that, and both hear of it after the block's own events.
        late = self.alice.market_placeorder(listing, 1, OPT)["txid"]
        for c in (ca, cb):
            self.expect(c, ["order"])
        self.generate(node, 1)
        for c in (ca, cb):
            self.expect(c, ["block", "order"])
        for _ in range(100):
            h = self.generate(node, 1)[0]
            if self.alice.market_getorder(late)["state"] != "PLACED":
                break
            for c in (ca, cb):
                self.expect(c, ["block"])
        assert_equal(self.alice.market_getorder(late)["state"], "CANCELED")
        height = node.getblockcount()
        for c in (ca, cb):
            blk, ev = self.expect(c, ["block", "order"])
            assert_equal(blk["data"]["hash"], h)
            ev = ev["data"]
            assert_equal((ev["type"], ev["txid"], ev["object"], ev["confirmed"], ev["height"]),
                         ("order_timeout", None, late, True, height))
            assert_equal(sorted(ev["addresses"]), sorted([a, b]))

        # A chat message from Alice to Bob about the order.
        msg = self.alice.chat_send(b, "thanks!", {"order_id": order})["id"]
        for c in (ca, cb):
            ev = self.expect(c, ["message"])[0]["data"]
            assert_equal((ev["id"], ev["from"], ev["to"], ev["order_id"]), (msg, a, b, order))
        # Nothing for Alice from a payment between others: the next is a block.
        node.sendrawtransaction(self.make_transfer(self.miner_key, 2, self.miner_address, COIN, 10000))
        h = self.generate(node, 1)[0]
        self.expect(ca, ["block"])
        # A block taken away is an event too, and so is its return.
        node.invalidateblock(h)
        ev = self.expect(ca, ["block"])[0]["data"]
        assert_equal((ev["hash"], ev["connected"]), (h, False))
        node.reconsiderblock(h)
        ev = self.expect(ca, ["block"])[0]["data"]
        assert_equal((ev["hash"], ev["connected"]), (h, True))
        self.ca = ca
        cb.close()

    def test_resume(self):
        self.log.info("Last-Event-ID: what was missed, then live; too old: a missed event")
        node, a = self.nodes[0], self.a
        last = self.ca.last
        self.ca.close()
        hashes = node.generatetoaddress(2, a)
        c = SseClient(node, [a], last_event_id=last)
        got = self.expect(c, ["block", "payment", "block", "payment"])
        assert_equal([got[0]["data"]["hash"], got[2]["data"]["hash"]], hashes)
        assert int(got[0]["id"]) > last
        h = node.generatetoaddress(1, a)[0]
        assert_equal(self.expect(c, ["block", "payment"])[0]["data"]["hash"], h)
        c.close()
        # Far more events than the node holds go by.
        self.generate(node, RING)
        c = SseClient(node, [a], last_event_id=last)
        ev = c.next()
        assert_equal(ev["event"], "missed")
        assert "id" not in ev
        assert_equal(ev["data"]["last_event_id"], last)
        oldest = ev["data"]["oldest"]
        assert oldest > last
        # Then what is still held, oldest first: the blocks (the coinbases
        # are the miner's, not Alice's).
        first = c.next()
        assert_equal(first["event"], "block")
        assert oldest <= int(first["id"]) <= oldest + 1
        c.close()
        # A future id resumes from now.
        c = SseClient(node, [a], last_event_id=10**18)
        h = node.generatetoaddress(1, a)[0]
        self.last_before_restart = int(self.expect(c, ["block", "payment"])[0]["id"])
        c.close()

    def test_stalled_client(self):
        self.log.info("a client that reads nothing is dropped; the node and other clients go on")
        node = self.nodes[0]
        stalled = self.open_stalled()
        healthy = SseClient(node, [self.b])
        # Blocks until the stalled client's buffers are full and the ring has
        # moved past it; the healthy client reads every few blocks, far
        # inside what the ring holds even on a loaded machine.
        dropped = False
        for _ in range(400):
            hashes = self.generate(node, 10)
            for h in hashes:
                ev = healthy.next()
                assert_equal((ev["event"], ev["data"]["hash"]), ("block", h))
            with open(node.debug_log_path, encoding="utf-8") as f:
                if "event client dropped: it fell behind" in f.read():
                    dropped = True
                    break
        assert dropped, "the stalled client was never dropped"
        assert node.getblockcount() > 0
        # The stalled socket ends: what the kernel held, then the close.
        assert read_to_end(stalled) > 0
        h = self.generate(node, 1)[0]
        assert_equal(healthy.next()["data"]["hash"], h)
        healthy.close()

    def open_stalled(self):
        node = self.nodes[0]
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", node.rpc_port))
        s.sendall(("GET /events?address=%s HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n\r\n"
                   % (self.a, basic_auth(node))).encode())
        return s

    def test_timeouts(self):
        self.log.info("-rpcservertimeout: a quiet client stays longer; one that takes nothing "
                      "is closed")
        node = self.nodes[0]
        self.restart_node(0, ["-eventsbuffer=20000", "-rpcservertimeout=2"])
        # An id from before the restart: those events are gone, and new ids
        # are larger than any from before.
        c = SseClient(node, [self.a], last_event_id=self.last_before_restart)
        ev = c.next()
        assert_equal((ev["event"], ev["data"]["last_event_id"]), ("missed", self.last_before_restart))
        h = self.generate(node, 1)[0]
        ev = c.next()
        assert_equal((ev["event"], ev["data"]["hash"]), ("block", h))
        assert int(ev["id"]) > self.last_before_restart
        c.close()
        quiet = SseClient(node, [self.b])
        stalled = self.open_stalled()
        time.sleep(3)
        h = self.generate(node, 1)[0]
        assert_equal(quiet.next()["data"]["hash"], h)
        # Many times what the stalled client's buffers hold, well inside the ring.
        for _ in range(15):
            for h in self.generate(node, 100):
                assert_equal(quiet.next()["data"]["hash"], h)
        time.sleep(4)
        assert read_to_end(stalled) > 0
        with open(node.debug_log_path, encoding="utf-8") as f:
            assert "fell behind" not in f.read().split("init done")[-1]
        h = self.generate(node, 1)[0]
        assert_equal(quiet.next()["data"]["hash"], h)
        quiet.close()

if __name__ == "__main__":
    RpcEventsTest().main()

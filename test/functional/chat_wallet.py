#!/usr/bin/env python3
"""Chat between wallets on nodes that are not directly connected.

Three nodes in a line, a wallet on each: alice (node 0), bob (node 1, which
only relays) and carol (node 2). Checks: a text from alice's wallet reaches
carol's and opens there, unread, and alice's wallet keeps the sent side;
node 1 holds only ciphertext (its chat.sqlite has no plaintext) and bob's
wallet neither gets the message nor opens it; carol's decryptmessage opens
the same ciphertext (bob's does not); replies, threads per counterparty and order, unread
counts and chat_markread; attachments round-trip byte for byte (from a path
and from base64, up to the exact size limit); a recipient node that was
down gets a message when it reconnects and runs -chatnotify for it; a
wallet loaded after a message arrived takes it from the node's store; a
locked wallet keeps a message sealed until it is unlocked; a wallet of
schema version 1 is upgraded on load; every refusal is clear and changes
nothing; messages outlive the envelopes once these expire."""
import base64
import os
import sqlite3
import time

from test_framework import msgpack
from test_framework.authproxy import JSONRPCException
from test_framework.bech32m import decode_address, encode_address
from test_framework.p2p import P2PInterface, inv_item
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, assert_raises_rpc_error, wait_until

ORDER = "ab" * 32


class ChatWalletTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 3

    def setup_network(self):
        self.setup_nodes()
        self.connect_line()

    def texts(self, node, **filters):
        return [m.get("text") for m in node.chat_list(filters)]

    def wait_for_message(self, node, msg_id, what):
        wait_until(lambda: any(m["id"] == msg_id for m in node.chat_list()), timeout=30,
                   what=what)
        return node.chat_get(msg_id)

    def stored_envelope(self, node, msg_id):
        """The envelope as node serves it to a peer that asks."""
        p = node.add_p2p_connection(P2PInterface())
        since = p.mark()
        p.send_message("getdata", [inv_item(3, msg_id)])
        raw = msgpack.encode(p.wait_for_message("chat", since=since))
        node.disconnect_p2ps()
        return raw

    def run_test(self):
        n0, n1, n2 = self.nodes
        n0.createwallet("alice")
        n1.createwallet("bob")
        n2.createwallet("carol")
        a, b, c = n0.getnewaddress(), n1.getnewaddress(), n2.getnewaddress()

        self.log.info("a text from alice (node 0) reaches carol (node 2) through node 1")
        sent = n0.chat_send(c, "hello carol, is the lamp still for sale?", {"ttl": 3600})
        assert_equal((sent["from"], sent["to"], sent["pow_bits"]), (a, c, 1))
        assert sent["pow_threads"] >= 1 and sent["pow_tries"] >= 1 and sent["pow_seconds"] >= 0
        info = n0.chat_getinfo()
        assert_equal((info["last_stamp"]["bits"], info["last_stamp"]["threads"]),
                     (1, sent["pow_threads"]))
        mid = sent["id"]
        got = self.wait_for_message(n2, mid, "carol's wallet got the text")
        assert_equal((got["direction"], got["address"], got["counterparty"], got["kind"]),
                     ("in", c, a, "text"))
        assert_equal((got["text"], got["read"], got["order_id"]),
                     ("hello carol, is the lamp still for sale?", False, None))
        assert_equal(got["expires"], got["timestamp"] + 3600)
        mine = n0.chat_get(mid)
        assert_equal((mine["direction"], mine["read"], mine["text"], mine["counterparty"]),
                     ("out", True, got["text"], c))

        self.log.info("node 1 relays it but holds only ciphertext, and bob's wallet cannot open it")
        wait_until(lambda: n1.chat_getinfo()["messages"] == 1, timeout=30, what="node 1 kept it")
        assert_equal(n1.chat_list(), [])
        raw = self.stored_envelope(n1, mid)
        assert b"lamp" not in raw
        d = n1.chat_decodeenvelope(raw.hex())
        assert_equal((d["id"], d["sender"], d["recipient"], d["valid"]), (mid, a, c, True))
        ciphertext = msgpack.decode(raw)[7]
        store = os.path.join(n1.netdir, "chat.sqlite")
        for path in (store, store + "-wal"):
            if os.path.exists(path):
                with open(path, "rb") as f:
                    assert b"lamp" not in f.read(), path
        with sqlite3.connect("file:%s?mode=ro" % store, uri=True) as db:
            (body,) = db.execute("SELECT body FROM envelopes WHERE id = ?", (bytes.fromhex(mid),)).fetchone()
        assert_equal(body, raw)
        assert_raises_rpc_error(-8, "not sealed between these two keys", n1.decryptmessage, b, a,
                                ciphertext.hex())
        assert_raises_rpc_error(-4, "not in this wallet", n1.decryptmessage, c, a, ciphertext.hex())
        # carol's key opens the same bytes (to the msgpack plaintext, not bare text)
        assert_raises_rpc_error(-8, "the message opened, but it is not UTF-8 text",
                                n2.decryptmessage, c, a, ciphertext.hex())

        self.log.info("a reply, an order's own thread, unread counts and chat_markread")
        reply = n2.cli("chat_send", a, "yes, it is")["id"]   # through souk-cli
        self.wait_for_message(n0, reply, "alice got the reply")
        about = n0.chat_send(c, "I ordered it", {"order_id": ORDER})["id"]
        assert_equal(n0.chat_get(about)["order_id"], ORDER)
        self.wait_for_message(n2, about, "carol got the order's message")
        threads = n2.chat_threads()
        assert_equal(len(threads), 2)
        assert_equal((threads[0]["order_id"], threads[0]["messages"], threads[0]["unread"]),
                     (ORDER, 1, 1))
        assert_equal(threads[0]["last"]["text"], "I ordered it")
        assert_equal((threads[1]["order_id"], threads[1]["messages"], threads[1]["unread"]),
                     (None, 2, 1))
        assert_equal((threads[1]["address"], threads[1]["counterparty"]), (c, a))
        assert_equal(threads[1]["last"]["id"], reply)
        assert_equal(self.texts(n2, order_id=ORDER), ["I ordered it"])
        assert_equal(self.texts(n2, unread=True), ["I ordered it", got["text"]])
        assert_equal(self.texts(n2, limit=1, offset=1), ["yes, it is"])
        assert_equal(len(n2.chat_list({"with": a})), 3)
        assert_equal(n2.chat_list({"with": b}), [])
        assert_equal(n2.chat_markread([mid, about, mid]), {"marked": 2})
        assert_equal(n2.chat_markread(mid), {"marked": 0})
        assert_equal(n2.chat_list({"unread": True}), [])
        assert_equal([t["unread"] for t in n2.chat_threads()], [0, 0])
        # alice's side: the thread holds both directions
        t0 = n0.chat_threads()
        assert_equal([(t["messages"], t["unread"]) for t in t0], [(1, 0), (2, 1)])
        # without "from", carol answers from the key alice wrote to
        assert_equal(n2.chat_send(a, "thanks", {"order_id": ORDER})["from"], c)

        self.log.info("attachments round-trip byte for byte")
        blob = os.urandom(100000)
        path = os.path.join(self.options.tmpdir, "parcel.bin")
        with open(path, "wb") as f:
            f.write(blob)
        s = n0.chat_sendfile(c, path)
        assert_equal((s["mime"], s["name"], s["pow_bits"]), ("application/octet-stream", "parcel.bin", 4))
        att = self.wait_for_message(n2, s["id"], "carol got the file")
        assert_equal((att["kind"], att["mime"], att["name"], att["size"]),
                     ("attachment", "application/octet-stream", "parcel.bin", len(blob)))
        assert_equal(base64.b64decode(att["data"]), blob)
        assert "data" not in n2.chat_list({"limit": 1})[0]
        png = b"\x89PNG\r\n\x1a\n" + os.urandom(5000)
        s = n0.chat_sendfile(c, base64.b64encode(png).decode(), {"name": "damaged parcel.png"})
        assert_equal((s["mime"], s["name"]), ("image/png", "damaged parcel.png"))
        att = self.wait_for_message(n2, s["id"], "carol got the photo")
        assert_equal(base64.b64decode(att["data"]), png)
        assert_equal(base64.b64decode(n0.chat_get(s["id"])["data"]), png)
        # the largest that fits, named in the refusal of one byte more
        big = os.path.join(self.options.tmpdir, "big.bin")
        with open(big, "wb") as f:
            f.write(os.urandom(300000))
        try:
            n0.chat_sendfile(c, big)
            raise AssertionError("a 300000-byte file was sent")
        except JSONRPCException as e:  # the message names the limit
            assert_equal(e.code, -8)
            assert "file too large: 300000 bytes" in e.message, e.message
            limit = int(e.message.split("at most ")[1].split()[0])
        assert 262000 < limit < 262144, limit
        with open(big, "wb") as f:
            f.write(os.urandom(limit))
        s = n0.chat_sendfile(c, big)
        assert_equal(s["pow_bits"], 5)
        assert s["size"] > 262144
        att = self.wait_for_message(n2, s["id"], "carol got the largest file")
        with open(big, "rb") as f:
            assert_equal(base64.b64decode(att["data"]), f.read())
        with open(big, "ab") as f:
            f.write(b"x")
        assert_raises_rpc_error(-8, "file too large: %d bytes" % (limit + 1), n0.chat_sendfile, c, big)

        self.log.info("refusals are clear and change nothing")
        before = [n.chat_getinfo()["messages"] for n in self.nodes]
        other_net = encode_address(decode_address(c, "regtest"), "main")
        assert_raises_rpc_error(-5, "address is for another network", n0.chat_send, other_net, "hi")
        assert_raises_rpc_error(-5, "Invalid address", n0.chat_send, "rsouk1nothing", "hi")
        # the last character changed (to one it is not): the checksum fails
        bad = c[:-1] + ("q" if c[-1] != "q" else "p")
        assert_raises_rpc_error(-5, "Invalid address", n0.chat_sendfile, bad, path)
        assert_raises_rpc_error(-8, "text: the message is empty", n0.chat_send, c, "")
        assert_raises_rpc_error(-8, "text: too long", n0.chat_send, c, "x" * 262144)
        assert_raises_rpc_error(-8, "cannot read /nonexistent/file.png: No such file", n0.chat_sendfile,
                                c, "/nonexistent/file.png")
        assert_raises_rpc_error(-8, "cannot read %s: Is a directory" % self.options.tmpdir,
                                n0.chat_sendfile, c, self.options.tmpdir)
        assert_raises_rpc_error(-8, "neither base64 nor an absolute path", n0.chat_sendfile, c,
                                "photo.png")
        empty = os.path.join(self.options.tmpdir, "empty")
        open(empty, "wb").close()
        assert_raises_rpc_error(-8, "the file is empty", n0.chat_sendfile, c, empty)
        assert_raises_rpc_error(-8, "mime: type/subtype", n0.chat_sendfile, c, path, {"mime": "png"})
        assert_raises_rpc_error(-8, "name: at most 255 bytes", n0.chat_sendfile, c, path,
                                {"name": "n" * 256})
        assert_raises_rpc_error(-8, 'options: unknown key "colour"', n0.chat_send, c, "hi",
                                {"colour": "red"})
        assert_raises_rpc_error(-8, "order_id: expected 64 hex digits", n0.chat_send, c, "hi",
                                {"order_id": "abc"})
        assert_raises_rpc_error(-8, "ttl: 1 to 604800 seconds", n0.chat_send, c, "hi", {"ttl": 0})
        assert_raises_rpc_error(-8, "ttl: 1 to 604800 seconds", n0.chat_send, c, "hi",
                                {"ttl": 604801})
        assert_raises_rpc_error(-4, "from: the address is not in this wallet", n0.chat_send, c,
                                "hi", {"from": b})
        assert_raises_rpc_error(-8, "plaintext: not a text or an attachment", n0.createenvelope, c,
                                "c0")
        assert_raises_rpc_error(-8, "no such message in this wallet", n0.chat_get, "00" * 32)
        unread_before = len(n0.chat_list({"unread": True}))
        assert_raises_rpc_error(-8, "no message %s in this wallet (none was marked)" % ("11" * 32),
                                n0.chat_markread, [reply, "11" * 32])
        assert_equal(len(n0.chat_list({"unread": True})), unread_before)
        assert_raises_rpc_error(-8, "msg_id: expected 64 hex digits", n0.chat_markread, ["xyz"])
        assert_equal([n.chat_getinfo()["messages"] for n in self.nodes], before)
        n1.createwallet("empty")
        assert_raises_rpc_error(-19, "Wallet file not specified", n1.chat_send, c, "hi")
        n1.unloadwallet("empty")

        self.log.info("a recipient node that was down gets the message on reconnecting, and -chatnotify runs")
        notified = os.path.join(self.options.tmpdir, "notified")
        self.stop_node(2)
        away = n0.chat_send(c, "did you get my order?")["id"]
        wait_until(lambda: n1.chat_getinfo()["messages"] == before[1] + 1, timeout=30,
                   what="node 1 kept it")
        self.start_node(2, ["-wallet=carol", "-chatnotify=echo %%s >> %s" % notified])
        assert all(m["id"] != away for m in n2.chat_list())
        self.connect_nodes(1, 2)
        got = self.wait_for_message(n2, away, "carol got it after reconnecting")
        assert_equal((got["text"], got["read"]), ("did you get my order?", False))
        wait_until(lambda: os.path.exists(notified) and away in open(notified).read(), timeout=30,
                   what="-chatnotify ran")
        with open(notified) as f:
            assert_equal(f.read().split(), [away])

        self.log.info("a wallet loaded after the message arrived takes it from the node's store")
        n2.unloadwallet("carol")
        later = n0.chat_send(c, "one more thing")["id"]
        wait_until(lambda: n2.chat_getinfo()["messages"] == n0.chat_getinfo()["messages"],
                   timeout=30, what="node 2 kept it")
        n2.loadwallet("carol")
        assert_equal(n2.chat_get(later)["text"], "one more thing")

        self.log.info("a locked wallet keeps a message sealed until it is unlocked")
        n2.encryptwallet("pass phrase")
        locked = n0.chat_send(c, "sealed until you unlock")["id"]
        got = self.wait_for_message(n2, locked, "the locked wallet got it")
        assert_equal(got["kind"], "sealed")
        assert "text" not in got
        n2.walletpassphrase("pass phrase", 60)
        got = n2.chat_get(locked)
        assert_equal((got["kind"], got["text"], got["read"]), ("text", "sealed until you unlock", False))
        n2.walletlock()

        self.log.info("a wallet of schema version 1 is upgraded on load, its messages table added")
        n0.createwallet("old")
        n0.unloadwallet("old")
        old = os.path.join(n0.netdir, "wallets", "old", "wallet.sqlite")
        with sqlite3.connect(old) as db:
            db.execute("DROP TABLE chat")
            db.execute("UPDATE schema_version SET version = 1")
        n0.loadwallet("old")
        assert_equal(n0.cli("getwalletinfo", wallet="old")["walletversion"], 2)
        assert_equal(n0.cli("chat_list", wallet="old"), [])
        n0.unloadwallet("old")

        self.log.info("the envelopes expire from every store; the wallets keep the messages")
        kept = [len(n.chat_list({"limit": 1000})) for n in (n0, n2)]
        later = int(time.time()) + 8 * 24 * 3600
        for n in self.nodes:
            n.setmocktime(later)
        assert_equal([n.chat_getinfo()["messages"] for n in self.nodes], [0, 0, 0])
        assert_equal([len(n.chat_list({"limit": 1000})) for n in (n0, n2)], kept)
        assert_equal(n2.chat_get(mid)["text"], "hello carol, is the lamp still for sale?")


if __name__ == "__main__":
    ChatWalletTest().main()

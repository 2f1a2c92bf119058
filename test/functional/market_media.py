#!/usr/bin/env python3
"""Listing photos and chat between users on nodes that are not directly
connected, all through souk-cli.

Three nodes in a line (0 - 1 - 2): the seller on node 0, a buyer on node 2.
Checks: market_addmedia keeps a photo (from a path and from base64) that
waits unrelayed — no other node gets it and node 0 answers a peer's
getdata with notfound — until a listing naming it connects; then nodes 1
and 2 (node 2 down when the listing connected and catching up afterwards)
fetch both photos and market_getmedia there returns them byte for byte; a
market index
of an older schema is set aside and rebuilt; a hostile peer answering a
request with other bytes is scored and the photo
stays wanted, one sending malformed bytes is disconnected, and the right
bytes from any peer are kept and relayed; every bad input of
market_addmedia and market_getmedia gets a clear error and changes
nothing; photos survive a restart; once the listing is closed and the
grace period has passed (mock time) the photos leave every store. Then the
seller and the buyer exchange a text and an image with chat_send and
chat_sendfile, and each reads the other's with chat_list and chat_get."""
import base64
import os
import sqlite3
import struct
import zlib

from test_framework import msgpack
from test_framework.key import sha256
from test_framework.messages import COIN
from test_framework.msgpack import RawBytes
from test_framework.p2p import P2PInterface, inv_item
from test_framework.test_framework import SoukTestFramework
from test_framework.test_node import CliError
from test_framework.util import assert_equal, wait_until

MEDIA = 4
FEE = "0.00002"
GRACE = 24 * 3600


def png(width, height, seed):
    """A real PNG image (RGB, one colour per row) built with zlib."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    rows = b"".join(b"\0" + bytes([(seed * 37 + y) % 256, y % 256, seed % 256]) * width
                    for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def jpeg(size):
    """Bytes that start as a JPEG (a listing photo is checked by its magic)."""
    return b"\xff\xd8\xff\xe0" + os.urandom(size - 6) + b"\xff\xd9"


def blob(mime, data):
    return msgpack.encode([1, mime, data])


class MarketMediaTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 3

    def setup_network(self):
        self.setup_nodes()
        self.connect_line()

    def cli(self, node, method, *args, wallet=None):
        return node.cli(method, *args, wallet=wallet)

    def mine(self, nodes=None):
        nodes = nodes or [n for n in self.nodes if n.running]
        self.sync_mempools(nodes)
        nodes[0].cli("generatetoaddress", 1, self.miner_address)
        self.sync_blocks(nodes)

    def info(self, node):
        return node.cli("market_getmediainfo")

    def refused(self, node, code, text, method, *args):
        before = self.info(node)
        try:
            node.cli(method, *args)
        except CliError as e:
            assert_equal(e.code, code)
            assert text in e.stderr, e.stderr
        else:
            raise AssertionError("%s was not refused" % method)
        assert_equal(self.info(node), before)

    def run_test(self):
        n0, n1, n2 = self.nodes
        n0.cli("createwallet", "seller")
        n2.cli("createwallet", "buyer")
        self.seller = n0.cli("getnewaddress", wallet="seller")
        self.buyer = n2.cli("getnewaddress", wallet="buyer")
        self.miner_key, self.miner_address = self.new_key()
        self.generate(n0, 110)
        for i, a in enumerate((self.seller, self.buyer)):
            n0.cli("sendrawtransaction", self.make_transfer(self.miner_key, i, a, 100 * COIN, 2000))
        self.mine()

        self.photos_wait_unrelayed()
        self.photos_fetched()
        self.hostile_peers()
        self.refusals()
        self.grace_and_drop()
        self.store_cap()
        self.chat_through_cli()

    def photos_wait_unrelayed(self):
        n0, n1, n2 = self.nodes
        self.log.info("added photos wait on the seller's node, unrelayed")
        self.front = png(40, 30, 1)
        self.side = jpeg(300 * 1024)
        path = os.path.join(self.options.tmpdir, "side.jpg")
        with open(path, "wb") as f:
            f.write(self.side)
        a = n0.cli("market_addmedia", base64.b64encode(self.front).decode())
        b = n0.cli("market_addmedia", path, {"mime": "image/jpeg"})
        assert_equal((a["mime"], a["size"], a["named"]), ("image/png", len(self.front), False))
        assert_equal((b["mime"], b["size"]), ("image/jpeg", len(self.side)))
        assert_equal(a["id"], sha256(blob("image/png", self.front)).hex())
        assert_equal(b["id"], sha256(blob("image/jpeg", self.side)).hex())
        # the same photo again: the same id, stored once
        assert_equal(n0.cli("market_addmedia", path)["id"], b["id"])
        self.ids = [a["id"], b["id"]]
        assert_equal(self.info(n0)["blobs"], 2)
        assert_equal(self.info(n0)["named"], 0)
        p = n0.add_p2p_connection(P2PInterface())
        since = p.mark()
        p.send_message("getdata", [inv_item(MEDIA, a["id"])])
        p.wait_for_message("notfound", since=since)
        n0.disconnect_p2ps()
        for n in (n1, n2):
            assert_equal(self.info(n)["blobs"], 0)

    def photos_fetched(self):
        n0, n1, n2 = self.nodes
        self.log.info("a listing naming them connects: node 1 fetches them, node 2 on catching up")
        self.stop_node(2)
        r = n0.cli("market_createlisting", {"title": "A lamp", "price": 3, "media": self.ids},
                   {"fee": FEE}, wallet="seller")
        self.listing = r["txid"]
        self.mine([n0, n1])
        wait_until(lambda: self.info(n1)["named"] == 2, timeout=30, what="node 1 fetched the photos")
        assert_equal(self.info(n0)["named"], 2)
        self.start_node(2)
        n2.cli("loadwallet", "buyer")
        self.connect_nodes(1, 2)
        self.sync_blocks()
        wait_until(lambda: self.info(n2)["named"] == 2, timeout=30, what="node 2 fetched the photos")
        for n in (n1, n2):
            got = [n.cli("market_getmedia", i) for i in self.ids]
            assert_equal([base64.b64decode(g["data"]) for g in got], [self.front, self.side])
            assert_equal([g["mime"] for g in got], ["image/png", "image/jpeg"])
            assert_equal([(g["named"], g["local"]) for g in got], [(True, False)] * 2)
        assert_equal(n2.cli("market_getlisting", self.listing)["media"], self.ids)
        self.log.info("photos survive a restart; a market index of an older schema is set aside and rebuilt")
        self.stop_node(1)
        netdir = os.path.join(n1.datadir, "regtest")
        con = sqlite3.connect(os.path.join(netdir, "market.sqlite"))
        con.execute("PRAGMA user_version = 1")
        con.commit()
        con.close()
        self.start_node(1)
        assert [f for f in os.listdir(netdir) if f.startswith("market.sqlite.v1-")]
        assert_equal(n1.cli("market_listlistings")["total"], 1)
        self.connect_nodes(0, 1)
        self.connect_nodes(1, 2)
        assert_equal(base64.b64decode(n1.cli("market_getmedia", self.ids[0])["data"]), self.front)

    def hostile_peers(self):
        n0, n1, n2 = self.nodes
        self.log.info("a listing names a photo no node holds: a peer sending other bytes is scored")
        gif = b"GIF89a" + os.urandom(2000)
        right = blob("image/gif", gif)
        want = sha256(right).hex()
        n0.cli("market_createlisting", {"title": "A vase", "price": 2, "media": [want]},
               {"fee": FEE}, wallet="seller")
        self.mine()
        for n in self.nodes:
            wait_until(lambda: self.info(n)["wanted"] == 1, timeout=30, what="the photo wanted")
        try:
            n2.cli("market_getmedia", want)
        except CliError as e:
            assert "being fetched from peers" in e.stderr, e.stderr
        p = n2.add_p2p_connection(P2PInterface())
        since = p.mark()
        p.send_message("inv", [inv_item(MEDIA, want)])
        req = p.wait_for_message("getdata", since=since)
        assert_equal([(t, bytes(h).hex()) for t, h in req], [(MEDIA, want)])
        p.send_message("media", RawBytes(blob("image/gif", b"GIF89a" + os.urandom(2000))))
        wait_until(lambda: n2.debug_log_contains("misbehaving (+20 = 20): media"), timeout=10,
                   what="the wrong bytes scored")
        assert p.is_connected
        assert_equal(self.info(n2)["wanted"], 1)
        assert_equal(self.info(n2)["blobs"], 2)
        self.log.info("the right bytes from that peer are kept and reach every node")
        p.send_message("media", RawBytes(right))
        for n in self.nodes:
            wait_until(lambda: self.info(n)["wanted"] == 0, timeout=30, what="the photo relayed")
            assert_equal(base64.b64decode(n.cli("market_getmedia", want)["data"]), gif)
        self.log.info("a peer sending bytes that are no image is disconnected")
        p.send_message("media", RawBytes(blob("image/png", b"not an image")))
        assert p.wait_for_disconnect(10), "the node kept a peer that sent a malformed photo"
        n2.disconnect_p2ps()
        p = n2.add_p2p_connection(P2PInterface())
        p.send_message("media", RawBytes(msgpack.encode([1, "image/png"])))
        assert p.wait_for_disconnect(10), "the node kept a peer that sent a malformed blob"
        n2.disconnect_p2ps()
        self.vase = want

    def refusals(self):
        n0 = self.nodes[0]
        self.log.info("bad input gets a clear error and changes nothing")
        text = base64.b64encode(b"hello, not a picture").decode()
        self.refused(n0, -8, "not a PNG, JPEG, WebP or GIF image", "market_addmedia", text)
        self.refused(n0, -8, "media-mime", "market_addmedia", base64.b64encode(self.front).decode(),
                     {"mime": "image/jpeg"})
        big = os.path.join(self.options.tmpdir, "big.jpg")
        with open(big, "wb") as f:
            f.write(jpeg(512 * 1024 + 1))
        self.refused(n0, -8, "file too large: 524289 bytes", "market_addmedia", big)
        self.refused(n0, -8, "cannot read /nonexistent/x.png", "market_addmedia", "/nonexistent/x.png")
        self.refused(n0, -8, "cannot read " + self.options.tmpdir, "market_addmedia", self.options.tmpdir)
        self.refused(n0, -8, "neither base64 nor an absolute path", "market_addmedia", "photo.png")
        self.refused(n0, -8, "the file is empty", "market_addmedia", "")
        self.refused(n0, -8, "options: unknown key \"color\"", "market_addmedia", text, {"color": "red"})
        self.refused(n0, -5, "media not held by this node", "market_getmedia", "00" * 32)
        self.refused(n0, -8, "id", "market_getmedia", "xyz")

    def grace_and_drop(self):
        n0, n1, n2 = self.nodes
        self.log.info("a closed listing's photos are kept a grace period, then dropped everywhere")
        n0.cli("market_closelisting", self.listing, {"fee": FEE}, wallet="seller")
        self.mine()
        # an unnamed photo added now is dropped after the same wait
        n0.cli("market_addmedia", base64.b64encode(png(4, 4, 9)).decode())
        now = self.nodes[0].getblockheader(self.nodes[0].getbestblockhash())["time"]
        for t in (now + 120, now + GRACE - 3600):
            for n in self.nodes:
                n.setmocktime(t)
            self.mine()
            for n in self.nodes:
                assert_equal(self.info(n)["named"], 1)   # the vase's photo
        assert_equal(self.info(n0)["blobs"], 4)
        assert_equal(self.info(n2)["blobs"], 3)
        for n in self.nodes:
            n.setmocktime(now + GRACE + 3600)
        self.mine()
        for n in self.nodes:
            wait_until(lambda: self.info(n)["blobs"] == 1, timeout=30, what="the photos dropped")
            assert_equal(base64.b64decode(n.cli("market_getmedia", self.vase)["data"])[:6], b"GIF89a")
        for n in self.nodes:
            n.setmocktime(0)

    def store_cap(self):
        n0, n1, n2 = self.nodes
        self.log.info("-mediamaxmb: bad values stop the start; past the cap unnamed photos go "
                      "first, named ones stay, and what cannot fit is refused")
        self.stop_node(1)
        for bad in ("0", "1048577", "lots"):
            n1.assert_start_raises_init_error(["-mediamaxmb=" + bad], "mediamaxmb")
        self.start_node(1, ["-mediamaxmb=1"])
        self.connect_nodes(0, 1)
        self.connect_nodes(1, 2)
        assert_equal(self.info(n1)["max_bytes"], 1 << 20)
        assert_equal(self.info(n1)["blobs"], 1)  # the vase's photo, named
        # Unnamed photos of 400 KB each: the third pushes the first out.
        shots = [jpeg(400 * 1000 + i) for i in range(3)]
        ids = [n1.cli("market_addmedia", self.photo_file("shot%d.jpg" % i, d))["id"]
               for i, d in enumerate(shots)]
        info = self.info(n1)
        assert_equal((info["blobs"], info["named"]), (3, 1))
        assert info["bytes"] <= 1 << 20, info
        self.refused(n1, -5, "media not held by this node", "market_getmedia", ids[0])
        for i, d in zip(ids[1:], shots[1:]):
            assert_equal(base64.b64decode(n1.cli("market_getmedia", i)["data"]), d)
        assert_equal(base64.b64decode(n1.cli("market_getmedia", self.vase)["data"])[:6], b"GIF89a")
        # A listing naming three such photos: node 1 keeps the two that fit
        # beside the vase's, evicting the unnamed ones, and never a named
        # one for another.
        named = [jpeg(400 * 1000 + 10 + i) for i in range(3)]
        want = [n0.cli("market_addmedia", self.photo_file("chair%d.jpg" % i, d))["id"]
                for i, d in enumerate(named)]
        n0.cli("market_createlisting", {"title": "Three chairs", "price": 5, "media": want},
               {"fee": FEE}, wallet="seller")
        self.mine()
        wait_until(lambda: self.info(n1)["named"] == 3, timeout=30,
                   what="node 1 kept the two photos that fit")
        info = self.info(n1)
        assert_equal((info["blobs"], info["named"]), (3, 3))
        assert info["bytes"] <= 1 << 20, info
        held = [i for i in want if self._held(n1, i)]
        assert_equal(len(held), 2)
        # Now named photos fill it: a new one is refused in words.
        self.refused(n1, -1, "the media store is full", "market_addmedia",
                     self.photo_file("one-more.jpg", jpeg(300 * 1000)))
        self.restart_node(1)
        self.connect_nodes(0, 1)
        self.connect_nodes(1, 2)

    def photo_file(self, name, data):
        """A photo as a file (a path on the command line; its base64 would
        not fit in one argument)."""
        path = os.path.join(self.options.tmpdir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def _held(self, node, media_id):
        try:
            node.cli("market_getmedia", media_id)
            return True
        except CliError:
            return False

    def chat_through_cli(self):
        n0, n1, n2 = self.nodes
        self.log.info("seller and buyer, two nodes apart, exchange a text and an image with souk-cli")
        sent = n2.cli("chat_send", self.seller, "Is the lamp still for sale?", wallet="buyer")
        wait_until(lambda: len(n0.cli("chat_list", {"with": self.buyer}, wallet="seller")) == 1,
                   timeout=30, what="the text reached the seller")
        got = n0.cli("chat_get", sent["id"], wallet="seller")
        assert_equal((got["direction"], got["text"], got["counterparty"]),
                     ("in", "Is the lamp still for sale?", self.buyer))
        path = os.path.join(self.options.tmpdir, "lamp.png")
        with open(path, "wb") as f:
            f.write(self.front)
        img = n0.cli("chat_sendfile", self.buyer, path, wallet="seller")
        assert_equal(img["mime"], "image/png")
        wait_until(lambda: len(n2.cli("chat_list", {"with": self.seller}, wallet="buyer")) == 2,
                   timeout=30, what="the image reached the buyer")
        got = n2.cli("chat_get", img["id"], wallet="buyer")
        assert_equal((got["direction"], got["kind"], got["mime"], got["name"]),
                     ("in", "attachment", "image/png", "lamp.png"))
        assert_equal(base64.b64decode(got["data"]), self.front)

if __name__ == "__main__":
    MarketMediaTest().main()

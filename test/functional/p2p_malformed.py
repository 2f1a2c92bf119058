#!/usr/bin/env python3
"""A hostile Python peer sends every kind of malformed message (doc/protocol.md,
"Violations and misbehaviour"): bad magic, bad checksum, oversize length,
truncated body then close, non-canonical msgpack, bodies of the wrong shape,
bad command strings, unknown commands, payloads of the wrong shape, messages
before the handshake and a second version, an invalid header, an invalid
block, an invalid tx, 10,000 junk inventories, a self-connection. After each
the node is alive, serves RPC and keeps its chain; where the document says so
the peer is disconnected (its address would be discouraged, but a local one
never is, so it may connect again at once), and otherwise the peer stays
connected."""

import os
import random
import struct
import time

from test_framework import msgpack
from test_framework.messages import COIN, Block, BlockHeader, Tx, coinbase_tx
from test_framework.p2p import (MAGIC, MAX_BODY, MSG_BLOCK, MSG_TX, P2PInterface, P2PListener, frame,
                                message_body, msg_version)
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, wait_until


class P2PMalformedTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    # -- helpers ----------------------------------------------------------------
    def try_connect(self, **kw):
        """A new peer and whether the node completed the handshake with it."""
        return self.node.try_p2p_connection(P2PInterface(**kw))

    def raw_peer(self):
        """Connected, but sends no version: the handshake is the test's business."""
        p = P2PInterface(send_version=False)
        p.connect("127.0.0.1", self.node.p2p_port)
        self.node.p2ps.append(p)
        return p

    def peer(self, **kw):
        p, ok = self.try_connect(**kw)
        assert ok, "the node refused a peer that should be welcome"
        return p

    def check_node(self):
        """Alive, serving RPC, on the same chain."""
        assert self.node.process.poll() is None, "soukd died"
        assert_equal(self.node.getbestblockhash(), self.tip)
        assert_equal(self.node.getstateinfo()["state_hash"], self.state)

    def no_peers_left(self):
        wait_until(lambda: self.node.getconnectioncount() == 0, timeout=10, what="node dropped the peer")

    def expect_discouraged(self, p, what):
        """Misbehaviour: disconnected. Every test peer is local (127.0.0.1), and a
        local address is never discouraged (as in Bitcoin Core), so a new
        connection from it is welcome at once; the node says why in its log."""
        assert p.wait_for_disconnect(10), "%s: the node kept the connection" % what
        self.check_node()
        self.no_peers_left()
        self.node.disconnect_p2ps()
        self.peer()   # not discouraged: a local peer
        assert self.node.debug_log_contains("is local: disconnected, not discouraged")
        self.node.disconnect_p2ps()
        self.no_peers_left()
        self.log.info("  %s: disconnected (local: not discouraged)", what)

    def expect_disconnected_only(self, p, what):
        assert p.wait_for_disconnect(10), "%s: the node kept the connection" % what
        self.check_node()
        self.node.disconnect_p2ps()
        self.no_peers_left()
        self.peer()   # not discouraged
        self.node.disconnect_p2ps()
        self.no_peers_left()
        self.log.info("  %s: disconnected, not discouraged", what)

    def expect_kept(self, p, what, score=None):
        p.sync_with_ping()
        assert p.is_connected
        self.check_node()
        if score is not None:
            peers = self.node.getpeerinfo()
            assert_equal(len(peers), 1)
            assert_equal(peers[0]["misbehavior"], score)
        self.node.disconnect_p2ps()
        self.no_peers_left()
        self.log.info("  %s: peer kept", what)

    def block_on_tip(self, amount=None, txs=()):
        t = self.node.getblocktemplate()
        cb = coinbase_tx(t["height"], self.key.pubkey, t["coinbasevalue"] if amount is None else amount, b"p2p")
        blk = Block(BlockHeader(bytes.fromhex(t["previousblockhash"]), b"", t["curtime"], int(t["bits"], 16), 0),
                    [cb] + list(txs))
        blk.update_merkle_root()
        assert blk.solve()
        return blk

    def announce_and_send(self, bad, what):
        """Announce bad by header, wait for the node's getdata (a few seconds at most), send the block."""
        p = self.peer()
        m = p.mark()
        p.send_headers([bad])
        p.wait_until(lambda: any(c == "getdata" and [MSG_BLOCK, bad.hash()] in x for c, x in p.messages[m:]), 10,
                     raise_on_timeout=False)
        p.send_block(bad)
        self.expect_discouraged(p, what)
        assert_equal(self.node.getbestblockhash(), self.tip)

    # -- the test ---------------------------------------------------------------
    def run_test(self):
        # the Python framing itself against the examples of doc/protocol.md
        assert_equal(frame(message_body("verack", [])).hex(),
                     "72736f6b" "09000000" "bf556b36" "92a676657261636b90")
        assert_equal(frame(message_body("ping", [0x0102030405060708]))[8:12].hex(), "28ac4477")

        self.node = node = self.nodes[0]
        self.key, addr = self.new_key()
        self.spender, spender_addr = self.new_key()
        self.generate(node, 1, spender_addr)
        self.generate(node, 100, addr)
        self.tip = node.getbestblockhash()
        self.state = node.getstateinfo()["state_hash"]

        self.framing()
        self.bodies()
        self.payloads()
        self.handshake()
        self.chain_objects()
        self.junk_inventories()
        self.self_connection()
        assert_equal(node.getblockcount(), 102)
        self.log.info("node alive with %d blocks after all of it", node.getblockcount())

    def framing(self):
        self.log.info("framing violations")
        body = message_body("ping", [1])

        p = self.peer()
        p.send_frame(body, magic=MAGIC["main"])
        self.expect_discouraged(p, "bad magic")

        p = self.peer()
        p.send_raw(b"\x00" * 12 + body)
        self.expect_discouraged(p, "zero magic")

        p = self.peer()
        p.send_frame(body, csum=b"\x00\x00\x00\x00")
        self.expect_discouraged(p, "bad checksum")

        p = self.peer()
        p.send_raw(MAGIC["regtest"] + struct.pack("<I", MAX_BODY + 1) + b"\x00" * 4)   # header alone
        self.expect_discouraged(p, "length over 8 MiB (header only)")

        p = self.peer()
        p.send_raw(MAGIC["regtest"] + struct.pack("<I", 0xffffffff) + b"\xff" * 4)
        self.expect_discouraged(p, "length 4 GiB")

        # A frame of exactly the maximum size is allowed by framing (then refused as a bad body).
        self.log.info("  (sending a body of exactly 8 MiB)")
        p = self.peer()
        big = b"\x93" + os.urandom(MAX_BODY - 1)
        try:
            p.send_raw(frame(big))
        except OSError:
            pass   # refused from its first byte (no body starts 0x93): the node need not read on
        self.expect_discouraged(p, "8 MiB of junk body")

        # Partial frames come from quiet peers: an automatic reply (pong, headers) written in
        # the middle of our partial frame would corrupt it on our side.
        # Half-closing and waiting for the node to close its side proves it read the partial
        # frame and then the end of the stream (TCP delivers them in that order).
        p = self.peer()
        p.go_quiet()
        whole = frame(message_body("ping", [2]))
        p.send_raw(whole[:len(whole) - 3])   # truncated body, then close
        p.shutdown_write()
        assert p.wait_for_disconnect(10), "truncated body then close: the node kept its side open"
        p.close()
        self.check_node()
        self.no_peers_left()
        self.expect_kept(self.peer(), "truncated body then close (next peer)")

        p = self.peer()
        p.go_quiet()
        p.send_raw(whole[:7])   # truncated header, then close
        p.shutdown_write()
        assert p.wait_for_disconnect(10), "truncated header then close: the node kept its side open"
        p.close()
        self.check_node()
        self.no_peers_left()

        # A frame split into single bytes is still one good frame.
        p = self.peer()
        p.go_quiet()
        for b in frame(message_body("ping", [3])):
            p.send_raw(bytes([b]))
        p.wait_for_message("pong", predicate=lambda x: x == [3])
        self.expect_kept(p, "frame sent byte by byte")

    def bodies(self):
        self.log.info("bodies that are not canonical [command, payload]")
        cases = [
            ("non-canonical uint in the payload",
             msgpack.raw_array_header(2, 0) + msgpack.encode("ping") + msgpack.raw_array_header(1, 0) +
             msgpack.raw_uint(5, 8)),
            ("non-canonical array header of the body",
             msgpack.raw_array_header(2, 2) + msgpack.encode("ping") + msgpack.encode([5])),
            ("non-canonical str header of the command",
             msgpack.raw_array_header(2, 0) + msgpack.raw_str_header(4, 1) + b"ping" + msgpack.encode([5])),
            ("trailing byte after the body", message_body("ping", [5]) + b"\x00"),
            ("body of one element", msgpack.encode(["ping"])),
            ("body of three elements", msgpack.encode(["ping", [5], []])),
            ("command as bin", msgpack.encode([b"ping", [5]])),
            ("payload not an array", msgpack.encode(["ping", 5])),
            ("body a map", b"\x81\xa4ping\x91\x05"),
            ("body a float", b"\xcb" + b"\x00" * 8),
            ("empty body", b""),
            ("garbage body", bytes(range(200))),
            ("command in upper case", message_body("PING", [5])),
            ("empty command", message_body("", [])),
            ("command of 13 letters", message_body("abcdefghijklm", [])),
            ("command with a dash", message_body("get-data", [])),
            ("command with invalid UTF-8", msgpack.raw_array_header(2, 0) + b"\xa2\xc3\x28" + b"\x90"),
        ]
        for what, body in cases:
            p = self.peer()
            p.send_frame(body)
            self.expect_discouraged(p, what)

        p = self.peer()
        p.send_message("foobar", [])
        p.send_message("zz9", [1, b"x", ["y"]])
        p.send_message("abcdefghijkl", [])   # 12 letters: allowed
        self.expect_kept(p, "unknown commands")

    def payloads(self):
        self.log.info("payloads of known commands with the wrong shape")
        h = bytes(32)
        cases = [
            ("ping without nonce", "ping", []),
            ("ping with a str nonce", "ping", ["x"]),
            ("ping with two nonces", "ping", [1, 2]),
            ("ping with a negative nonce", "ping", [-1]),
            ("inv item of one element", "inv", [[MSG_TX]]),
            ("inv item with a short hash", "inv", [[MSG_TX, b"\x01" * 31]]),
            ("inv of 50,001 items", "inv", [[MSG_TX, h]] * 50_001),
            ("getdata item type as str", "getdata", [["tx", h]]),
            ("getheaders without stop hash", "getheaders", [[h]]),
            ("getheaders with an empty locator", "getheaders", [[], b""]),
            ("getheaders with 102 locator hashes", "getheaders", [[h] * 102, b""]),
            ("headers of 2,001 headers", "headers", [[1, h, h, 0, 0x207fffff, 0]] * 2001),
            ("header of five fields", "headers", [[1, h, h, 0, 0x207fffff]]),
            ("addr of 1,001 entries", "addr", [[int(time.time()), 1, b"\x00" * 16, 1]] * 1001),
            ("addr with a 4-byte ip", "addr", [[int(time.time()), 1, b"\x7f\x00\x00\x01", 1]]),
            ("addr with port 65536", "addr", [[int(time.time()), 1, b"\x00" * 16, 65536]]),
            ("tx as a str", "tx", ["deadbeef"]),
            ("tx of six fields", "tx", [1, 1, b"\x00" * 32, 0, 0, []]),
            ("block of one element", "block", [[1, h, h, 0, 0x207fffff, 0]]),
        ]
        for what, cmd, payload in cases:
            p = self.peer()
            p.send_message(cmd, payload)
            self.expect_discouraged(p, what)

    def handshake(self):
        self.log.info("handshake misbehaviour")
        # Before the handshake: ignored (no pong), 10 points each.
        p = self.raw_peer()
        for n in range(8):
            p.send_message("ping", [100 + n])
        p.send_message("inv", [[MSG_TX, os.urandom(32)]])   # nine messages: 90 points
        wait_until(lambda: (self.node.peer_info(p) or {}).get("misbehavior") == 90, timeout=10,
                   what="the nine pre-handshake messages scored")
        assert p.is_connected
        p.do_send_version()
        p.wait_for_verack()
        p.sync_with_ping()
        assert not any(c == "pong" and x[0] < 200 for c, x in p.messages), "pre-handshake ping was answered"
        # 100 points reached by a second version
        p.do_send_version()
        self.expect_discouraged(p, "ten messages before the handshake, then a second version")

        p = self.peer()
        p.do_send_version()
        self.expect_kept(p, "one second version (10 points)")

        p = self.raw_peer()
        p.send_message("version", msg_version(p.nonce, protocol_version=0))
        self.expect_disconnected_only(p, "version with protocol_version 0")

        # a version of the wrong shape is a malformed payload
        p = self.raw_peer()
        p.send_message("version", [1, 0, 0, "/x/", p.nonce, int(time.time())])
        self.expect_discouraged(p, "version of six fields")
        p = self.raw_peer()
        p.send_message("version", msg_version(p.nonce, user_agent="x" * 257))
        self.expect_discouraged(p, "version with a 257-byte user agent")

    def chain_objects(self):
        self.log.info("invalid headers, blocks and transactions")
        node = self.node

        # a valid block from Python is accepted: the invalid cases below are invalid for their flaw alone
        good = self.block_on_tip()
        p = self.peer()
        m = p.mark()
        p.add_blocks([good])
        p.send_headers([good])
        p.wait_for_getdata(MSG_BLOCK, good.hash(), since=m)   # served by on_getdata
        wait_until(lambda: node.getbestblockhash() == good.hash().hex(), timeout=10, what="python block accepted")
        self.tip = good.hash().hex()
        self.state = node.getstateinfo()["state_hash"]
        self.expect_kept(p, "a valid block announced by header and served")

        # a header more than 2 h ahead of the node's clock may become valid:
        # not stored, not misbehaviour (as Bitcoin Core treats time-too-new)
        early = self.block_on_tip()
        early.header.time = int(time.time()) + 3 * 3600
        early.update_merkle_root()
        assert early.solve()
        p = self.peer()
        p.send_headers([early])
        self.expect_kept(p, "header 3 h in the future", score=0)
        assert_equal(node.getbestblockhash(), self.tip)
        assert all(t["hash"] != early.hash().hex() for t in node.getchaintips())

        # header with bad proof of work
        bad = self.block_on_tip()
        while bad.meets_target():
            bad.header.nonce += 1
        p = self.peer()
        p.send_headers([bad])
        self.expect_discouraged(p, "header without proof of work")

        # headers that do not chain
        a, b = self.block_on_tip(), self.block_on_tip(amount=1)
        p = self.peer()
        p.send_headers([a, b])   # b's parent is the tip, not a
        self.expect_discouraged(p, "headers not each the parent of the next")

        # block breaking a consensus rule (coinbase pays too much), announced then served
        bad = self.block_on_tip(amount=51 * COIN)
        self.announce_and_send(bad, "block with too large a coinbase")

        # block whose merkle root does not match its txs
        bad = self.block_on_tip()
        bad.header.merkle_root = bytes(32)
        bad.solve()
        self.announce_and_send(bad, "block with a wrong merkle root")

        # a block holding a tx whose signature fails: refused; the same bytes
        # from the next connection cost a lookup, not another signature check
        raw = bytes.fromhex(self.make_transfer(self.spender, 0, self.key, COIN, 1000))
        forged = Tx.deserialize(raw)
        forged.sig = bytes([forged.sig[0] ^ 1]) + forged.sig[1:]
        bad = self.block_on_tip(txs=[forged])
        checks = node.getmempoolinfo()["signature_checks"]
        self.announce_and_send(bad, "block with a tx whose signature fails")
        assert node.getmempoolinfo()["signature_checks"] > checks
        checks = node.getmempoolinfo()["signature_checks"]
        p = self.peer()
        p.send_block(bad)   # unannounced: the node's answer is a lookup
        self.expect_discouraged(p, "the same invalid block again")
        assert_equal(node.getmempoolinfo()["signature_checks"], checks)
        p = self.peer()
        p.send_headers([bad])   # its header is known invalid too now
        self.expect_discouraged(p, "the invalid block's header again")
        assert any(t["hash"] == bad.hash().hex() and t["status"] == "invalid"
                   for t in node.getchaintips())

        # tx with a bad signature
        raw = bytes.fromhex(self.make_transfer(self.spender, 0, self.key, COIN, 1000))
        tx = Tx.deserialize(raw)
        tx.sig = bytes([tx.sig[0] ^ 1]) + tx.sig[1:]
        p = self.peer()
        p.send_tx(tx)
        self.expect_discouraged(p, "tx with a bad signature")
        assert_equal(node.getrawmempool(), [])

        # tx of an unknown type (a newer node's): never misbehaviour, never kept
        raw = Tx(99, b"", 0, 1000, [], b"").sign(self.spender, bytes.fromhex(node.getblockhash(0)))
        p = self.peer()
        p.send_tx(raw)
        self.expect_kept(p, "tx of an unknown type", score=0)
        assert_equal(node.getrawmempool(), [])

        # a field out of its bounds (a transfer of 0) is the sender's own mistake
        tx = Tx.deserialize(bytes.fromhex(self.make_transfer(self.spender, 0, self.key, COIN, 1000)))
        tx.payload[1] = 0
        tx = tx.sign(self.spender, bytes.fromhex(node.getblockhash(0)))
        p = self.peer()
        p.send_tx(tx)
        self.expect_discouraged(p, "transfer of zero coins")

        # tx refused for state reasons: dropped, peer kept
        poor, _ = self.new_key()
        tx = Tx.deserialize(bytes.fromhex(self.make_transfer(poor, 0, self.key, COIN, 1000)))
        p = self.peer()
        p.send_tx(tx)
        self.expect_kept(p, "tx from an account without funds", score=0)
        tx = Tx.deserialize(bytes.fromhex(self.make_transfer(self.spender, 5, self.key, COIN, 1000)))
        p = self.peer()
        p.send_tx(tx)
        p.sync_with_ping()
        self.expect_kept(p, "tx with a future nonce", score=0)
        # a good tx through the same path is accepted
        tx = Tx.deserialize(bytes.fromhex(self.make_transfer(self.spender, 0, self.key, COIN, 1000)))
        p = self.peer()
        p.send_tx(tx)
        wait_until(lambda: tx.txid().hex() in node.getrawmempool(), timeout=10, what="python tx in mempool")
        self.expect_kept(p, "a valid tx")

    def junk_inventories(self):
        self.log.info("10,000 junk inventories")
        node = self.node
        pool = node.getrawmempool()
        p = self.peer()
        rng = random.Random(5)
        p.send_inv([[MSG_TX, rng.randbytes(32)] for _ in range(10_000)])
        p.send_inv([[MSG_BLOCK, rng.randbytes(32)] for _ in range(10_000)])
        p.send_inv([[77, rng.randbytes(32)] for _ in range(10_000)])   # unknown type: ignored
        p.sync_with_ping(timeout=60)
        requested = sum(len(r) for r in p.getdata_requests)
        self.log.info("  the node asked for %d of them (answered with notfound)", requested)
        p.sync_with_ping(timeout=60)
        self.check_node()
        assert_equal(node.getrawmempool(), pool)
        # and getdata for 10,000 unknown items is answered with notfound
        m = p.mark()
        p.send_getdata([[MSG_TX, rng.randbytes(32)] for _ in range(10_000)])
        nf = p.wait_for_message("notfound", timeout=30, since=m)
        assert len(nf) > 0
        self.expect_kept(p, "30,000 junk inventories and 10,000 junk getdata")

    def self_connection(self):
        self.log.info("self-connection detection through the version nonce")
        listener = P2PListener()
        try:
            self.node.addnode("127.0.0.1:%d" % listener.port, "onetry")
            outer = listener.accept(P2PInterface(send_version=False), timeout=20)
            self.node.p2ps.append(outer)
            outer.wait_until(lambda: outer.peer_version is not None, 10, what="node's version")
            node_nonce = outer.peer_version[4]
            # now show the node its own nonce on an inbound connection: it must drop it
            p, ok = self.try_connect(nonce=node_nonce)
            assert not ok, "the node completed a handshake with its own nonce"
            assert p.wait_for_disconnect(10)
            self.check_node()
        finally:
            listener.close()
        self.node.disconnect_p2ps()
        self.no_peers_left()
        self.expect_kept(self.peer(), "self-connection dropped (not discouraged)")


if __name__ == "__main__":
    P2PMalformedTest().main()

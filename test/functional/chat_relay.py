#!/usr/bin/env python3
"""Chat envelopes relayed between nodes and kept until they expire.

Three nodes in a line. Envelopes are built here the way a wallet app builds
them (doc/chat.md): canonical msgpack, the sender's BIP340 signature over
the tagged hash of every field but the nonce, a proof-of-work stamp (1 bit
on regtest); the ciphertext is opaque to nodes, so random bytes stand in
for it. Checks: chat_sendrawenvelope on node 0 reaches node 2 through
node 1, byte for byte, once; chat_decodeenvelope gives the same id and
fields; every rule refuses with its reason over RPC and changes nothing;
a P2P peer relaying a forged envelope is disconnected, one relaying a
well-formed one gets it kept and relayed; a node that was down catches up
from its peer's inventory on reconnecting; a peer pushing unrequested
envelopes past the rate limit is disconnected, and one pushing 10,000
distinct valid envelopes in one burst too, with the node's memory bounded
and the node serving on; envelopes expire from every store when their ttl
runs out (mock time)."""
import os
import time

from test_framework import msgpack
from test_framework.bech32m import encode_address
from test_framework.key import ECKey, sha256, tagged_hash
from test_framework.msgpack import RawBytes, raw_uint
from test_framework.p2p import P2PInterface, frame, inv_item, message_body
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, assert_raises_rpc_error, wait_until

TAG = "souk/chat/envelope"
BURST = 10000


class Envelope:
    def __init__(self, sender, recipient, ciphertext, timestamp=None, ttl=3600, order_id=b""):
        self.sender = sender            # ECKey
        self.recipient = recipient      # 32-byte x-only key
        self.ciphertext = ciphertext
        self.timestamp = int(time.time()) if timestamp is None else timestamp
        self.ttl = ttl
        self.order_id = order_id
        self.nonce = 0
        self.sig = bytes(64)

    def fields(self, nonce=None, signed_only=False):
        f = [1, self.sender.pubkey, self.recipient, self.timestamp, self.ttl, self.order_id]
        if not signed_only:
            f.append(self.nonce if nonce is None else nonce)
        f.append(self.ciphertext)
        if not signed_only:
            f.append(self.sig)
        return f

    def sign(self):
        self.sig = self.sender.sign(tagged_hash(TAG, msgpack.encode(self.fields(signed_only=True))))
        return self

    def id(self):
        return sha256(msgpack.encode(self.fields(nonce=0)))

    def stamp_ok(self, nonce, bits):
        h = sha256(self.id() + nonce.to_bytes(8, "little"))
        return int.from_bytes(h, "big") >> (256 - bits) == 0 if bits else True

    def stamp(self, bits=1, good=True):
        """The first nonce that meets (or, good=False, fails) the work."""
        n = 0
        while self.stamp_ok(n, bits) != good:
            n += 1
        self.nonce = n
        return self

    def encode(self):
        return msgpack.encode(self.fields())


class ChatRelayTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 3

    def setup_network(self):
        self.setup_nodes()
        self.connect_line()

    def envelope(self, **kw):
        alice, bob = ECKey(), ECKey()
        return Envelope(alice, bob.pubkey, os.urandom(kw.pop("size", 200)), **kw).sign().stamp()

    def counts(self):
        return [n.chat_getinfo()["messages"] for n in self.nodes]

    def refused(self, code, reason, hexstr):
        before = self.counts()
        assert_raises_rpc_error(code, reason, self.nodes[0].chat_sendrawenvelope, hexstr)
        assert_equal(self.counts(), before)

    def run_test(self):
        n0, n1, n2 = self.nodes
        self.log.info("an envelope sent on node 0 reaches node 2 through node 1, byte for byte")
        e = self.envelope()
        raw = e.encode()
        mid = n0.chat_sendrawenvelope(raw.hex())
        assert_equal(mid, e.id().hex())
        wait_until(lambda: self.counts() == [1, 1, 1], timeout=30, what="the envelope relayed")
        d = n2.chat_decodeenvelope(raw.hex())
        assert_equal((d["id"], d["valid"], d["ttl"], d["ciphertext_size"]), (mid, True, 3600, 200))
        assert_equal(d["sender"], encode_address(e.sender.pubkey, "regtest"))
        assert_equal(d["pow_bits"], 1)
        # node 2 serves it to a peer that asks, as it was sent
        p = n2.add_p2p_connection(P2PInterface())
        since = p.mark()
        p.send_message("getdata", [inv_item(3, mid)])
        assert_equal(msgpack.encode(p.wait_for_message("chat", since=since)), raw)
        n2.disconnect_p2ps()
        # the same again: accepted, not stored twice
        assert_equal(n1.chat_sendrawenvelope(raw.hex()), mid)
        assert_equal(self.counts(), [1, 1, 1])

        self.log.info("every rule refuses over RPC, with its reason, and nothing is kept")
        forged = self.envelope()
        forged.ciphertext = os.urandom(200)   # signed over other bytes
        forged.stamp()
        self.refused(-26, "envelope-bad-sig", forged.encode().hex())
        weak = self.envelope().stamp(bits=1, good=False)
        self.refused(-26, "envelope-low-work", weak.encode().hex())
        late = self.envelope(timestamp=int(time.time()) - 7200, ttl=60)
        self.refused(-26, "envelope-expired", late.encode().hex())
        ahead = self.envelope(timestamp=int(time.time()) + 3 * 3600)
        self.refused(-26, "envelope-future", ahead.encode().hex())
        long_lived = self.envelope(ttl=7 * 24 * 3600 + 1)
        self.refused(-26, "envelope-ttl", long_lived.encode().hex())
        big = self.envelope(size=256 * 1024 + 1)
        self.refused(-22, "envelope-oversize", big.encode().hex())
        # the same values, the timestamp written as a uint64: not canonical
        ok = self.envelope()
        f = ok.fields()
        f[3] = RawBytes(raw_uint(ok.timestamp, 8))
        self.refused(-22, "envelope-malformed", msgpack.encode(f).hex())
        self.refused(-22, "envelope-malformed", raw.hex() + "00")
        v2 = ok.fields()
        v2[0] = 2
        self.refused(-22, "envelope-version", msgpack.encode(v2).hex())
        d = n0.chat_decodeenvelope(weak.encode().hex())
        assert_equal((d["valid"], d["reject-reason"]), (False, "envelope-low-work"))

        self.log.info("a peer relaying a forged envelope is disconnected; a good one is kept and relayed")
        p = n2.add_p2p_connection(P2PInterface())
        p.send_message("chat", RawBytes(forged.encode()))
        assert p.wait_for_disconnect(10), "the node kept a peer that relayed a forged envelope"
        assert n2.debug_log_contains("misbehaving (+100 = 100): chat")
        n2.disconnect_p2ps()
        good = self.envelope()
        p = n2.add_p2p_connection(P2PInterface())
        p.send_message("chat", RawBytes(good.encode()))
        wait_until(lambda: self.counts() == [2, 2, 2], timeout=30, what="the peer's envelope relayed")
        assert p.is_connected
        n2.disconnect_p2ps()

        self.log.info("a node that was down gets what was sent meanwhile, from its peer, on reconnecting")
        self.stop_node(2)
        missed = [self.envelope() for _ in range(3)]
        for m in missed:
            n0.chat_sendrawenvelope(m.encode().hex())
        wait_until(lambda: [n.chat_getinfo()["messages"] for n in (n0, n1)] == [5, 5], timeout=30,
                   what="the envelopes relayed to node 1")
        self.start_node(2)
        assert_equal(n2.chat_getinfo()["messages"], 2)
        self.connect_nodes(1, 2)
        wait_until(lambda: n2.chat_getinfo()["messages"] == 5, timeout=30,
                   what="node 2 caught up from node 1")
        for m in missed:
            assert_equal(n2.chat_decodeenvelope(m.encode().hex())["valid"], True)

        self.log.info("a peer pushing unrequested envelopes past the rate limit is dropped; the node serves on")
        flood = self.envelope()
        p = n2.add_p2p_connection(P2PInterface())
        body = RawBytes(flood.encode())
        for _ in range(800):
            if not p.is_connected:
                break
            try:
                p.send_message("chat", body)
            except ConnectionError:
                break  # the node cut it off between the check and the send
        assert p.wait_for_disconnect(30), "the node kept a flooding peer"
        assert n2.debug_log_contains("unrequested objects beyond the rate limit")
        n2.disconnect_p2ps()
        assert_equal(n2.chat_getinfo()["messages"], 6)   # the one envelope, once
        assert_equal(n2.getblockcount(), n0.getblockcount())

        self.burst_of_distinct_envelopes()

        self.log.info("expired envelopes leave every store")
        later = int(time.time()) + 3601 + 60
        for n in self.nodes:
            n.setmocktime(later)
        assert_equal(self.counts(), [0, 0, 0])
        for n in self.nodes:
            assert_equal(n.chat_getinfo()["bytes"], 0)

    def burst_of_distinct_envelopes(self):
        """10,000 distinct, correctly signed and stamped envelopes pushed
        unrequested in one burst: the node takes what the peer's allowance
        lets through, drops the rest unread, disconnects the peer and serves
        on, its memory bounded."""
        n0, n1, n2 = self.nodes
        self.log.info("10,000 distinct valid envelopes in one burst: the peer is cut off, the node serves on")
        n0.createwallet("burst")
        n0.getnewaddress()
        to = encode_address(ECKey().pubkey, "regtest")
        envs = []
        for i in range(BURST):
            raw = bytes.fromhex(n0.createenvelope(to, msgpack.encode([0, "offer %d" % i]).hex(),
                                                  {"ttl": 3600})["hex"])
            mid, nonce = sha256(raw), 0
            while sha256(mid + nonce.to_bytes(8, "little"))[0] & 0x80:
                nonce += 1
            f = msgpack.decode(raw)
            f[6] = nonce
            envs.append(msgpack.encode(f))
        pid = n2.process.pid
        with open("/proc/%d/maps" % pid) as f:
            asan = "libasan" in f.read()
        rss_before = rss_mb(pid)
        before = n2.chat_getinfo()["messages"]
        p = n2.add_p2p_connection(P2PInterface())
        try:
            p.send_raw(b"".join(frame(message_body("chat", RawBytes(e))) for e in envs))
        except ConnectionError:
            pass  # cut off before the burst was all written: what the test expects
        assert p.wait_for_disconnect(60), "the node kept a peer that pushed 10,000 envelopes"
        n2.disconnect_p2ps()
        kept = n2.chat_getinfo()["messages"] - before
        self.log.info("kept %d of the burst; resident memory %.1f -> %.1f MB", kept, rss_before,
                      rss_mb(pid))
        assert 0 < kept < 1000, kept
        if not asan:
            assert rss_mb(pid) - rss_before < 64, "resident memory grew %.1f MB" % (rss_mb(pid) - rss_before)
        # it serves on: a new peer gets one of the kept envelopes, RPC answers
        served = [e for e in envs if n2.chat_decodeenvelope(e.hex())["valid"]][:1]
        p = n2.add_p2p_connection(P2PInterface())
        since = p.mark()
        mid = sha256(msgpack.encode(msgpack.decode(served[0])[:6] + [0] + msgpack.decode(served[0])[7:]))
        p.send_message("getdata", [inv_item(3, mid)])
        assert_equal(msgpack.encode(p.wait_for_message("chat", since=since)), served[0])
        n2.disconnect_p2ps()
        assert_equal(n2.getblockcount(), n0.getblockcount())


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS for pid %d" % pid)


if __name__ == "__main__":
    ChatRelayTest().main()

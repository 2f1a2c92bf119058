#!/usr/bin/env python3
"""Checks the framework's own codecs against published vectors and the
examples of doc/consensus.md. Needs no node.

These Python codecs are the second implementation the node is tested
against, so they must first agree with the specifications themselves."""

import csv
import json
import os

from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, assert_raises, assert_raises_message
from test_framework import msgpack as mp
from test_framework.msgpack import DecodeError
from test_framework.key import (ECKey, sign, verify, pubkey_from_secret, tagged_hash, sha256, lift_x,
                                generate_secret)
from test_framework.bech32m import (bech32m_encode, bech32m_decode, Bech32Error, encode_address,
                                    decode_address, convertbits)
from test_framework.messages import (Tx, BlockHeader, Block, merkle_root, genesis_block, genesis_hash,
                                     GENESIS, coinbase_tx, transfer_tx, bits_to_target, COIN)

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")


class FrameworkCodecsTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 0

    def run_test(self):
        self.test_msgpack_encoding()
        self.test_msgpack_rejects()
        self.test_bip340_vectors()
        self.test_bip340_roundtrip()
        self.test_bech32m_vectors()
        self.test_addresses()
        self.test_tx_example()
        self.test_header_example()
        self.test_merkle()
        self.test_genesis()
        self.test_sighash()

    # -- msgpack --------------------------------------------------------------
    def test_msgpack_encoding(self):
        self.log.info("msgpack: shortest forms at every boundary")
        cases = [
            (0, "00"), (0x7f, "7f"), (0x80, "cc80"), (0xff, "ccff"), (0x100, "cd0100"),
            (0xffff, "cdffff"), (0x10000, "ce00010000"), (0xffffffff, "ceffffffff"),
            (0x100000000, "cf0000000100000000"), ((1 << 64) - 1, "cfffffffffffffffff"),
            (-1, "ff"), (-32, "e0"), (-33, "d0df"), (-128, "d080"), (-129, "d1ff7f"),
            (-32768, "d18000"), (-32769, "d2ffff7fff"), (-(1 << 31), "d280000000"),
            (-(1 << 31) - 1, "d3ffffffff7fffffff"), (-(1 << 63), "d38000000000000000"),
            (b"", "c400"), (b"\x01\x02", "c4020102"), (b"\x00" * 255, "c4ff" + "00" * 255),
            (b"\x00" * 256, "c50100" + "00" * 256), (b"\x00" * 65536, "c600010000" + "00" * 65536),
            ("", "a0"), ("a" * 31, "bf" + "61" * 31), ("a" * 32, "d920" + "61" * 32),
            ("a" * 256, "da0100" + "61" * 256), ("é", "a2c3a9"),
            ([], "90"), ([1] * 15, "9f" + "01" * 15), ([1] * 16, "dc0010" + "01" * 16),
            ([0] * 65536, "dd00010000" + "00" * 65536),
            (None, "c0"), (False, "c2"), (True, "c3"),
            ([1, [b"\xaa", "x"], []], "9301" + "92c401aaa178" + "90"),
        ]
        for value, hexenc in cases:
            enc = bytes.fromhex(hexenc)
            assert_equal(mp.encode(value), enc)
            assert_equal(mp.decode(enc), list(value) if isinstance(value, tuple) else value)
        assert_raises(OverflowError, mp.encode, 1 << 64)
        assert_raises(OverflowError, mp.encode, -(1 << 63) - 1)

    def test_msgpack_rejects(self):
        self.log.info("msgpack: every non-canonical or forbidden form is rejected")
        noncanon_int = "integer not in shortest form"
        noncanon_len = "length prefix not in shortest form"
        bad = [
            (mp.raw_uint(5, 1), noncanon_int), (mp.raw_uint(0x80, 2), noncanon_int),
            (mp.raw_uint(0xffff, 4), noncanon_int), (mp.raw_uint(0xffffffff, 8), noncanon_int),
            (mp.raw_int(5, 1), noncanon_int), (mp.raw_int(-1, 1), noncanon_int),
            (mp.raw_int(-100, 2), noncanon_int), (mp.raw_int(0, 8), noncanon_int),
            (mp.raw_bin_header(0, 2), noncanon_len), (mp.raw_bin_header(3, 4) + b"abc", noncanon_len),
            (mp.raw_str_header(1, 1) + b"a", noncanon_len), (mp.raw_str_header(40, 2) + b"a" * 40, noncanon_len),
            (mp.raw_array_header(1, 2) + b"\x01", noncanon_len), (mp.raw_array_header(0, 4), noncanon_len),
            (b"\x80", "maps"), (b"\xde\x00\x00", "maps"), (b"\xca\x00\x00\x00\x00", "floats"),
            (b"\xcb" + b"\x00" * 8, "floats"), (b"\xd4\x01\x00", "ext"), (b"\xc7\x00\x01", "ext"),
            (b"\xc1", "reserved"), (b"", "truncated"), (b"\xcd\x01", "truncated"),
            (b"\xc4\x05abc", "truncated"), (b"\x92\x01", "truncated"), (b"\xdd\xff\xff\xff\xff", "truncated"),
            (b"\x01\x02", "trailing"), (b"\x90\x00", "trailing"),
            (b"\xa2\xc0\x80", "UTF-8"), (b"\xa3\xed\xa0\x80", "UTF-8"), (b"\xa1\xf5", "UTF-8"),
            (b"\xa1\x80", "UTF-8"), (b"\xa1\xc3", "UTF-8"), (b"\xa4\xf4\x90\x80\x80", "UTF-8"),
            (b"\x91" * 17 + b"\x90", "too deeply"),
        ]
        for data, msg in bad:
            assert_raises_message(DecodeError, msg, mp.decode, bytes(data))
        # Depth 16 is fine, and U+0000 and 4-byte UTF-8 are valid.
        assert_equal(mp.decode(b"\x91" * 15 + b"\x90"), eval("[" * 16 + "]" * 16))
        assert_equal(mp.decode(b"\xa5\x00\xf0\x9f\x98\x80"), "\x00\U0001F600")
        # The raw builders splice in exactly what they say.
        assert_equal(mp.encode([mp.raw_uint(5, 2), b"x"]), bytes.fromhex("92cd0005c40178"))

    # -- BIP340 ---------------------------------------------------------------
    def test_bip340_vectors(self):
        path = os.path.join(DATA, "bip340.csv")
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        self.log.info("BIP340: %d vectors from test/data/bip340.csv", len(rows))
        assert len(rows) >= 15, "too few BIP340 vectors"
        signed = 0
        for row in rows:
            pub = bytes.fromhex(row["public key"])
            msg = bytes.fromhex(row["message"])
            sig = bytes.fromhex(row["signature"])
            expected = row["verification result"].strip().upper() == "TRUE"
            if row["secret key"]:
                secret = bytes.fromhex(row["secret key"])
                assert_equal(pubkey_from_secret(secret).hex(), pub.hex())
                assert_equal(sign(secret, msg, bytes.fromhex(row["aux_rand"])).hex(), sig.hex())
                signed += 1
            got = verify(pub, msg, sig)
            if got != expected:
                raise AssertionError("BIP340 vector %s: verify=%s, expected %s (%s)" %
                                     (row["index"], got, expected, row["comment"]))
        assert signed >= 4

    def test_bip340_roundtrip(self):
        self.log.info("BIP340: fresh keys, aux randomness, tampering")
        for _ in range(3):
            k = ECKey()
            msg = os.urandom(32)
            s1, s2 = k.sign(msg), k.sign(msg)
            assert s1 != s2, "aux randomness must change the signature"
            assert verify(k.pubkey, msg, s1) and verify(k.pubkey, msg, s2)
            assert not verify(k.pubkey, bytes([msg[0] ^ 1]) + msg[1:], s1)
            assert not verify(k.pubkey, msg, s1[:63] + bytes([s1[63] ^ 1]))
            assert not verify(k.pubkey, msg, s1[:63])
            assert lift_x(k.pubkey) is not None
        assert_raises(ValueError, pubkey_from_secret, b"\x00" * 32)
        assert_equal(len(generate_secret()), 32)
        # TaggedHash as BIP340 defines it.
        th = sha256(b"souk/tx")
        assert_equal(tagged_hash("souk/tx", b"abc"), sha256(th + th + b"abc"))

    # -- bech32m --------------------------------------------------------------
    def test_bech32m_vectors(self):
        with open(os.path.join(DATA, "bech32m.json")) as f:
            v = json.load(f)
        self.log.info("bech32m: %d valid, %d invalid, %d bech32-only strings",
                      len(v["valid_bech32m"]), len(v["invalid_bech32m"]), len(v["valid_bech32_but_not_bech32m"]))
        for s in v["valid_bech32m"]:
            hrp, data = bech32m_decode(s)
            assert_equal(bech32m_encode(hrp, data), s.lower())
        for s in v["invalid_bech32m"] + v["valid_bech32_but_not_bech32m"]:
            assert_raises(Bech32Error, bech32m_decode, s)
        for s in v["valid_bech32_but_not_bech32m"]:
            bech32m_decode(s, allow_bech32=True)  # the checksum constant is the only difference

    def test_addresses(self):
        self.log.info("addresses: known keys, networks, malformed")
        g3 = bytes.fromhex("f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9")
        assert_equal(pubkey_from_secret((3).to_bytes(32, "big")), g3)
        known = {
            "main": "souk1lycg5qvjtrp3qjf5f7zl382j9x6nrjz9sdhenvyxq8c3808qxmusx7un0d",
            "test": "tsouk1lycg5qvjtrp3qjf5f7zl382j9x6nrjz9sdhenvyxq8c3808qxmuset3ugq",
            "regtest": "rsouk1lycg5qvjtrp3qjf5f7zl382j9x6nrjz9sdhenvyxq8c3808qxmusrjdydg",
        }
        for net, addr in known.items():
            assert_equal(encode_address(g3, net), addr)
            assert_equal(decode_address(addr, net), g3)
            assert_equal(decode_address(addr.upper(), net), g3)
            assert_equal(len(bech32m_decode(addr)[1]), 52)
        assert_raises_message(Bech32Error, "another network", decode_address, known["main"], "regtest")
        a = known["regtest"]
        assert_raises_message(Bech32Error, "mixed case", decode_address, a[:10] + a[10:].upper(), "regtest")
        flipped = a[:-1] + ("q" if a[-1] != "q" else "p")
        assert_raises_message(Bech32Error, "checksum", decode_address, flipped, "regtest")
        # 51 words (too short) and a version-style 53 words are both the wrong length.
        words = convertbits(g3, 8, 5, True)
        assert_raises_message(Bech32Error, "length", decode_address, bech32m_encode("rsouk", words[:51]), "regtest")
        assert_raises_message(Bech32Error, "length", decode_address, bech32m_encode("rsouk", [0] + words), "regtest")
        # Non-zero padding bits in the last word.
        padded = words[:51] + [words[51] | 1]
        assert_raises_message(Bech32Error, "padding", decode_address, bech32m_encode("rsouk", padded), "regtest")
        # x = 5 is not on the curve (5^3 + 7 = 132 is not a square mod p).
        off = (5).to_bytes(32, "big")
        assert lift_x(off) is None
        bad = bech32m_encode("rsouk", convertbits(off, 8, 5, True))
        assert_raises_message(Bech32Error, "curve", decode_address, bad, "regtest")

    # -- consensus objects ----------------------------------------------------
    def test_tx_example(self):
        self.log.info("tx: doc/consensus.md section 3 example")
        tx = Tx(1, b"\x11" * 32, 5, 1000, [b"\x22" * 32, 500, b""], b"\x33" * 64)
        enc = tx.serialize()
        expect = bytes.fromhex("970101c420" + "11" * 32 + "05cd03e8" + "93c420" + "22" * 32 + "cd01f4c400" +
                               "c440" + "33" * 64)
        assert_equal(enc, expect)
        assert_equal(len(enc), 147)
        assert_equal(tx.txid().hex(), "a48317e12254965df02b1a11d101509b60d538572d67073ab9e6fa4fd6033653")
        back = Tx.deserialize(enc)
        assert_equal(back.serialize(), enc)
        assert_equal(mp.encode(tx.unsigned_array())[0], 0x96)

    def test_header_example(self):
        self.log.info("header: doc/consensus.md section 4 example")
        h = BlockHeader(b"\xaa" * 32, b"\xbb" * 32, 1_700_000_000, 0x207fffff, 42)
        enc = h.serialize()
        assert_equal(enc.hex(), "9601c420" + "aa" * 32 + "c420" + "bb" * 32 + "ce6553f100ce207fffff2a")
        assert_equal(len(enc), 81)
        assert_equal(h.hash().hex(), "840a32adcf549d0268ba221bb5805a6bbc2f76aad35c53a077cc2b4395f96b0d")

    def test_merkle(self):
        self.log.info("merkle: RFC 6962 shape, empty, odd promotion")
        assert_equal(merkle_root([]).hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        ids = [sha256(bytes([i])) for i in range(7)]
        L = [sha256(b"\x00" + t) for t in ids]

        def N(a, b):
            return sha256(b"\x01" + a + b)
        assert_equal(merkle_root(ids[:1]), L[0])
        assert_equal(merkle_root(ids[:2]), N(L[0], L[1]))
        assert_equal(merkle_root(ids[:3]), N(N(L[0], L[1]), L[2]))
        assert_equal(merkle_root(ids[:5]), N(N(N(L[0], L[1]), N(L[2], L[3])), L[4]))
        assert_equal(merkle_root(ids[:7]), N(N(N(L[0], L[1]), N(L[2], L[3])), N(N(L[4], L[5]), L[6])))

        def rfc6962(items):  # the recursive definition, as a cross-check
            if len(items) == 1:
                return sha256(b"\x00" + items[0])
            k = 1
            while k * 2 < len(items):
                k *= 2
            return N(rfc6962(items[:k]), rfc6962(items[k:]))
        for n in range(1, 8):
            assert_equal(merkle_root(ids[:n]), rfc6962(ids[:n]))
        assert merkle_root(ids[:3]) != merkle_root(ids[:3] + ids[2:3]), "odd node must not be duplicated"

    def test_genesis(self):
        self.log.info("genesis: rebuild main, test and regtest from their inputs")
        for net in GENESIS:
            blk = genesis_block(net)
            assert_equal(blk.hash().hex(), genesis_hash(net).hex())
            assert blk.meets_target(), "%s genesis does not meet its own target" % net
            assert_equal(blk.txs[0].to_array()[2], b"")
            assert_equal(Block.deserialize(blk.serialize()).hash(), blk.hash())
            # The nonce is the smallest one that works.
            if blk.header.nonce < 100000:
                for n in range(blk.header.nonce):
                    blk.header.nonce = n
                    assert not blk.meets_target()
        assert_equal(bits_to_target(0x207fffff), 0x7fffff << 232)
        assert_equal(bits_to_target(0x1d00ffff), 0xffff << 208)

    def test_sighash(self):
        self.log.info("sighash: genesis-bound BIP340 signature over the unsigned 6-array")
        key = ECKey()
        to = ECKey().pubkey
        g = genesis_hash("regtest")
        tx = transfer_tx(key, g, 0, to, 5 * COIN, 1000, b"memo")
        assert_equal(tx.sender, key.pubkey)
        expect = tagged_hash("souk/tx", g + mp.encode([1, 1, key.pubkey, 0, 1000, [to, 5 * COIN, b"memo"]]))
        assert_equal(tx.sighash(g), expect)
        assert verify(key.pubkey, expect, tx.sig)
        # The same signature is bad on another network.
        assert not verify(key.pubkey, tx.sighash(genesis_hash("main")), tx.sig)
        cb = coinbase_tx(7, to, 50 * COIN, b"x")
        assert_equal(cb.serialize()[:5].hex(), "970100c400")


if __name__ == "__main__":
    FrameworkCodecsTest().main()

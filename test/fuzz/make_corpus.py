#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets (test/fuzz/corpus/<target>/).

The seeds are built with the functional tests' independent codecs, so they
are valid objects of every kind plus a few near misses; libFuzzer grows the
corpus from them. Run from the repository root; the output is committed."""
import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "functional"))

from test_framework import msgpack  # noqa: E402
from test_framework.bech32m import encode_address  # noqa: E402
from test_framework.key import ECKey  # noqa: E402
from test_framework.messages import (  # noqa: E402
    coinbase_tx, genesis_block, genesis_hash, transfer_tx)


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def txpayload_seeds(keys):
    """fuzz_txpayload: a table selector byte (0 coinbase, 1 transfer, 2 every
    kind) and a payload, valid or just outside a bound."""
    seeds = {
        "coinbase": b"\x00" + msgpack.encode([keys[0].pubkey, 50 * 10**8, b"x"]),
        "transfer": b"\x01" + msgpack.encode([keys[1].pubkey, 1, b""]),
        "transfer_zero": b"\x01" + msgpack.encode([keys[1].pubkey, 0, b""]),
        "all": b"\x02" + msgpack.encode([keys[0].pubkey, b"", b"\1" * 32, [b"\2" * 32, b"\3" * 32],
                                         5, 3, b"note", "a_name", "about"]),
        "all_arbiter": b"\x02" + msgpack.encode([keys[0].pubkey, keys[2].pubkey, b"\1" * 32, [],
                                                 1, 1000000, b"", "abc", ""]),
        "all_charset": b"\x02" + msgpack.encode([keys[0].pubkey, b"", b"\1" * 32, [], 5, 3, b"",
                                                 "A-Name", ""]),
    }
    for name, data in seeds.items():
        write("fuzz_txpayload", name, data)


def market_seeds(keys):
    """fuzz_market: a type selector byte (the index among the market's types,
    16..26 in order), the sender, and a payload: each type's valid payload and
    a few just outside a bound."""
    from test_framework import messages as m
    lid, oid = b"\x11" * 32, b"\x22" * 32
    payloads = [
        ("profile_set", m.profile_set("alice_shop", "hand-made")),
        ("listing_create", m.listing_create("Lamp", 5 * 10**8, 3, "brass", "home", [b"\x33" * 32], 500)),
        ("listing_update", m.listing_update(lid, "Lamp", 4 * 10**8, 2)),
        ("listing_close", m.listing_close(lid)),
        ("order_place", m.order_place(lid, 1, 5 * 10**8, keys[2].pubkey, 100, b"\x01\x02")),
        ("order_accept", m.order_accept(oid)),
        ("order_ship", m.order_ship(oid, b"\x03")),
        ("order_complete", m.order_complete(oid)),
        ("order_cancel", m.order_cancel(oid)),
        ("order_dispute", m.order_dispute(oid, "broken on arrival")),
        ("order_resolve", m.order_resolve(oid, 10**8)),
    ]
    near = [
        ("profile_set_upper", 0, m.profile_set("Alice", "")),
        ("profile_set_short", 0, m.profile_set("ab", "")),
        ("listing_create_zero_price", 1, m.listing_create("Lamp", 0, 1)),
        ("order_place_fee_high", 4, m.order_place(lid, 1, 1, keys[2].pubkey, 1001)),
        ("order_place_arbiter_is_buyer", 4, m.order_place(lid, 1, 1, keys[0].pubkey, 10)),
        ("order_dispute_bad_utf8", 9, [oid, "x"]),
    ]
    for i, (name, payload) in enumerate(payloads):
        write("fuzz_market", name, bytes([i]) + keys[0].pubkey + msgpack.encode(payload))
    for name, i, payload in near:
        write("fuzz_market", name, bytes([i]) + keys[0].pubkey + msgpack.encode(payload))
    # a str field holding bytes that are not UTF-8
    bad = msgpack.encode([oid, "x"])
    write("fuzz_market", "order_dispute_bad_utf8", bytes([9]) + keys[0].pubkey + bad[:-1] + b"\xff")


def ip16(text):
    """An address as the P2P layer keeps it: IPv6, IPv4 mapped."""
    import ipaddress
    a = ipaddress.ip_address(text)
    if a.version == 4:
        return b"\0" * 10 + b"\xff\xff" + a.packed
    return a.packed


def peers_seeds():
    """fuzz_p2p: peers.dat bodies (the target appends the checksum): new and
    tried entries, IPv6, a local address, stored buckets, other table sizes,
    and a few refused ones (duplicate, bad bucket, wrong version)."""
    now = 1795564800

    def entry(ip, port=8733, tried=0, buckets=(), src="9.9.9.9", when=now - 60, tries=0):
        return [ip16(ip), port, 1, when, ip16(src), when - 30 if tries else 0,
                when if tried else 0, tries, tried, list(buckets)]

    def body(entries, version=1, sizes=(1024, 256, 64)):
        return msgpack.encode(["souk-peers", version, bytes(range(32))] + list(sizes) + [entries])

    seeds = {
        "peers_empty": body([]),
        "peers_new_tried": body([entry("1.2.3.4"), entry("5.6.7.8", tried=1),
                                 entry("2a00:1450::1", src="2a01::1"), entry("127.0.0.1", 28733)]),
        "peers_buckets": body([entry("11.1.1.1", buckets=[3, 900]), entry("12.1.1.1", buckets=[5]),
                               entry("13.1.1.1", tries=4, when=now - 40 * 86400)]),
        "peers_other_sizes": body([entry("1.2.3.4", buckets=[4000])], sizes=(4096, 256, 64)),
        "peers_crowded": body([entry("20.30.%d.%d" % (i // 200, i % 200 + 1), tried=i % 2,
                                     src="%d.1.1.1" % (30 + i % 150)) for i in range(40)]),
        "peers_duplicate": body([entry("1.2.3.4"), entry("1.2.3.4", tried=1)]),
        "peers_bad_bucket": body([entry("1.2.3.4", buckets=[1024])]),
        "peers_version2": body([entry("1.2.3.4")], version=2),
    }
    for name, data in seeds.items():
        write("fuzz_p2p", name, data)


def undo_seeds():
    """fuzz_undo: a flags byte (bits 0-1: 0 sound, 1 cut short, 2 wrong
    checksum, 3 the rest is the whole file; bit 2: wrong magic; bits 3-5:
    bytes of an earlier record before it) and undo bytes."""
    key_a, key_m = b"a" + b"\1" * 32, b"m" + bytes(8)
    undo = msgpack.encode([[key_a, msgpack.encode([5, 1])], [key_m]])
    of_block = b"\x42\x42\x42" + bytes(29)
    record = (b"\x72\x73\x6f\x6b" + (len(undo) + 32).to_bytes(4, "little") + undo +
              hashlib.sha256(of_block + undo).digest())
    seeds = {
        "sound": b"\x00" + undo,
        "empty": b"\x00" + msgpack.encode([]),
        "after_record": bytes([5 << 3]) + undo,
        "bad_magic": b"\x04" + undo,
        "cut_short": b"\x01" + undo,
        "bad_checksum": b"\x02" + undo,
        "whole_file": b"\x03" + record,
        "whole_file_offset": bytes([3 | 2 << 3]) + b"\0\0" + record,
        "same_key_twice": b"\x00" + msgpack.encode([[key_a], [key_a, b"v"]]),
        "empty_value": b"\x00" + msgpack.encode([[key_a, b""]]),
        "longest_key": b"\x00" + msgpack.encode([[b"k" * 256, b"v"]]),
        "key_too_long": b"\x00" + msgpack.encode([[b"k" * 257]]),
        "three_fields": b"\x00" + msgpack.encode([[key_a, b"v", b"w"]]),
    }
    for name, data in seeds.items():
        write("fuzz_undo", name, data)


def blockindex_seeds():
    """fuzz_blockindex: records, each a length byte and its bytes: the
    metadata record, then entry values (the target computes their keys).
    Regtest headers from a parentless root: a chain with a fork, and
    records that break one rule each."""
    from test_framework.messages import BlockHeader

    def meta(blk_file=0, blk_size=0, rev_file=0, rev_size=0, flags=0, version=1):
        return msgpack.encode([version, blk_file, blk_size, rev_file, rev_size, flags])

    def entry(h, height, seq, status=0x0f, version=1):
        return msgpack.encode([version, h.to_array(), height, status, 1, 0, 8 * seq, 0, 40 * seq,
                               seq])

    def records(*recs):
        out = b""
        for r in recs:
            assert len(r) < 256
            out += bytes([len(r)]) + r
        return out

    root = BlockHeader(time=1700000000, nonce=1)
    chain = [root]
    for i in range(4):
        chain.append(BlockHeader(chain[-1].hash(), b"\x11" * 32, 1700000060 + 60 * i, nonce=i))
    side = BlockHeader(chain[2].hash(), b"\x22" * 32, 1700000500, bits=0x1f7fffff)
    entries = [entry(h, i, i) for i, h in enumerate(chain)]
    seeds = {
        "chain": records(meta(0, 4000, 0, 900), *entries),
        "chain_reversed": records(meta(), *reversed(entries)),
        "fork": records(meta(flags=1), *entries, entry(side, 3, 9)),
        "meta_only": records(meta(7, 1 << 20, 6, 1 << 19, 1)),
        "meta_version2": records(meta(version=2), *entries[:2]),
        "orphan": records(meta(), entries[0], entries[2]),
        "wrong_height": records(meta(), entries[0], entry(chain[1], 5, 1)),
        "twice": records(meta(), entries[0], entries[1], entries[1]),
        "second_root": records(meta(), entries[0], entry(BlockHeader(time=1, nonce=2), 0, 3)),
        "no_work": records(meta(), entry(BlockHeader(time=5, bits=0), 0, 0)),
        "bad_status": records(meta(), entry(root, 0, 0, status=0x40)),
        "entry_version2": records(meta(), entry(root, 0, 0, version=2)),
    }
    for name, data in seeds.items():
        write("fuzz_blockindex", name, data)


def write_all(target, seeds):
    for name, data in seeds.items():
        write(target, name, data if isinstance(data, bytes) else data.encode())


def rpcauth_seeds():
    """fuzz_rpcauth: head NUL -rpcauth value NUL user NUL password NUL URI."""
    import base64
    import hmac

    def head(cred, name="Authorization", sep=": "):
        value = "Basic " + base64.b64encode(cred.encode()).decode() if cred is not None else ""
        return ("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s%s\r\nContent-Length: 42\r\n\r\n"
                % (name, sep, value))

    def rpcauth(user, salt, password):
        mac = hmac.new(salt.encode(), password.encode(), hashlib.sha256).hexdigest()
        return "%s:%s$%s" % (user, salt, mac)

    def join(*parts):
        return "\0".join(parts)

    bob = rpcauth("bob", "pepper", "hunter2")
    write_all("fuzz_rpcauth", {
        "alice": join(head("alice:secret"), bob, "carol", "pw", "/wallet/alice%20shop"),
        "bob_lower_tabs": join(head("bob:hunter2", "authorization", ":\t "), bob, "c", "", "/"),
        "wrong_password": join(head("alice:Secret"), "x:y$" + "ab" * 32, "u", "p", "/wallet/"),
        "no_colon": join(head("alice"), "bob:$" + "00" * 32, "", "p", "/wallet/%00"),
        "header_value_only": join("Basic " + base64.b64encode(b"bob:hunter2").decode(), bob),
        "bad_base64": join("GET / HTTP/1.0\nAuthorization: Basic ab=d\n\n", "bob:pepper$zz"),
        "padding": join(head("alice:secre"), rpcauth("dave", "s", "p"), "dave", "p",
                        "/wallet/" + "%41" * 65),
        "no_header": join(head(None, "X-Other"), "", "a:b", "c", "/wallet/x?y#z"),
        "long_credentials": join(head("u" * 700 + ":" + "p" * 700), bob, "u" * 1024, "p" * 1024,
                                 "/wallet/" + "w" * 64),
    })


def banlist_seeds():
    """fuzz_banlist: banlist.json texts (the target's clock: 1700000000)."""
    def ban(addr, created=1690000000, until=1800000000):
        return {"address": addr, "ban_created": created, "banned_until": until}

    def doc(bans, **extra):
        return json.dumps(dict({"version": 1, "banned": bans}, **extra), indent=2)

    write_all("fuzz_banlist", {
        "several": doc([ban("1.2.3.4"), ban("10.0.0.0/8"), ban("2001:db8::/32"), ban("::1")]),
        "duplicate_and_expired": doc([ban("5.6.0.0/16", until=1700000100), ban("5.6.7.7/16"),
                                      ban("9.9.9.9", until=5)]),
        "host_bits": doc([ban("1.2.3.4/16"), ban("fe80::1234/10"), ban("0.0.0.0/0")]),
        "extra_keys": doc([ban("8.8.8.8")], comment="ignored"),
        "empty": doc([]),
        "bad_prefix": doc([ban("1.2.3.4/33")]),
        "bad_time": doc([{"address": "1.2.3.4", "ban_created": -1, "banned_until": "x"}]),
        "wrong_version": json.dumps({"version": 2, "banned": []}),
        "duplicate_keys": '{"version": 1, "version": 1, "banned": []}',
    })


def amount_seeds():
    """fuzz_amount: amounts as JSON and as text."""
    items = ["1.5", "0.00000001", "21000000000", "21000000000.00000001", "20999999999.99999999",
             "1e5", "1.123456789", "-1", "0", "00.10", ".5", "5.", "123456.78", "0.1",
             "1.7976931348623157e308", "true", '"1.5"', '"21000000000"', '"1e5"', '""',
             '"0.000000010"', "9007199254740993", "4.9e-324", "[1]"]
    write_all("fuzz_amount", {"a%02d" % i: t for i, t in enumerate(items)})


def hex_seeds():
    """fuzz_hex: hex text NUL base64 text."""
    items = ["00ff", "ABcd", "abc", "zz", "00" * 31 + "ff", "0x00", "", "deadbeef" * 16, "0g"]
    write_all("fuzz_hex", {"h%d" % i: t for i, t in enumerate(items)})
    # The second field is base64 (photos and files sent over RPC).
    b64 = ["iVBORw0KGgo=", "QQ==", "QR==", "QUI=", "QUJD", "", "Q===", "QQ=A", "QUJD\n", "a-b_",
           "////", "QUJDRA", "=QUI"]
    write_all("fuzz_hex", {"b%02d" % i: "00ff\0" + t for i, t in enumerate(b64)})


def netaddr_seeds():
    """fuzz_netaddr: addresses, services and subnets as text."""
    items = ["1.2.3.4", "1.2.3.4:8733", "[2001:db8::1]:0", "[::1]", "::ffff:1.2.3.4",
             "2001:db8::/32", "1.2.3.4/16", "10.0.0.0/255.0.0.0", "::ffff:10.0.0.0/120",
             "fe80::1%eth0", "1.2.3.4:65536", "256.1.1.1", "0.0.0.0/0", "::/0", "1.2.3.4/33",
             "[1.2.3.4]:5", "127.0.0.1", "10.0.0.0/255.0.255.0", "2001:db8::1:8733",
             "fc00::/7", "::ffff:0:0/95"]
    write_all("fuzz_netaddr", {"n%02d" % i: t for i, t in enumerate(items)})


def sigmsg_seeds():
    """fuzz_sigmsg: signature text NUL address NUL message (a last byte that
    is a multiple of 4 also signs the message with a key made from it)."""
    import base64
    from test_framework import key as k
    secret = bytes([7]) * 32
    pub = k.pubkey_from_secret(secret)
    addr = encode_address(pub, "regtest")
    msg = b"pay 5 to bob"
    sig = k.sign(secret, k.tagged_hash("souk/message", msg), aux=bytes(32))
    b64 = base64.b64encode(sig)
    write_all("fuzz_sigmsg", {
        "valid_base64": b64 + b"\0" + addr.encode() + b"\0" + msg,
        "valid_hex": sig.hex().encode() + b"\0" + addr.encode() + b"\0" + msg,
        "other_message": b64 + b"\0" + addr.encode() + b"\0" + msg + b"!",
        "noncanonical_base64": b64[:85] + b"B==" + b"\0" + addr.encode() + b"\0" + msg,
        "upper_hex": sig.hex().upper().encode() + b"\0" + addr.upper().encode() + b"\0" + msg,
        "sign_this": b"\0\0hello world\x04",
    })


def mnemonic_seeds():
    """fuzz_mnemonic: 0 and text, or 1, a seed and style bytes."""
    with open(os.path.join(HERE, "..", "data", "bip39_english.txt")) as f:
        words = f.read().split()
    assert len(words) == 2048

    def mnemonic(seed):
        bits = int.from_bytes(seed + hashlib.sha256(seed).digest()[:1], "big")
        return " ".join(words[(bits >> (11 * (23 - i))) & 2047] for i in range(24))

    seed = bytes(range(32))
    good = mnemonic(seed)
    w = good.split()
    write_all("fuzz_mnemonic", {
        "text": "\0" + good,
        "text_shouting": "\0\t" + good.upper().replace(" ", " \n ") + "\r\n",
        "text_23_words": "\0" + " ".join(w[:23]),
        "text_unknown_word": "\0" + " ".join(w[:5] + ["bitcoin"] + w[6:]),
        "text_swapped": "\0" + " ".join([w[1], w[0]] + w[2:]),
        "text_long_word": "\0" + " ".join(["abandonment"] + w[1:]),
        "zero_seed": "\0" + mnemonic(bytes(32)),
        "seed": b"\x01" + seed + b"\x81\x40\x03\xc2",
        "seed_short": b"\x01\xff\xee",
    })


def aead_seeds():
    """fuzz_aead: flags, a 32-byte key, and a box or a plaintext."""
    key = bytes(range(32))
    write_all("fuzz_aead", {
        "message": b"\x03" + key + b"meet at the usual place at noon",
        "short": b"\x05" + key + b"0123456789",
        "shared": b"\x08" + key + b"x" * 40,
        "empty": b"\x01" + key,
        "short_key": b"\x10" + b"abc",
        "long": b"\x07" + key + bytes(range(256)) * 3,
    })


def rpc_seeds():
    """Bodies for fuzz_rpc: its test methods (echo, types, fail, amounts,
    copy, nothing) and the control ones, in JSON-RPC 1.0 and 2.0, named and
    positional, batches, notifications, and requests the server refuses."""
    def v1(method, params=None, id_=1):
        r = {"method": method, "id": id_}
        if params is not None:
            r["params"] = params
        return r

    def v2(method, params=None, id_=1):
        r = dict(v1(method, params, id_), jsonrpc="2.0")
        if id_ is None:
            del r["id"]   # a notification
        return r

    h = "00" * 31 + "ff"
    every = {"str": "s", "int": -7, "num": 2.5, "bool": True, "amount": "0.00000001", "hex": "beef",
             "hash": h, "obj": {"k": [1]}, "arr": [1, "2", None], "any": {"x": None}}
    seeds = {
        "v1_echo": v1("echo", ["hi", 5, True, 1.25]),
        "v1_echo_named": v1("echo", {"s": "named", "x": 3}, "str-id"),
        "v1_echo_missing": v1("echo", []),
        "v1_echo_too_many": v1("echo", ["a", 1, False, 2, 3]),
        "v1_echo_wrong_type": v1("echo", [5]),
        "v1_echo_out_of_range": v1("echo", ["a", 5000]),
        "v1_echo_trailing_nulls": v1("echo", ["a", None, None]),
        "v1_unknown_named": v1("echo", {"s": "a", "nosuch": 1}),
        "v1_types_positional": v1("types", list(every.values())),
        "v2_types_named": v2("types", every, [1, 2]),
        "v1_bad_hash": v1("types", {"hash": "zz" * 32}),
        "v1_short_hash": v1("types", {"hash": "a" * 79 + "\u00e9"}),
        "v1_odd_hex": v1("types", {"hex": "abc"}),
        "v1_fail": v1("fail", [0, "why"]),
        "v1_fail_cut": v1("fail", [1, "\u00e9\u00e9\u00e9\u00e9"]),
        "v2_fail_silent": v2("fail", {"kind": 2}),
        "v2_fail_half": v2("fail", [3]),
        "v1_fail_400": v1("fail", [4]),
        "v1_fail_404": v1("fail", [5]),
        "v1_amounts": v1("amounts", [1.5, 3]),
        "v1_amounts_str": v1("amounts", ["21000000000"]),
        "v1_amounts_precise": v1("amounts", [0.000000001]),
        "v1_amounts_negative": v1("amounts", [-1]),
        "v1_copy": v1("copy", [[[[{"a": [True, False, None, 1e300, "\u2603"]}]]]]),
        "v2_nothing_null_id": dict(v2("nothing", [], None), id=None),
        "v2_notification": v2("echo", ["n"], None),
        "v1_help": v1("help"),
        "v1_help_one": v1("help", ["types"]),
        "v1_help_unknown": v1("help", ["x" * 249 + "\u00e9"]),
        "batch_control": [v1("uptime"), v1("stop"), v1("getrpcinfo")],
        "batch_mixed": [v1("echo", ["a"]), v2("amounts", ["1"]), v2("echo", ["n"], None), 5,
                        v1("nosuch"), {"jsonrpc": 2, "method": "echo"}, {"method": 1}, {"id": 3}],
        "batch_notifications": [v2("nothing", None, None), v2("fail", [0], None)],
        "batch_over_limit": [v1("amounts", [1, 16], i) for i in range(30)],
        "batch_empty": [],
        "v2_bad_version": dict(v1("echo", ["a"]), jsonrpc="3.0"),
        "v1_params_scalar": v1("echo", 5),
    }
    # json.dumps writes non-ASCII as \u escapes: the bodies are ASCII.
    out = {name: json.dumps(req).encode() for name, req in seeds.items()}
    out["parse_error"] = b'{"method": "echo", "params": ["a"'
    out["top_level_scalar"] = b'"echo"'
    out["duplicate_keys"] = b'{"method": "echo", "method": "types", "params": {"s": "a", "s": 1}, "id": 1}'
    return out


def envelope_seeds():
    """fuzz_envelope: chat envelopes (signed, stamped at 1 bit), plaintexts, near misses."""
    from test_framework.key import tagged_hash
    a, b = ECKey(b"\x11" * 32), ECKey(b"\x22" * 32)

    def envelope(ct, ts=1800000000, ttl=3600, order=b"", version=1):
        signed = [version, a.pubkey, b.pubkey, ts, ttl, order, ct]
        sig = a.sign(tagged_hash("souk/chat/envelope", msgpack.encode(signed)), aux=b"\0" * 32)
        return msgpack.encode([version, a.pubkey, b.pubkey, ts, ttl, order, 7, ct, sig])

    write_all("fuzz_envelope", {
        "text": envelope(b"\x01" * 60),
        "order": envelope(b"\x02" * 40, order=b"\x33" * 32),
        "empty": envelope(b""),
        "version2": envelope(b"\x03" * 10, version=2),
        "ttl0": envelope(b"\x04" * 10, ttl=0),
        "plain_text": msgpack.encode([0, "Is the lamp still for sale?"]),
        "plain_file": msgpack.encode([1, ["image/png", "parcel.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 8]]),
        "plain_kind2": msgpack.encode([2, ""]),
    })


def media_seeds():
    """fuzz_media: listing photos of each image type, and near misses."""
    write_all("fuzz_media", {
        "png": msgpack.encode([1, "image/png", b"\x89PNG\r\n\x1a\n" + b"\0" * 24]),
        "jpeg": msgpack.encode([1, "image/jpeg", b"\xff\xd8\xff\xe0" + b"\x10" * 20]),
        "webp": msgpack.encode([1, "image/webp", b"RIFF\x10\0\0\0WEBPVP8 " + b"\0" * 8]),
        "gif": msgpack.encode([1, "image/gif", b"GIF89a" + b"\1" * 10]),
        "mime_mismatch": msgpack.encode([1, "image/gif", b"\x89PNG\r\n\x1a\n"]),
        "empty": msgpack.encode([1, "image/png", b""]),
        "text": msgpack.encode([1, "text/plain", b"hello"]),
        "version2": msgpack.encode([2, "image/gif", b"GIF87a"]),
    })


def gateway_seeds():
    """fuzz_gateway: URI NUL Cookie NUL Content-Type NUL body NUL username."""
    def join(*parts):
        return "\0".join(parts)

    tok = "souk_session=" + "ab" * 32
    write_all("fuzz_gateway", {
        "index": join("/", tok, "application/json",
                      '{"username":"alice","password":"correct horse"}', "Alice"),
        "module": join("/js/app.mjs?v=1", "theme=dark; souk_session=" + "0f" * 32 + "; x=1",
                       "Application/JSON; charset=utf-8",
                       '{"jsonrpc":"2.0","id":1,"method":"getbalance","params":[]}', "bob_01"),
        "traversal": join("/%2e%2e/%2e%2e/etc/passwd.html", "souk_session=zz", "text/plain",
                          '{"method":"stop","id":7}', "../x"),
        "encoded_slash": join("/js%2f..%2f..%2fsecret.css", "souk_session=" + "AB" * 32,
                              " application/jsonp",
                              '[{"id":1,"method":"getblockcount"},{"id":2,"method":"dumpseed"},'
                              '3,{"id":4}]', "ab"),
        "file_arg": join("/img/logo.png", "", "application/x-www-form-urlencoded",
                         '{"method":"market_addmedia","params":["/etc/passwd"],"id":"x"}',
                         "ALICE-long_name_0123456789abcdef"),
        "file_arg_named": join("/help/", "a=b;;souk_session=;", "application/json;",
                               '{"method":"chat_sendfile","params":{"address":"rsouk1x",'
                               '"path_or_base64":"/root/k"}}', "\u00e9t\u00e9"),
        "refuse_self": join("/.hidden.css", tok.replace("ab", "12") + "\t", "application/json ; x",
                            '{"method":"gateway.refuse","params":[0,"ok"]}', "abc"),
        "not_json": join("/a%zz.css", "souk_session", "", "{not json", "a b"),
        "scalar": join("//x.css", "SOUK_SESSION=" + "ab" * 32, "APPLICATION/JSON", "42",
                       "abcdefghijklmnopqrstuvwxyz0123456"),
        "reals": join("/favicon.ico", "souk_session=" + "ab" * 31, "application/json",
                      '{"method":"sendtoaddress","params":["rsouk1q",0.1,1e300,-0.0],"id":null}',
                      "x_y"),
    })


def rest_seeds(keys):
    """fuzz_rest: REST path (after /rest/) NUL /events query NUL Last-Event-ID."""
    def join(*parts):
        return "\0".join(parts)

    a = encode_address(keys[0].pubkey, "regtest")
    b = encode_address(keys[1].pubkey, "regtest")
    h = "0f" * 32
    write_all("fuzz_rest", {
        "block": join("block/" + h + ".json", "address=" + a, "42"),
        "tx_upper": join("tx/" + h.upper() + ".json?x=1#y", "address=%s&address=%s" % (a, b),
                         "0"),
        "account": join("account/" + a + ".json", "x=1&address=" + a + "&y", "007"),
        "media_bin": join("media/" + h + ".bin", "address=" + a.upper(), "18446744073709551615"),
        "wrong_format": join("listing/" + h + ".bin", "address=" + a + "&address=", "1.5"),
        "wrong_net": join("account/" + encode_address(keys[0].pubkey, "main") + ".json",
                          "address=" + encode_address(keys[0].pubkey, "main"),
                          "18446744073709551616"),
        "unknown": join("blocks/" + h + ".json", "", "-1"),
        "no_slash": join("review", "&".join(["address=" + a] * 17), " 1"),
        "short_id": join("order/abc.json", "address=%zz", ""),
        "double_dot": join("block/" + h + ".json.json", "address=" + a + "%00", "1 "),
    })


def main():
    keys = [ECKey(bytes([i + 1]) * 32) for i in range(3)]
    market_seeds(keys)
    g = genesis_hash("regtest")
    txs = [
        transfer_tx(keys[0], g, 0, keys[1].pubkey, 1000, 200, b"", aux=b"\0" * 32).serialize(),
        transfer_tx(keys[1], g, 7, keys[2].pubkey, 5 * 10**8, 0, b"memo", aux=b"\0" * 32).serialize(),
        coinbase_tx(5, keys[0].pubkey, 50 * 10**8, b"extra").serialize(),
    ]
    for i, t in enumerate(txs):
        write("fuzz_tx", "tx%d" % i, t)
        write("fuzz_serialize", "tx%d" % i, t)
    for net in ("main", "test", "regtest"):
        blk = genesis_block(net).serialize()
        write("fuzz_block", "genesis_" + net, blk)
        write("fuzz_serialize", "genesis_" + net, blk)
    # undo records and state records
    write("fuzz_serialize", "undo", msgpack.encode([[b"a" + b"\1" * 32, msgpack.encode([5, 1])],
                                                   [b"m" + bytes(8)]]))
    write("fuzz_serialize", "account", msgpack.encode([123456, 7]))
    for i, k in enumerate(keys):
        write("fuzz_address", "addr%d" % i, encode_address(k.pubkey, "regtest").encode())
    write("fuzz_address", "upper", encode_address(keys[0].pubkey, "regtest").upper().encode())
    write("fuzz_address", "wrongnet", encode_address(keys[0].pubkey, "main").encode())
    from test_framework import p2p
    gb = genesis_block("regtest")
    frames = {
        "version": p2p.frame(p2p.message_body("version", p2p.msg_version(12345, timestamp=1795564800))),
        "ping": p2p.frame(p2p.message_body("ping", [7])),
        "inv": p2p.frame(p2p.message_body("inv", [p2p.inv_item(1, b"\1" * 32),
                                                  p2p.inv_item(2, b"\2" * 32)])),
        "addr": p2p.frame(p2p.message_body("addr", [p2p.net_addr("127.0.0.1", 28733,
                                                                 when=1795564800)])),
        "headers": p2p.frame(p2p.message_body("headers", [p2p.header_array(gb.header)])),
        "getheaders": p2p.frame(p2p.message_body("getheaders", [[g], b""])),
        "tx": p2p.frame(p2p.message_body("tx", msgpack.decode(txs[0]))),
        "block": p2p.frame(p2p.message_body("block", msgpack.decode(gb.serialize()))),
    }
    for name, data in frames.items():
        write("fuzz_p2p", name, data)
    txpayload_seeds(keys)
    peers_seeds()
    undo_seeds()
    blockindex_seeds()
    rpcauth_seeds()
    banlist_seeds()
    amount_seeds()
    hex_seeds()
    netaddr_seeds()
    sigmsg_seeds()
    mnemonic_seeds()
    aead_seeds()
    envelope_seeds()
    media_seeds()
    gateway_seeds()
    rest_seeds(keys)
    for name, data in rpc_seeds().items():
        write("fuzz_rpc", name, data)
    print("corpus written:", hashlib.sha256(b"".join(txs)).hexdigest()[:16])


if __name__ == "__main__":
    main()

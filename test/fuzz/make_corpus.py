#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets (test/fuzz/corpus/<target>/).

The seeds are built with the functional tests' independent codecs, so they
are valid objects of every kind plus a few near misses; libFuzzer grows the
corpus from them. Run from the repository root; the output is committed."""
import hashlib
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


def main():
    keys = [ECKey(bytes([i + 1]) * 32) for i in range(3)]
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
    print("corpus written:", hashlib.sha256(b"".join(txs)).hexdigest()[:16])


if __name__ == "__main__":
    main()

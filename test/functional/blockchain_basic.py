#!/usr/bin/env python3
"""Chain RPC methods: the shape and values of every result on a small chain,
checked against the framework's own block/tx codecs, and the errors for bad
hashes, bad heights, wrong types, wrong-network addresses and unknown blocks."""

from decimal import Decimal

from test_framework.bech32m import encode_address
from test_framework.key import pubkey_from_secret
from test_framework.messages import (COIN, Block, BlockHeader, coinbase_tx, genesis_block,
                                     genesis_hash)
from test_framework.test_framework import SoukTestFramework
from test_framework.util import (assert_equal, assert_greater_than, assert_raises_rpc_error,
                                 to_coins)

RPC_MISC_ERROR = -1
RPC_TYPE_ERROR = -3
RPC_INVALID_ADDRESS_OR_KEY = -5
RPC_INVALID_PARAMETER = -8
RPC_INVALID_PARAMS = -32602

HEADER_FIELDS = {"hash", "confirmations", "height", "version", "versionHex", "merkleroot",
                 "time", "mediantime", "nonce", "bits", "difficulty", "chainwork", "nTx"}


def median_time_past(headers):
    """Median of the last (up to) 11 header times; headers oldest first."""
    times = sorted(h.time for h in headers[-11:])
    return times[len(times) // 2]


def chainwork_hex(height):
    # regtest target 0x7fffff << 232: floor(2^256 / (target + 1)) = 2 per block
    return "%064x" % (2 * (height + 1))


class BlockchainBasicTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]
        self.test_genesis(node)
        self.key, self.addr = self.new_key()
        self.generate(node, 3, self.addr)
        self.test_small_chain(node)
        self.test_block_errors(node)
        self.test_addresses(node)
        self.test_accounts(node)
        self.test_chaintips_and_state(node)

    # ---------------------------------------------------------------- genesis
    def test_genesis(self, node):
        self.log.info("genesis-only chain")
        g = genesis_block("regtest")
        ghash = genesis_hash("regtest").hex()
        assert_equal(g.hash().hex(), ghash)
        assert_equal(node.getblockcount(), 0)
        assert_equal(node.getbestblockhash(), ghash)
        assert_equal(node.getblockhash(0), ghash)
        assert_equal(node.getdifficulty(), 1)

        info = node.getblockchaininfo()
        assert_equal(set(info), {"chain", "blocks", "headers", "bestblockhash", "difficulty",
                                 "time", "mediantime", "verificationprogress",
                                 "initialblockdownload", "chainwork", "size_on_disk", "pruned",
                                 "warnings"})
        assert_equal(info["chain"], "regtest")
        assert_equal(info["blocks"], 0)
        assert_equal(info["headers"], 0)
        assert_equal(info["bestblockhash"], ghash)
        assert_equal(info["difficulty"], 1)
        assert_equal(info["time"], g.header.time)
        assert_equal(info["mediantime"], g.header.time)
        assert_equal(info["chainwork"], chainwork_hex(0))
        assert_equal(info["initialblockdownload"], False)
        assert_equal(info["verificationprogress"], 1)
        assert_equal(info["warnings"], "")
        assert_greater_than(info["size_on_disk"], len(g.serialize()) - 1)

        # verbosity 0 is the exact encoding, and so are the header bytes
        assert_equal(node.getblock(ghash, 0), g.hex())
        assert_equal(node.getblock(ghash, False), g.hex())
        assert_equal(node.getblockheader(ghash, False), g.header.serialize().hex())

        b = node.getblock(ghash)
        assert_equal(b, node.getblock(ghash, 1))
        assert_equal(b, node.getblock(ghash, True))
        assert "previousblockhash" not in b
        assert "nextblockhash" not in b
        assert_equal(b["hash"], ghash)
        assert_equal(b["height"], 0)
        assert_equal(b["confirmations"], 1)
        assert_equal(b["merkleroot"], g.header.merkle_root.hex())
        assert_equal(b["time"], g.header.time)
        assert_equal(b["nonce"], g.header.nonce)
        assert_equal(b["bits"], "%08x" % g.header.bits)
        assert_equal(b["nTx"], 1)
        assert_equal(b["size"], len(g.serialize()))
        assert_equal(b["tx"], [g.txs[0].txid().hex()])

        assert_equal(node.getchaintips(),
                     [{"height": 0, "hash": ghash, "branchlen": 0, "status": "active"}])
        st = node.getstateinfo()
        assert_equal(st["height"], 0)
        assert_equal(st["bestblockhash"], ghash)
        assert_equal(len(st["state_hash"]), 64)

    # ---------------------------------------------------------------- blocks
    def test_small_chain(self, node):
        self.log.info("a chain of 3 blocks")
        assert_equal(node.getblockcount(), 3)
        hashes = [node.getblockhash(h) for h in range(4)]
        assert_equal(hashes[3], node.getbestblockhash())
        blocks = [Block.deserialize(bytes.fromhex(node.getblock(h, 0))) for h in hashes]
        headers = [blk.header for blk in blocks]
        for h in range(4):
            blk = blocks[h]
            assert_equal(blk.hash().hex(), hashes[h])
            if h > 0:
                assert_equal(blk.header.prev_hash.hex(), hashes[h - 1])
            v1 = node.getblock(hashes[h])
            assert_equal(set(v1), HEADER_FIELDS | {"size", "tx"} |
                         ({"previousblockhash"} if h > 0 else set()) |
                         ({"nextblockhash"} if h < 3 else set()))
            assert_equal(v1["height"], h)
            assert_equal(v1["confirmations"], 4 - h)
            assert_equal(v1["chainwork"], chainwork_hex(h))
            assert_equal(v1["mediantime"], median_time_past(headers[:h + 1]))
            assert_equal(v1["difficulty"], 1)
            assert_equal(v1["size"], len(blk.serialize()))
            assert_equal(v1["nTx"], len(blk.txs))
            assert_equal(v1["tx"], [t.txid().hex() for t in blk.txs])
            if h > 0:
                assert_equal(v1["previousblockhash"], hashes[h - 1])
            if h < 3:
                assert_equal(v1["nextblockhash"], hashes[h + 1])
            # the header object is getblock 1 without size and tx
            hdr = node.getblockheader(hashes[h])
            assert_equal(hdr, node.getblockheader(hashes[h], True))
            del v1["size"], v1["tx"]
            assert_equal(hdr, v1)
            assert_equal(node.getblockheader(hashes[h], False), blk.header.serialize().hex())

        # verbosity 2: full tx objects, in block order
        v2 = node.getblock(hashes[2], 2)
        assert_equal([t["txid"] for t in v2["tx"]], [t.txid().hex() for t in blocks[2].txs])
        cb = v2["tx"][0]
        assert_equal(cb["type"], "coinbase")
        assert_equal(cb["payload"]["recipient"], self.addr)
        assert_equal(Decimal(cb["payload"]["amount"]), to_coins(50 * COIN))

        info = node.getblockchaininfo()
        assert_equal(info["blocks"], 3)
        assert_equal(info["headers"], 3)
        assert_equal(info["bestblockhash"], hashes[3])
        assert_equal(info["chainwork"], chainwork_hex(3))
        assert_equal(info["mediantime"], median_time_past(headers))
        assert_equal(info["time"], headers[3].time)
        self.hashes = hashes
        self.blocks = blocks

    def test_block_errors(self, node):
        self.log.info("errors: heights, hashes, types, unknown blocks")
        for h in (-1, 4, 1 << 40):
            assert_raises_rpc_error(RPC_INVALID_PARAMETER, "Block height out of range",
                                    node.getblockhash, h)
        assert_raises_rpc_error(RPC_TYPE_ERROR, None, node.getblockhash, "1")
        assert_raises_rpc_error(RPC_TYPE_ERROR, None, node.getblockhash, 1.5)
        assert_raises_rpc_error(RPC_INVALID_PARAMS, None, node.getblockhash)

        unknown = "ab" * 32
        for fn in (node.getblock, node.getblockheader, node.invalidateblock,
                   node.reconsiderblock):
            assert_raises_rpc_error(RPC_INVALID_ADDRESS_OR_KEY, "Block not found", fn, unknown)
            assert_raises_rpc_error(RPC_INVALID_PARAMETER, "must be of length 64", fn, "00")
            assert_raises_rpc_error(RPC_INVALID_PARAMETER, "hexadecimal", fn, "zz" * 32)
            assert_raises_rpc_error(RPC_TYPE_ERROR, None, fn, 5)
            assert_raises_rpc_error(RPC_INVALID_PARAMS, None, fn)
        # an upper-case hash is the same hash
        assert_equal(node.getblock(self.hashes[1].upper())["hash"], self.hashes[1])

        for bad in (3, -1, 100):
            assert_raises_rpc_error(RPC_INVALID_PARAMETER, "verbosity", node.getblock,
                                    self.hashes[1], bad)
        for bad in ("1", 1.5, [1], {}):
            assert_raises_rpc_error(RPC_TYPE_ERROR, "verbosity", node.getblock,
                                    self.hashes[1], bad)
        assert_raises_rpc_error(RPC_TYPE_ERROR, "verbose", node.getblockheader,
                                self.hashes[1], 1)
        # the genesis block cannot be invalidated; nothing changes
        assert_raises_rpc_error(RPC_MISC_ERROR, "genesis", node.invalidateblock,
                                genesis_hash().hex())
        assert_equal(node.getblockcount(), 3)

    # ---------------------------------------------------------------- addresses
    def test_addresses(self, node):
        self.log.info("validateaddress and getnewkeypair")
        v = node.validateaddress(self.addr)
        assert_equal(v, {"isvalid": True, "address": self.addr,
                         "pubkey": self.key.pubkey.hex(), "network": "regtest"})
        # upper case is accepted and shown in lower case
        assert_equal(node.validateaddress(self.addr.upper())["address"], self.addr)

        main_addr = encode_address(self.key.pubkey, "main")
        test_addr = encode_address(self.key.pubkey, "test")
        flipped = self.addr[:-1] + ("q" if self.addr[-1] != "q" else "p")
        cases = [
            (main_addr, "another network"),
            (test_addr, "another network"),
            (flipped, "checksum"),
            (self.addr[:10] + self.addr[10:].upper(), "mixes upper and lower case"),
            ("", "separator"),
            ("rsouk1", "too short"),
            ("rsouk1" + "b" * 60, "bech32 alphabet"),
            ("rsouk1" + "q" * 100, "longer than 90"),
        ]
        for addr, why in cases:
            r = node.validateaddress(addr)
            assert_equal(set(r), {"isvalid", "error"})
            assert_equal(r["isvalid"], False)
            assert why in r["error"], (addr, r)
        assert_raises_rpc_error(RPC_TYPE_ERROR, None, node.validateaddress, 5)
        assert_raises_rpc_error(RPC_INVALID_PARAMS, None, node.validateaddress)

        kp = node.getnewkeypair()
        assert_equal(set(kp), {"address", "pubkey", "privkey"})
        secret = bytes.fromhex(kp["privkey"])
        assert_equal(pubkey_from_secret(secret).hex(), kp["pubkey"])
        assert_equal(encode_address(bytes.fromhex(kp["pubkey"]), "regtest"), kp["address"])
        assert node.getnewkeypair()["privkey"] != kp["privkey"]
        self.kp = kp

    # ---------------------------------------------------------------- accounts
    def test_accounts(self, node):
        self.log.info("getaccount and getaccounthistory")
        a = node.getaccount(self.addr)
        assert_equal(set(a), {"address", "pubkey", "balance", "nonce", "pending_nonce"})
        assert_equal(a["address"], self.addr)
        assert_equal(a["pubkey"], self.key.pubkey.hex())
        assert_equal(a["balance"], 0)  # three coinbases, none mature yet
        assert_equal(a["nonce"], 0)
        assert_equal(a["pending_nonce"], 0)

        # an untouched account reads as empty, not as an error
        fresh = node.getaccount(self.kp["address"])
        assert_equal((fresh["balance"], fresh["nonce"], fresh["pending_nonce"]), (0, 0, 0))
        assert_equal(node.getaccounthistory(self.kp["address"]), [])

        hist = node.getaccounthistory(self.addr)
        assert_equal(hist, [{"txid": self.blocks[h].txs[0].txid().hex(), "height": h,
                             "position": 0, "blockhash": self.hashes[h]} for h in (1, 2, 3)])
        assert_equal(node.getaccounthistory(self.addr, 1), hist[1:])
        assert_equal(node.getaccounthistory(self.addr, 1, 1), hist[1:2])
        assert_equal(node.getaccounthistory(self.addr, 0, 0), [])
        assert_equal(node.getaccounthistory(self.addr, 5), [])
        assert_equal(node.getaccounthistory(address=self.addr, count=2), hist[:2])
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, "count", node.getaccounthistory,
                                self.addr, 0, -1)
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, "count", node.getaccounthistory,
                                self.addr, 0, 10001)
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, "skip", node.getaccounthistory,
                                self.addr, -1)
        assert_raises_rpc_error(RPC_TYPE_ERROR, None, node.getaccounthistory, self.addr, "1")

        main_addr = encode_address(self.key.pubkey, "main")
        for fn in (node.getaccount, node.getaccounthistory):
            assert_raises_rpc_error(RPC_INVALID_ADDRESS_OR_KEY, "another network", fn, main_addr)
            assert_raises_rpc_error(RPC_INVALID_ADDRESS_OR_KEY, "checksum", fn,
                                    self.addr[:-1] + ("q" if self.addr[-1] != "q" else "p"))
            assert_raises_rpc_error(RPC_INVALID_ADDRESS_OR_KEY, "Invalid address", fn, "nonsense")
            assert_raises_rpc_error(RPC_TYPE_ERROR, None, fn, 7)
            assert_raises_rpc_error(RPC_INVALID_PARAMS, None, fn)

        # the first coinbase matures when block 101 connects
        other, other_addr = self.new_key()
        self.generate(node, 97, other_addr)
        assert_equal(node.getblockcount(), 100)
        assert_equal(node.getaccount(self.addr)["balance"], 0)
        self.generate(node, 1, other_addr)
        assert_equal(node.getaccount(self.addr)["balance"], Decimal("50.00000000"))
        self.generate(node, 2, other_addr)
        assert_equal(node.getaccount(self.addr)["balance"], Decimal("150.00000000"))
        # maturing does not add history entries: only txs touching the key do
        assert_equal(len(node.getaccounthistory(self.addr)), 3)

        # a transfer, pending first when the node relays, then mined
        amount, fee = 7 * COIN, 1000
        raw = self.make_transfer(self.key, 0, other, amount, fee)
        if "sendrawtransaction" in node.help():
            txid = node.sendrawtransaction(raw)
            a = node.getaccount(self.addr)
            assert_equal((a["nonce"], a["pending_nonce"]), (0, 1))
            assert_equal(a["balance"], Decimal("150.00000000"))
            bhash = node.generateblock(other_addr, [txid])["hash"]
        else:
            bhash = node.generateblock(other_addr, [raw])["hash"]
        blk = node.getblock(bhash, 2)
        assert_equal(len(blk["tx"]), 2)
        tx = blk["tx"][1]
        a = node.getaccount(self.addr)
        assert_equal((a["nonce"], a["pending_nonce"]), (1, 1))
        assert_equal(a["balance"], to_coins(150 * COIN - amount - fee))
        entry = {"txid": tx["txid"], "height": blk["height"], "position": 1, "blockhash": bhash}
        assert_equal(node.getaccounthistory(self.addr)[-1], entry)
        assert_equal(node.getaccounthistory(self.addr, 3), [entry])
        # the recipient's ledger has it too, after its coinbases
        oh = node.getaccounthistory(other_addr, 0, 1000)
        assert_equal(oh[-1], entry)
        assert_equal(len(oh), 101 + 1)  # coinbases of blocks 4..104, and the transfer

    # ---------------------------------------------------------------- tips, state
    def test_chaintips_and_state(self, node):
        self.log.info("getchaintips with a side branch, getstateinfo")
        tip = node.getbestblockhash()
        height = node.getblockcount()
        st = node.getstateinfo()
        assert_equal(set(st), {"height", "bestblockhash", "keys", "bytes", "state_hash"})
        assert_equal((st["height"], st["bestblockhash"]), (height, tip))
        assert_greater_than(st["keys"], 0)
        assert_greater_than(st["bytes"], 0)
        # a block built here on top of block 1: stored, not connected
        parent = self.blocks[1]
        side = Block(BlockHeader(parent.hash(), b"", parent.header.time + 1),
                     [coinbase_tx(2, self.key.pubkey, 50 * COIN, b"side")])
        side.update_merkle_root()
        assert side.solve()
        assert_equal(node.submitblock(side.hex()), "inconclusive")
        assert_equal(node.getbestblockhash(), tip)
        assert_equal(node.getstateinfo(), st)
        tips = node.getchaintips()
        assert_equal(tips, [
            {"height": height, "hash": tip, "branchlen": 0, "status": "active"},
            {"height": 2, "hash": side.hash().hex(), "branchlen": 1, "status": "valid-headers"},
        ])
        sb = node.getblock(side.hash().hex())
        assert_equal(sb["confirmations"], -1)
        assert_equal(sb["previousblockhash"], self.hashes[1])
        assert "nextblockhash" not in sb
        assert_equal(node.getblock(side.hash().hex(), 0), side.hex())
        # the side block does not become the next block of its parent
        assert_equal(node.getblock(self.hashes[1])["nextblockhash"], self.hashes[2])
        info = node.getblockchaininfo()
        assert_equal((info["blocks"], info["headers"]), (height, height))


if __name__ == "__main__":
    BlockchainBasicTest().main()

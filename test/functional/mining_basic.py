#!/usr/bin/env python3
"""Mining RPCs: generatetoaddress (with maxtries and bad addresses), coinbase
maturity (spendable only once the block 100 heights later connects),
getmininginfo, getblocktemplate filled from the mempool, a block assembled in
Python from a template and accepted by submitblock, every submitblock
rejection leaving the tip unchanged, and generateblock with raw txs and
mempool txids."""

from test_framework import msgpack
from test_framework.bech32m import encode_address
from test_framework.messages import (COIN, Block, BlockHeader, Tx, coinbase_tx, genesis_hash,
                                     transfer_tx)
from test_framework.test_framework import SoukTestFramework
from test_framework.util import (assert_equal, assert_greater_than, assert_raises_rpc_error,
                                 to_units)

RPC_INVALID_ADDRESS_OR_KEY = -5
RPC_INVALID_PARAMETER = -8
RPC_DESERIALIZATION_ERROR = -22
RPC_VERIFY_ERROR = -25
RPC_VERIFY_REJECTED = -26

HALVING_INTERVAL = 150  # regtest
MATURITY = 100
GENESIS = genesis_hash("regtest")


def subsidy(height):
    return (50 * COIN) >> (height // HALVING_INTERVAL)


class MiningBasicTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]
        self.test_generatetoaddress(node)
        self.test_maturity(node)
        self.test_template_and_submit(node)
        self.test_submit_rejections(node)
        self.test_generateblock(node)

    def tip_header(self, node):
        return node.getblockheader(node.getbestblockhash())

    # ----------------------------------------------------------- generatetoaddress
    def test_generatetoaddress(self, node):
        self.log.info("generatetoaddress and getmininginfo")
        info = node.getmininginfo()
        assert_equal(info["blocks"], 0)
        assert_equal(info["difficulty"], 1)
        assert_equal(info["pooledtx"], 0)
        assert_equal(info["chain"], "regtest")
        assert_equal(info["networkhashps"], 0)

        self.miner_key, self.miner_address = self.new_key()
        assert_equal(node.generatetoaddress(0, self.miner_address), [])
        hashes = node.generatetoaddress(5, self.miner_address)
        assert_equal(len(hashes), 5)
        assert_equal(len(set(hashes)), 5)
        assert_equal(node.getblockcount(), 5)
        assert_equal(node.getbestblockhash(), hashes[-1])
        for h, want in zip(hashes, range(1, 6)):
            blk = node.getblock(h, 2)
            assert_equal(blk["height"], want)
            cb = blk["tx"][0]
            assert_equal(cb["type"], "coinbase")
            assert_equal(cb["payload"]["recipient"], self.miner_address)
            assert_equal(to_units(cb["payload"]["amount"]), subsidy(want))
        assert_equal(node.getmininginfo()["blocks"], 5)

        # Times never go backwards past the median time past, even when
        # blocks come faster than one a second.
        times = [node.getblockheader(h)["time"] for h in hashes]
        for i in range(1, len(times)):
            assert_greater_than(times[i] + 6, times[i - 1])

        self.log.info("generatetoaddress errors")
        key = self.new_key()[0]
        assert_raises_rpc_error(RPC_INVALID_ADDRESS_OR_KEY, "Invalid address",
                                node.generatetoaddress, 1, "rsouk1notanaddress")
        assert_raises_rpc_error(RPC_INVALID_ADDRESS_OR_KEY, "Invalid address",
                                node.generatetoaddress, 1, encode_address(key.pubkey, "main"))
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, "nblocks", node.generatetoaddress, -1,
                                self.miner_address)
        assert_raises_rpc_error(-3, None, node.generatetoaddress, "one", self.miner_address)
        assert_equal(node.getblockcount(), 5)

        # maxtries bounds the nonces tried over all blocks: with 1 try per
        # call at most one block comes out, and the chain says how many.
        before = node.getblockcount()
        got = node.generatetoaddress(3, self.miner_address, 1)
        assert len(got) <= 1, got
        assert_equal(node.getblockcount(), before + len(got))
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, "maxtries", node.generatetoaddress, 1,
                                self.miner_address, 0)

    # ---------------------------------------------------------------- maturity
    def test_maturity(self, node):
        self.log.info("coinbase maturity")
        key, addr = self.new_key()
        dest, _ = self.new_key()
        [h] = node.generatetoaddress(1, addr)
        height = node.getblockheader(h)["height"]
        assert_equal(to_units(node.getaccount(addr)["balance"]), 0)
        spend = transfer_tx(key, GENESIS, 0, dest.pubkey, 10 * COIN, 1000).hex()
        assert_raises_rpc_error(RPC_VERIFY_REJECTED, "insufficient-funds",
                                node.sendrawtransaction, spend)

        # Two blocks short: still nothing to spend, even in the next block.
        node.generatetoaddress(MATURITY - 2, self.miner_address)
        assert_equal(node.getblockcount(), height + MATURITY - 2)
        assert_equal(to_units(node.getaccount(addr)["balance"]), 0)
        assert_raises_rpc_error(RPC_VERIFY_REJECTED, "insufficient-funds",
                                node.sendrawtransaction, spend)

        # One block short: the balance at the tip is still 0, but the next
        # block (height + 100) credits the payout before its txs, so the
        # mempool takes the spend for it.
        node.generatetoaddress(1, self.miner_address)
        assert_equal(to_units(node.getaccount(addr)["balance"]), 0)
        txid = node.sendrawtransaction(spend)
        assert_equal(txid, Tx.deserialize(bytes.fromhex(spend)).txid().hex())
        assert_equal(node.getrawmempool(), [txid])
        self.spender = (key, addr)
        self.spender_nonce = 1
        self.dest = dest
        self.pending = (txid, spend, 1000)

    # -------------------------------------------------- getblocktemplate/submitblock
    def test_template_and_submit(self, node):
        self.log.info("getblocktemplate")
        txid, spend, fee = self.pending
        assert_equal(node.getmininginfo()["pooledtx"], 1)
        tip = self.tip_header(node)
        t = node.getblocktemplate()
        assert_equal(t["version"], 1)
        assert_equal(t["previousblockhash"], tip["hash"])
        assert_equal(t["height"], tip["height"] + 1)
        assert_equal(t["bits"], "207fffff")
        assert_equal(t["target"], "7fffff" + "0" * 58)
        assert_equal(t["mintime"], tip["mediantime"] + 1)
        assert t["curtime"] >= t["mintime"]
        assert_equal(t["sizelimit"], 4 * 1024 * 1024)
        assert_equal(t["coinbasevalue"], subsidy(t["height"]) + fee)
        assert_equal(len(t["transactions"]), 1)
        entry = t["transactions"][0]
        assert_equal(entry["data"], spend)
        assert_equal(entry["txid"], txid)
        assert_equal(entry["fee"], fee)
        assert_equal(entry["size"], len(spend) // 2)
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, "Invalid mode", node.getblocktemplate,
                                {"mode": "proposal"})

        self.log.info("submitblock of a block assembled from the template")
        key, addr = self.new_key()
        blk = self.block_from_template(t, key.pubkey)
        assert_equal(node.submitblock(blk.hex()), None)
        assert_equal(node.getbestblockhash(), blk.hash().hex())
        assert_equal(node.getrawmempool(), [])
        got = node.getblock(blk.hash().hex(), 2)
        assert_equal([x["txid"] for x in got["tx"]], [x.txid().hex() for x in blk.txs])
        assert_equal(to_units(got["tx"][0]["payload"]["amount"]), t["coinbasevalue"])
        assert_equal(node.getrawtransaction(txid, True)["blockhash"], blk.hash().hex())
        self.submitted = blk

    def block_from_template(self, t, recipient, amount=None, txs=None, time=None):
        cb = coinbase_tx(t["height"], recipient, t["coinbasevalue"] if amount is None else amount,
                         b"python")
        if txs is None:
            txs = [Tx.deserialize(bytes.fromhex(x["data"])) for x in t["transactions"]]
        blk = Block(BlockHeader(bytes.fromhex(t["previousblockhash"]), b"",
                                t["curtime"] if time is None else time, int(t["bits"], 16), 0),
                    [cb] + txs)
        blk.update_merkle_root()
        assert blk.solve()
        return blk

    def test_submit_rejections(self, node):
        self.log.info("submitblock rejections leave the tip alone")
        key, _ = self.new_key()
        tip = node.getbestblockhash()
        state = node.getstateinfo()["state_hash"]
        count = node.getblockcount()

        def rejected(blk_hex, reason):
            assert_equal(node.submitblock(blk_hex), reason)
            assert_equal(node.getbestblockhash(), tip)
            assert_equal(node.getstateinfo()["state_hash"], state)

        rejected(self.submitted.hex(), "duplicate")

        t = node.getblocktemplate()
        blk = self.block_from_template(t, key.pubkey)
        blk.header.merkle_root = bytes(32)
        blk.solve()
        rejected(blk.hex(), "bad-txnmrklroot")

        blk = self.block_from_template(t, key.pubkey)
        while blk.meets_target():
            blk.header.nonce += 1
        rejected(blk.hex(), "high-hash")

        blk = self.block_from_template(t, key.pubkey, amount=t["coinbasevalue"] + 1)
        rejected(blk.hex(), "bad-cb-amount")

        bad_nonce = transfer_tx(self.spender[0], GENESIS, self.spender_nonce + 5, self.dest.pubkey,
                                COIN, 1000)
        blk = self.block_from_template(t, key.pubkey, txs=[bad_nonce])
        rejected(blk.hex(), "bad-nonce")

        blk = self.block_from_template(t, key.pubkey, time=t["mintime"] - 1)
        rejected(blk.hex(), "time-too-old")

        blk = self.block_from_template(t, key.pubkey)
        blk.header.bits = 0x207ffffe
        blk.solve()
        rejected(blk.hex(), "bad-diffbits")

        blk = self.block_from_template(t, key.pubkey)
        blk.header.prev_hash = bytes(range(32))
        blk.solve()
        rejected(blk.hex(), "prev-blk-not-found")

        # A valid block beside the tip (same parent) is stored, not connected.
        parent = self.tip_header(node)["previousblockhash"]
        side = Block(BlockHeader(bytes.fromhex(parent), b"", t["curtime"], 0x207fffff, 0),
                     [coinbase_tx(count, key.pubkey, subsidy(count), b"side")])
        side.update_merkle_root()
        side.solve()
        rejected(side.hex(), "inconclusive")
        rejected(side.hex(), "duplicate")

        # Non-canonical bytes: the same block with its time as a uint64.
        blk = self.block_from_template(t, key.pubkey)
        good = blk.serialize()
        assert_equal(node.decoderawtransaction(blk.txs[0].hex())["type"], "coinbase")
        hdr = blk.header
        bad = (msgpack.raw_array_header(2, 0) + msgpack.raw_array_header(6, 0) +
               msgpack.encode(hdr.version) + msgpack.encode(hdr.prev_hash) +
               msgpack.encode(hdr.merkle_root) + msgpack.raw_uint(hdr.time, 8) +
               msgpack.encode(hdr.bits) + msgpack.encode(hdr.nonce) +
               msgpack.encode([x.to_array() for x in blk.txs]))
        assert good != bad
        assert_raises_rpc_error(RPC_DESERIALIZATION_ERROR, "Block decode failed: non-canonical",
                                node.submitblock, bad.hex())
        assert_raises_rpc_error(RPC_DESERIALIZATION_ERROR, "Block decode failed",
                                node.submitblock, good.hex() + "00")
        assert_raises_rpc_error(RPC_DESERIALIZATION_ERROR, "Block decode failed",
                                node.submitblock, "00")
        assert_equal(node.getbestblockhash(), tip)

        # And the good one still goes in.
        assert_equal(node.submitblock(good.hex()), None)
        assert_equal(node.getbestblockhash(), blk.hash().hex())

    # ----------------------------------------------------------------- generateblock
    def test_generateblock(self, node):
        self.log.info("generateblock")
        key, addr = self.new_key()
        skey, _ = self.spender
        n = self.spender_nonce
        a = transfer_tx(skey, GENESIS, n, self.dest.pubkey, COIN, 2000)
        b = transfer_tx(skey, GENESIS, n + 1, self.dest.pubkey, COIN, 1000)
        txid_a = node.sendrawtransaction(a.hex())

        # A mempool txid, then a raw tx that follows it.
        res = node.generateblock(addr, [txid_a, b.hex()])
        blk = node.getblock(res["hash"], 2)
        assert_equal(node.getbestblockhash(), res["hash"])
        assert_equal([x["txid"] for x in blk["tx"][1:]], [a.txid().hex(), b.txid().hex()])
        assert_equal(blk["tx"][0]["payload"]["recipient"], addr)
        assert_equal(to_units(blk["tx"][0]["payload"]["amount"]), subsidy(blk["height"]) + 3000)
        assert_equal(node.getrawmempool(), [])
        self.spender_nonce = n + 2

        # Only a coinbase.
        res = node.generateblock(addr, [])
        assert_equal(len(node.getblock(res["hash"], 1)["tx"]), 1)
        res = node.generateblock(addr)
        assert_equal(node.getbestblockhash(), res["hash"])

        # Errors change nothing.
        tip = node.getbestblockhash()
        late = transfer_tx(skey, GENESIS, self.spender_nonce + 1, self.dest.pubkey, COIN, 1000)
        assert_raises_rpc_error(RPC_VERIFY_ERROR, "bad-nonce", node.generateblock, addr,
                                [late.hex()])
        ok = transfer_tx(skey, GENESIS, self.spender_nonce, self.dest.pubkey, COIN, 1000)
        assert_raises_rpc_error(RPC_VERIFY_ERROR, "transaction 1: bad-nonce", node.generateblock,
                                addr, [ok.hex(), ok.hex()])
        assert_raises_rpc_error(RPC_INVALID_ADDRESS_OR_KEY, "not in mempool", node.generateblock,
                                addr, ["11" * 32])
        assert_raises_rpc_error(RPC_DESERIALIZATION_ERROR, "decode failed", node.generateblock,
                                addr, ["0102"])
        assert_raises_rpc_error(RPC_INVALID_ADDRESS_OR_KEY, "Invalid address", node.generateblock,
                                "nope", [])
        assert_equal(node.getbestblockhash(), tip)


if __name__ == "__main__":
    MiningBasicTest().main()

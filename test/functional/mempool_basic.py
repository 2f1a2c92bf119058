#!/usr/bin/env python3
"""Mempool RPCs: getmempoolinfo, getrawmempool (plain and verbose) and
getmempoolentry with per-sender dependencies; replacement by the same
sender and nonce only with a fee at least 10% higher; future nonces held
apart until the gap fills (and a cap on them); txs of blocks disconnected
by invalidateblock going back to the mempool and leaving it again on
reconsiderblock."""

from decimal import Decimal
import time

from test_framework.messages import COIN, genesis_hash, transfer_tx
from test_framework.test_framework import SoukTestFramework
from test_framework.util import (assert_equal, assert_greater_than_or_equal,
                                 assert_raises_rpc_error, to_coins, to_units)

RPC_INVALID_ADDRESS_OR_KEY = -5
RPC_INVALID_PARAMETER = -8
RPC_VERIFY_REJECTED = -26

GENESIS = genesis_hash("regtest")
MAX_FUTURE_PER_SENDER = 16


class MempoolBasicTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]
        self.node = node
        self.alice, self.alice_addr = self.new_key()
        self.carol, self.carol_addr = self.new_key()
        self.bob, self.bob_addr = self.new_key()
        self.miner, self.miner_addr = self.new_key()
        node.generatetoaddress(1, self.alice_addr)
        node.generatetoaddress(1, self.carol_addr)
        node.generatetoaddress(100, self.miner_addr)

        self.test_empty()
        self.test_entries()
        self.test_replacement()
        self.test_future()
        self.test_reorg()

    def send(self, key, nonce, fee, amount=COIN):
        tx = transfer_tx(key, GENESIS, nonce, self.bob.pubkey, amount, fee)
        assert_equal(self.node.sendrawtransaction(tx.hex()), tx.txid().hex())
        return tx

    def mine(self, n=1):
        return self.node.generatetoaddress(n, self.miner_addr)

    def nonce(self, addr):
        return self.node.getaccount(addr)["nonce"]

    # ---------------------------------------------------------------------- empty
    def test_empty(self):
        self.log.info("getmempoolinfo of an empty pool")
        info = self.node.getmempoolinfo()
        assert_equal(info, {"loaded": True, "size": 0, "bytes": 0, "usage": 0,
                            "total_fee": Decimal(0), "maxmempool": 300 * 1000 * 1000,
                            "mempoolminfee": Decimal("0.00001000"),
                            "minrelaytxfee": Decimal("0.00001000"), "futures": 0,
                            "future_bytes": 0, "max_future_bytes": 30 * 1000 * 1000,
                            "signature_checks": 0})
        assert_equal(self.node.getrawmempool(), [])
        assert_equal(self.node.getrawmempool(True), {})

    # -------------------------------------------------------------------- entries
    def test_entries(self):
        self.log.info("getrawmempool, getmempoolentry and getmempoolinfo with txs")
        node = self.node
        height = node.getblockcount()
        t0 = int(time.time())
        a = [self.send(self.alice, i, 1000 + 100 * i) for i in range(3)]
        c = self.send(self.carol, 0, 5000)
        ids = [t.txid().hex() for t in a]

        raw = node.getrawmempool()
        assert_equal(sorted(raw), sorted(ids + [c.txid().hex()]))
        # Grouped by sender, each sender's in nonce order.
        pos = raw.index(ids[0])
        assert_equal(raw[pos:pos + 3], ids)

        verbose = node.getrawmempool(True)
        assert_equal(set(verbose), set(raw))
        for i, tx in enumerate(a):
            e = verbose[ids[i]]
            size = len(tx.serialize())
            assert_equal(e["size"], size)
            assert_equal(to_units(e["fee"]), tx.fee)
            assert_equal(e["fees"], {"base": to_coins(tx.fee)})
            assert_equal(to_units(e["feerate"]), tx.fee * 1000 // size)
            assert_equal(e["sender"], self.alice_addr)
            assert_equal(e["nonce"], i)
            assert_equal(e["future"], False)
            assert_equal(e["height"], height)
            assert_greater_than_or_equal(e["time"], t0 - 1)
            assert_equal(e["depends"], [ids[i - 1]] if i > 0 else [])
            assert_equal(e["spentby"], [ids[i + 1]] if i < 2 else [])
            assert_equal(node.getmempoolentry(ids[i]), e)
        ce = node.getmempoolentry(c.txid().hex())
        assert_equal((ce["sender"], ce["depends"], ce["spentby"]), (self.carol_addr, [], []))

        info = node.getmempoolinfo()
        assert_equal(info["size"], 4)
        assert_equal(info["bytes"], sum(len(t.serialize()) for t in a + [c]))
        assert_equal(to_units(info["total_fee"]), sum(t.fee for t in a + [c]))
        assert_equal(node.getmininginfo()["pooledtx"], 4)

        assert_raises_rpc_error(RPC_INVALID_ADDRESS_OR_KEY, "not in mempool",
                                node.getmempoolentry, "00" * 32)
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, None, node.getmempoolentry, "00")
        self.alice_pending = a

    # ---------------------------------------------------------------- replacement
    def test_replacement(self):
        self.log.info("replacement needs a fee at least 10% higher")
        node = self.node
        last = self.alice_pending[2]           # nonce 2, fee 1200
        low = transfer_tx(self.alice, GENESIS, 2, self.bob.pubkey, 2 * COIN, 1319)
        assert_raises_rpc_error(RPC_VERIFY_REJECTED, "replacement-fee-too-low",
                                node.sendrawtransaction, low.hex())
        assert last.txid().hex() in node.getrawmempool()
        assert low.txid().hex() not in node.getrawmempool()

        high = transfer_tx(self.alice, GENESIS, 2, self.bob.pubkey, 2 * COIN, 1320)
        assert_equal(node.sendrawtransaction(high.hex()), high.txid().hex())
        pool = node.getrawmempool()
        assert last.txid().hex() not in pool
        assert high.txid().hex() in pool
        assert_equal(node.getmempoolentry(high.txid().hex())["depends"],
                     [self.alice_pending[1].txid().hex()])
        assert_equal(node.getmempoolinfo()["size"], 4)

        [h] = self.mine()
        blk = node.getblock(h)
        assert high.txid().hex() in blk["tx"]
        assert last.txid().hex() not in blk["tx"]
        assert_equal(node.getrawmempool(), [])
        assert_equal(self.nonce(self.alice_addr), 3)

    # --------------------------------------------------------------------- future
    def test_future(self):
        self.log.info("future nonces wait for their gap")
        node = self.node
        n = self.nonce(self.alice_addr)
        later = self.send(self.alice, n + 2, 1000)
        e = node.getmempoolentry(later.txid().hex())
        assert_equal(e["future"], True)
        assert_equal(node.getaccount(self.alice_addr)["pending_nonce"], n)
        # Not minable: a block leaves it where it is.
        [h] = self.mine()
        assert_equal(node.getblock(h)["tx"][1:], [])
        assert_equal(node.getrawmempool(), [later.txid().hex()])
        assert_equal(node.getblocktemplate()["transactions"], [])

        first = self.send(self.alice, n, 1000)
        assert_equal(node.getmempoolentry(later.txid().hex())["future"], True)
        second = self.send(self.alice, n + 1, 1000)
        assert_equal(node.getmempoolentry(later.txid().hex())["future"], False)
        assert_equal(node.getaccount(self.alice_addr)["pending_nonce"], n + 3)
        [h] = self.mine()
        assert_equal(node.getblock(h)["tx"][1:],
                     [first.txid().hex(), second.txid().hex(), later.txid().hex()])
        assert_equal(node.getrawmempool(), [])

        self.log.info("at most %d future txs per sender", MAX_FUTURE_PER_SENDER)
        n = self.nonce(self.alice_addr)
        held = [self.send(self.alice, n + 1 + i, 1000) for i in range(MAX_FUTURE_PER_SENDER)]
        extra = transfer_tx(self.alice, GENESIS, n + 1 + MAX_FUTURE_PER_SENDER, self.bob.pubkey,
                            COIN, 1000)
        assert_raises_rpc_error(RPC_VERIFY_REJECTED, "too-many-pending",
                                node.sendrawtransaction, extra.hex())
        assert_equal(len(node.getrawmempool()), MAX_FUTURE_PER_SENDER)
        assert all(node.getmempoolentry(t.txid().hex())["future"] for t in held)
        # Filling the gap releases them all into one block.
        self.send(self.alice, n, 1000)
        [h] = self.mine()
        assert_equal(len(node.getblock(h)["tx"]), 2 + MAX_FUTURE_PER_SENDER)
        assert_equal(node.getrawmempool(), [])

    # ---------------------------------------------------------------------- reorg
    def test_reorg(self):
        self.log.info("invalidateblock puts a block's txs back; reconsiderblock takes them out")
        node = self.node
        state = node.getstateinfo()["state_hash"]
        tip = node.getbestblockhash()
        n = self.nonce(self.alice_addr)
        txs = [self.send(self.alice, n + i, 2000) for i in range(3)]
        cx = self.send(self.carol, self.nonce(self.carol_addr), 3000)
        ids = sorted(t.txid().hex() for t in txs + [cx])
        [b1] = self.mine()
        [b2] = self.mine()
        assert_equal(node.getrawmempool(), [])
        confirmed_state = node.getstateinfo()["state_hash"]

        node.invalidateblock(b1)
        assert_equal(node.getbestblockhash(), tip)
        assert_equal(node.getstateinfo()["state_hash"], state)
        assert_equal(sorted(node.getrawmempool()), ids)
        for t in txs:
            assert_equal(node.getmempoolentry(t.txid().hex())["future"], False)
        assert_equal(node.getaccount(self.alice_addr)["pending_nonce"], n + 3)

        node.reconsiderblock(b1)
        assert_equal(node.getbestblockhash(), b2)
        assert_equal(node.getstateinfo()["state_hash"], confirmed_state)
        assert_equal(node.getrawmempool(), [])

        # A different branch mined after the invalidation confirms them again.
        node.invalidateblock(b1)
        assert_equal(sorted(node.getrawmempool()), ids)
        [c1, c2, c3] = self.mine(3)
        assert_equal(node.getbestblockhash(), c3)
        assert_equal(sorted(node.getblock(c1)["tx"][1:]), ids)
        assert_equal(node.getrawmempool(), [])
        for t in txs + [cx]:
            assert_equal(node.getrawtransaction(t.txid().hex(), True)["blockhash"], c1)


if __name__ == "__main__":
    MempoolBasicTest().main()

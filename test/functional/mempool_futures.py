#!/usr/bin/env python3
"""The mempool cannot be jammed with future transactions (the audit's
attack): 160 keys holding 0.001 coin each send 16 transfers each, with
256-byte memos, at nonces near 2^62, into a 1 MB pool. Before, each key's
futures only had to be covered one at a time and any nonce gap was held,
so they filled the pool at the minimum fee rate and an honest transaction
paying that rate was refused as "mempool-full". Now a nonce more than 64
past a sender's next one is refused (nonce-gap-too-large), a sender's
balance must cover all it has pending, and the honest transaction gets in.
Funded futures paying far more than the minimum hold at most 10% of the
pool (before, they could fill all of it), and a full pool still lets a
ready transaction at the minimum in: futures are evicted first."""
from test_framework.messages import COIN
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, assert_raises_rpc_error

KEYS = 160
FUTURES = 16
MEMO = b"\x55" * 256


class MempoolFuturesTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.extra_args = [["-maxmempool=1"]]

    def run_test(self):
        node = self.nodes[0]
        payer, payer_addr = self.new_key()
        self.generate(node, 1, payer_addr)
        self.generate(node, 100)
        _, sink = self.new_key()
        attackers = [self.new_key() for _ in range(KEYS)]
        self.log.info("fund %d keys with 0.001 coin each", KEYS)
        for i, (_, addr) in enumerate(attackers):
            node.sendrawtransaction(self.make_transfer(payer, i, addr, COIN // 1000, 1000))
        self.generate(node, 1)
        assert_equal(node.getmempoolinfo()["size"], 0)

        self.log.info("each sends %d futures at nonces near 2^62 (%d in all)", FUTURES,
                      KEYS * FUTURES)
        refused = 0
        for key, _ in attackers:
            for n in range(FUTURES):
                raw = self.make_transfer(key, (1 << 62) + n, sink, 1, 500, MEMO)
                try:
                    node.sendrawtransaction(raw)
                except Exception as e:
                    assert "nonce-gap-too-large" in str(e), str(e)
                    refused += 1
        info = node.getmempoolinfo()
        self.log.info("refused %d; the pool holds %d txs, %d bytes", refused, info["size"],
                      info["bytes"])
        assert_equal(refused, KEYS * FUTURES)
        assert_equal(info["size"], 0)

        self.log.info("futures within the gap must be covered together")
        key, addr = attackers[0]
        node.sendrawtransaction(self.make_transfer(key, 1, sink, 1, 40000))
        node.sendrawtransaction(self.make_transfer(key, 2, sink, 1, 40000))
        assert_raises_rpc_error(-26, "insufficient-funds", node.sendrawtransaction,
                                self.make_transfer(key, 3, sink, 1, 40000))

        self.log.info("an honest tx paying the minimum relay fee is accepted")
        honest = self.make_transfer(payer, KEYS, sink, COIN, 300)
        txid = node.sendrawtransaction(honest)
        assert txid in node.getrawmempool()

        self.log.info("funded futures paying 50 units/byte hold at most 10% of the pool")
        rich = [self.new_key() for _ in range(KEYS)]
        for i, (_, addr) in enumerate(rich):
            node.sendrawtransaction(self.make_transfer(payer, KEYS + 1 + i, addr, COIN // 100, 1000))
        self.generate(node, 1)
        gapped, chains = rich[:20], rich[20:]
        full = 0
        for key, _ in gapped:
            for n in range(FUTURES):
                try:
                    node.sendrawtransaction(self.make_transfer(key, 1 + n, sink, 1, 21000, MEMO))
                except Exception as e:
                    assert "mempool-futures-full" in str(e), str(e)
                    full += 1
        info = node.getmempoolinfo()
        self.log.info("%d futures held (%d bytes of %d), %d refused", info["futures"],
                      info["future_bytes"], info["max_future_bytes"], full)
        assert_equal(info["max_future_bytes"], info["maxmempool"] // 10)
        assert full > 0
        assert info["future_bytes"] <= info["max_future_bytes"]
        assert info["future_bytes"] > info["max_future_bytes"] - 500

        self.log.info("ready txs at 50 units/byte fill the rest, up to the last tx's room")
        filled = False
        for key, _ in chains:
            for n in range(FUTURES):
                raw = self.make_transfer(key, n, sink, 1, 21000, MEMO)
                if node.getmempoolinfo()["bytes"] + len(raw) // 2 > node.getmempoolinfo()["maxmempool"]:
                    filled = True
                    break
                node.sendrawtransaction(raw)
            if filled:
                break
        assert filled
        info = node.getmempoolinfo()
        self.log.info("the pool holds %d txs (%d futures), %d bytes of %d", info["size"],
                      info["futures"], info["bytes"], info["maxmempool"])
        assert info["bytes"] > info["maxmempool"] - 5000
        assert info["futures"] > 0
        self.log.info("futures are evicted before a ready tx is refused, whatever they claim")
        # as large as a future, so it only fits if something leaves
        ready = self.make_transfer(payer, 2 * KEYS + 1, sink, COIN, 450, MEMO)
        txid = node.sendrawtransaction(ready)
        assert txid in node.getrawmempool()
        assert not node.getmempoolentry(txid)["future"]
        assert node.getmempoolinfo()["futures"] < info["futures"]

if __name__ == "__main__":
    MempoolFuturesTest().main()

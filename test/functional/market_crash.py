#!/usr/bin/env python3
"""A restart and kill -9 in the middle of a burst of market transactions.

Each round funds fresh sellers, buyers and an arbiter, signs a plan of market
transactions block by block (listings created, orders placed on the listings
of the block before, accepted or cancelled, shipped, completed or disputed,
disputes resolved with a split; built with the test's own codec) and lets a
thread send each block's transactions and mine it, as fast as the node
takes them. In the middle of that burst the node is stopped (first round)
or killed with SIGKILL (the other rounds). It must come back on its own with
every block it reported before, a valid tip, the supply identity holding,
and the same state_hash, supply figures and market index answers (listings,
orders, an order's history) as a -reindex of the same blocks gives; then a
new burst runs on top of it."""
import random
import threading
import time

from test_framework.messages import (
    COIN, genesis_hash, market_tx, listing_create, order_place, order_accept, order_ship,
    order_complete, order_cancel, order_dispute, order_resolve)
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, assert_greater_than_or_equal, wait_until

ROUNDS = 7
STEPS = 16           # blocks per burst
SELLERS, BUYERS = 2, 3
FEE = 2000
PRICE = 3 * COIN + 7
GENESIS = genesis_hash("regtest")


class Plan:
    """Market transactions for STEPS blocks, every one valid over the block before it."""

    def __init__(self, test):
        self.sellers = [test.new_key() for _ in range(SELLERS)]
        self.buyers = [test.new_key() for _ in range(BUYERS)]
        self.arbiter = test.new_key()
        self.nonce = {}
        self.steps = []
        self.buyer_addrs = [b[1] for b in self.buyers]
        listings = []            # (seller index, listing id) created at the step before
        # orders moved at the step before: (order id, seller index, buyer index, has an arbiter)
        placed, accepted, shipped, disputed = [], [], [], []
        for step in range(STEPS):
            txs = []

            def tx(who, kind, payload):
                n = self.nonce.get(who[1], 0)
                self.nonce[who[1]] = n + 1
                t = market_tx(who[0], GENESIS, n, kind, payload, FEE)
                txs.append(t)
                return t.txid()

            for o in disputed:
                tx(self.arbiter, "order_resolve", order_resolve(o[0], PRICE // 3))
            for o in shipped:
                # an order with an arbiter is disputed, the others completed
                if o[3]:
                    tx(self.buyers[o[2]], "order_dispute", order_dispute(o[0], "broken"))
                else:
                    tx(self.buyers[o[2]], "order_complete", order_complete(o[0]))
            for o in accepted:
                tx(self.sellers[o[1]], "order_ship", order_ship(o[0]))
            # one order in four is cancelled by its seller instead of accepted
            cancel = [(step + i) % 4 == 0 for i in range(len(placed))]
            for o, c in zip(placed, cancel):
                if c:
                    tx(self.sellers[o[1]], "order_cancel", order_cancel(o[0]))
                else:
                    tx(self.sellers[o[1]], "order_accept", order_accept(o[0]))
            new_placed = []
            for b, (s, lid) in enumerate(listings):
                arb = (self.arbiter[0].pubkey, 300) if (step + b) % 2 else (b"", 0)
                oid = tx(self.buyers[b], "order_place", order_place(lid, 1, PRICE, *arb))
                new_placed.append((oid, s, b, bool(arb[1])))
            listings = [(i % SELLERS, tx(self.sellers[i % SELLERS], "listing_create",
                                         listing_create("lamp %d %d" % (step, i), PRICE, 50, "a lamp",
                                                        "lighting")))
                        for i in range(BUYERS)]
            disputed = [o for o in shipped if o[3]]
            shipped = accepted
            accepted = [o for o, c in zip(placed, cancel) if not c]
            placed = new_placed
            self.steps.append(txs)
        self.total = sum(len(s) for s in self.steps)


class Burst(threading.Thread):
    """Sends each step's transactions and mines it, until done or the node goes away."""

    def __init__(self, node, plan, address):
        super().__init__(daemon=True)
        self.node, self.plan, self.address = node, plan, address
        self.sent = 0
        self.mining = False      # a generatetoaddress is under way
        self.mined = []
        self.error = None

    def run(self):
        rpc = self.node.make_rpc(timeout=30)
        try:
            for txs in self.plan.steps:
                for t in txs:
                    rpc.sendrawtransaction(t.hex())
                    self.sent += 1
                self.mining = True
                self.mined += rpc.generatetoaddress(1, self.address)
                self.mining = False
        except Exception as e:  # the node was stopped or killed under it: expected then
            self.error = e


class MarketCrashTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def fund(self, plan):
        node = self.node
        n = node.getaccount(self.miner_address)["pending_nonce"]
        for i, (_, addr) in enumerate(plan.sellers + plan.buyers + [plan.arbiter]):
            node.sendrawtransaction(self.make_transfer(self.miner_key, n + i, addr, 100 * COIN, FEE))
        self.generate(node, 1)
        assert_equal(node.getrawmempool(), [])

    def index_synced(self):
        node = self.node
        wait_until(lambda: node.getindexinfo("market")["market"]["synced"] and
                   node.getindexinfo("market")["market"]["best_block_height"] == node.getblockcount(),
                   timeout=60, what="the market index at the tip")

    def view(self, plan):
        """What must not depend on how the node got here."""
        node = self.node
        self.index_synced()
        orders = [node.market_listorders({"address": a, "limit": 1000}) for a in plan.buyer_addrs]
        first = [o["orders"][-1]["id"] for o in orders if o["orders"]]
        return {
            "tip": node.getbestblockhash(),
            "state": node.getstateinfo()["state_hash"],
            "supply": node.getsupplyinfo(),
            "listings": node.market_listlistings({"status": "all", "limit": 1000}),
            "search": node.market_searchlistings("lamp", {"limit": 1000}),
            "orders": orders,
            "history": [node.market_getorder(oid) for oid in first],
        }

    def run_test(self):
        self.node = node = self.nodes[0]
        rng = random.Random(self.options.portseed)
        self.miner_key, self.miner_address = self.new_key()
        # 100 mature coinbases (5,000 coins) fund every round's 600 whatever the kills cost
        # in blocks: how many the bursts mine before each kill depends on the seed and speed
        self.generate(node, 200)
        assert_greater_than_or_equal(node.getaccount(self.miner_address)["balance"],
                                     ROUNDS * (SELLERS + BUYERS + 1) * 100 + 1)
        for rnd in range(ROUNDS):
            plan = Plan(self)
            self.fund(plan)
            # the stop, and every other kill, lands while transactions are sent; the other kills
            # while a block is being made and connected
            how = "stop" if rnd == 0 else "kill -9 while sending" if rnd % 2 else "kill -9 while mining"
            target = rng.randint(plan.total // 4, 3 * plan.total // 4)
            burst = Burst(node, plan, self.miner_address)
            burst.start()
            wait_until(lambda: (burst.sent >= target and (burst.mining or "mining" not in how))
                       or not burst.is_alive(), timeout=120, poll=0.001,
                       what="%d market txs sent" % target)
            assert burst.is_alive(), "the burst ended before the %s: %r" % (how, burst.error)
            if "mining" in how:
                time.sleep(rng.uniform(0, 0.004))
            seen = node.getblockcount()
            if rnd == 0:
                node.stop_node()
            else:
                node.kill_process()
            burst.join(30)
            assert not burst.is_alive()
            self.start_node(0)
            self.log.info("round %d: %s after %d of %d market txs, %d blocks of the burst reported "
                          "mined, height %d before and %d after", rnd, how, burst.sent, plan.total,
                          len(burst.mined), seen, node.getblockcount())
            assert_greater_than_or_equal(node.getblockcount(), seen)
            for h in burst.mined:
                assert_equal(node.getblock(h)["confirmations"] > 0, True)
            tip = node.getblock(node.getbestblockhash())
            assert_equal(tip["height"], node.getblockcount())
            self.check_supply()
            after = self.view(plan)
            self.restart_node(0, ["-reindex"])
            assert_equal(self.view(plan), after)
            self.restart_node(0)
            assert_equal(self.view(plan), after)
        # the last state still takes blocks
        self.generate(node, 1)
        self.check_supply()


if __name__ == "__main__":
    MarketCrashTest().main()

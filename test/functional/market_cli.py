#!/usr/bin/env python3
"""Three users on three nodes — a seller, a buyer and an arbiter, each with
its own wallet on its own node — trade through the real souk-cli binary:
every market action, every read of the outcome, every block mined and every
balance is a souk-cli call (-rpcwallet for the actions); only the
framework's waits for the nodes to sync use RPC.

Checks: a profile and a listing found by a search from the other nodes; an
order placed, accepted, shipped and completed with the balances of all three
exact to the base unit, fees included; a cancellation by the buyer and one by
the seller; every timeout by mining blocks only (never accepted: refunded;
shipped, no dispute: completed; disputed, never resolved: refunded, no
arbiter fee); a dispute split by the arbiter while the buyer's and the
seller's nodes are stopped, the arbiter's fee exact, and both nodes agreeing
once back; a refusal printed by souk-cli with its rule, a non-zero exit and
nothing changed on any node."""
from test_framework.messages import COIN
from test_framework.test_framework import SoukTestFramework
from test_framework.test_node import CliError
from test_framework.util import assert_equal, assert_raises_message, to_units

FEE = "0.00002"
F = 2000                       # FEE in base units
PRICE = 12 * COIN + 345        # an awkward price: the arbiter's fee rounds down
ACCEPT_TIMEOUT, SHIP_TIMEOUT, DISPUTE_TIMEOUT = 20, 30, 40  # regtest, doc/market.md


def amount(units):
    return "%d.%08d" % divmod(units, COIN)


class Party:
    """One user: a node and a wallet on it; calling it runs souk-cli -rpcwallet=<wallet>."""

    def __init__(self, node, wallet):
        self.node, self.wallet = node, wallet

    def __call__(self, method, *args):
        return self.node.cli(method, *args, wallet=self.wallet)

    def act(self, method, *args, **opts):
        """A market action with these options, paying FEE; returns its txid."""
        r = self(method, *args, dict(opts, fee=FEE))
        assert_equal((to_units(r["fee"]), r["from"]), (F, self.addr))
        return r["txid"]


class MarketCliTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 3

    def setup_network(self):
        self.setup_nodes()
        self.connect_line()

    # -- helpers ---------------------------------------------------------------
    def running(self):
        return [n for n in self.nodes if n.running]

    def mine(self, n=1, node=None):
        """Mines n blocks with souk-cli on node (default: the arbiter's, the last running one)
        once every running node has the same mempool; returns the height of the last one."""
        nodes = self.running()
        node = node or nodes[-1]
        self.sync_mempools(nodes)
        node.cli("generatetoaddress", n, self.miner_address)
        self.sync_blocks(nodes)
        return node.cli("getblockcount")

    def bal(self, who):
        return to_units(self.running()[-1].cli("getaccount", who.addr)["balance"])

    def balances(self):
        return tuple(self.bal(p) for p in (self.seller, self.buyer, self.arbiter))

    def escrow(self):
        return to_units(self.running()[-1].cli("getsupplyinfo")["escrow"])

    def order(self, oid, node=None):
        return (node or self.running()[-1]).cli("market_getorder", oid)

    def snapshot(self):
        """What a refusal must leave as it was, on every node."""
        return [(sorted(n.cli("getrawmempool")), n.cli("getstateinfo")["state_hash"]) for n in self.running()]

    def refused(self, rule, party, method, *args):
        """souk-cli prints the rule on stderr, exits non-zero, and nothing changes anywhere."""
        before = self.snapshot()
        e = assert_raises_message(CliError, rule, party, method, *args, {"fee": FEE})
        assert_equal((e.returncode, e.code, e.stdout), (1, -26, ""))
        assert e.stderr.startswith("error code: -26\nerror message:\n" + rule), e.stderr
        assert_equal(self.snapshot(), before)

    def run_test(self):
        ns, nb, na = self.nodes
        self.seller, self.buyer, self.arbiter = (Party(ns, "seller"), Party(nb, "buyer"),
                                                 Party(na, "arbiter"))
        for p in (self.seller, self.buyer, self.arbiter):
            p.node.cli("createwallet", p.wallet)
            p.addr = p("getnewaddress")
        self.miner_key, self.miner_address = self.new_key()
        self.mine(110)
        for i, p in enumerate((self.seller, self.buyer, self.arbiter)):
            na.cli("sendrawtransaction", self.make_transfer(self.miner_key, i, p.addr, 100 * COIN, F))
        self.mine()
        assert_equal(self.balances(), (100 * COIN,) * 3)

        self.trade()
        self.cancellations()
        self.timeouts()
        self.split_while_offline()

    # -- a whole trade ----------------------------------------------------------
    def trade(self):
        self.log.info("profile, listing, search from the other nodes, order, accept, ship, complete")
        s, b, a = self.seller, self.buyer, self.arbiter
        s0, b0, a0 = self.balances()
        s.act("market_setprofile", "oak-works", "chairs and lamps")
        self.chair = s.act("market_createlisting", {
            "title": "A wooden chair", "description": "Oak, hand made, seats one",
            "category": "furniture", "price": amount(PRICE), "quantity": 20})
        self.mine()
        for node in (b.node, a.node):
            r = node.cli("market_searchlistings", "wooden chair", {"max_price": 13, "has_stock": True})
            assert_equal(r["total"], 1)
            hit = r["listings"][0]
            assert_equal((hit["id"], hit["seller"], hit["seller_name"], to_units(hit["price"]), hit["stock"]),
                         (self.chair, s.addr, "oak-works", PRICE, 20))
            assert_equal(node.cli("market_getprofile", "oak-works")["address"], s.addr)

        total = 2 * PRICE
        oid = b.act("market_placeorder", self.chair, "2", arbiter=a.addr, arbiter_fee_bps=200)
        self.mine()
        o = self.order(oid, s.node)
        assert_equal((o["state"], o["buyer"], o["seller"], o["arbiter"], to_units(o["escrow"])),
                     ("PLACED", b.addr, s.addr, a.addr, total))
        assert_equal(self.escrow(), total)
        s.act("market_acceptorder", oid)
        self.mine()
        s.act("market_shiporder", oid)
        self.mine()
        assert_equal(self.order(oid, b.node)["state"], "SHIPPED")
        b.act("market_completeorder", oid)
        self.mine()
        for p in (s, b, a):
            o = self.order(oid, p.node)
            assert_equal((o["state"], to_units(o["escrow"])), ("COMPLETED", 0))
            assert_equal([e["type"] for e in o["history"]],
                         ["order_place", "order_accept", "order_ship", "order_complete"])
        assert_equal(self.escrow(), 0)
        # seller: profile, listing, accept, ship; buyer: place, complete; arbiter: nothing
        assert_equal(self.balances(), (s0 + total - 4 * F, b0 - total - 2 * F, a0))
        assert_equal(a.node.cli("market_getlisting", self.chair)["stock"], 18)
        self.log.info("refused through souk-cli: the rule printed, exit 1, nothing changed")
        self.refused("market-bad-state: the order is not in a state that allows this", b,
                     "market_completeorder", oid)
        self.refused("market-not-buyer: only the buyer may do this", a, "market_completeorder", oid)

    # -- cancellations ------------------------------------------------------------
    def cancellations(self):
        self.log.info("the buyer cancels a placed order; the seller cancels an accepted one")
        s, b, a = self.seller, self.buyer, self.arbiter
        s0, b0, a0 = self.balances()
        stock = s.node.cli("market_getlisting", self.chair)["stock"]
        first = b.act("market_placeorder", self.chair, "1")
        second = b.act("market_placeorder", self.chair, "3")
        self.mine()
        assert_equal(b.node.cli("market_getlisting", self.chair)["stock"], stock - 4)
        assert_equal(self.escrow(), 4 * PRICE)
        b.act("market_cancelorder", first)
        s.act("market_acceptorder", second)
        self.mine()
        # once accepted, only the seller may back out
        self.refused("market-bad-state", b, "market_cancelorder", second)
        s.act("market_cancelorder", second)
        self.mine()
        for p in (s, b, a):
            assert_equal([self.order(o, p.node)["state"] for o in (first, second)], ["CANCELED", "CANCELED"])
            assert_equal(p.node.cli("market_getlisting", self.chair)["stock"], stock)
        assert_equal(self.escrow(), 0)
        # the buyer paid three fees and got every coin of both orders back
        assert_equal(self.balances(), (s0 - 2 * F, b0 - 3 * F, a0))

    # -- every timeout, by mining only -------------------------------------------------
    def timeouts(self):
        self.log.info("timeouts by mining only: never accepted, shipped, disputed and never resolved")
        s, b, a = self.seller, self.buyer, self.arbiter
        s0, b0, a0 = self.balances()
        unaccepted = b.act("market_placeorder", self.chair, "1")
        shipped = b.act("market_placeorder", self.chair, "1")
        disputed = b.act("market_placeorder", self.chair, "1", arbiter=a.addr, arbiter_fee_bps=500)
        placed_at = self.mine()
        s.act("market_acceptorder", shipped)
        s.act("market_shiporder", shipped)      # over its own pending accept
        s.act("market_acceptorder", disputed)
        shipped_at = self.mine()
        b.act("market_disputeorder", disputed, "it never came")
        disputed_at = self.mine()
        due = {unaccepted: placed_at + ACCEPT_TIMEOUT, shipped: shipped_at + SHIP_TIMEOUT,
               disputed: disputed_at + DISPUTE_TIMEOUT}
        for oid, height in due.items():
            assert_equal([d["height"] for d in self.order(oid, b.node)["deadlines"]], [height])
        assert_equal(self.escrow(), 3 * PRICE)

        for oid, final in ((unaccepted, "CANCELED"), (shipped, "COMPLETED"), (disputed, "RESOLVED")):
            before = self.order(oid)["state"]
            self.mine(due[oid] - 1 - a.node.cli("getblockcount"))
            assert_equal(self.order(oid)["state"], before)
            self.mine()
            for p in (s, b, a):
                o = self.order(oid, p.node)
                assert_equal((o["state"], o["state_height"], o["deadlines"], to_units(o["escrow"])),
                             (final, due[oid], [], 0))
                assert_equal(o["history"][-1]["type"], "timeout")
        assert_equal(self.escrow(), 0)
        # the buyer paid for the shipped order only, and four fees; the seller three fees;
        # the arbiter nothing and no fee (a dispute timeout pays no arbiter)
        assert_equal(self.balances(), (s0 + PRICE - 3 * F, b0 - PRICE - 4 * F, a0))

    # -- the arbiter splits while the other two are offline ------------------------------
    def split_while_offline(self):
        self.log.info("a dispute split by the arbiter while the buyer's and seller's nodes are stopped")
        s, b, a = self.seller, self.buyer, self.arbiter
        oid = b.act("market_placeorder", self.chair, "1", arbiter=a.addr, arbiter_fee_bps=500)
        self.mine()
        s.act("market_acceptorder", oid)
        s.act("market_shiporder", oid)
        self.mine()
        b.act("market_disputeorder", oid, "it came broken")
        self.mine()
        assert_equal(self.order(oid)["state"], "DISPUTED")
        s0, b0, a0 = self.balances()
        self.stop_node(0)
        self.stop_node(1)

        fee = PRICE * 500 // 10000          # 60000017.25 rounded down
        assert_equal(fee, 60000017)
        assert_equal(to_units(self.order(oid)["arbiter_fee"]), fee)
        back = 5 * COIN + 123
        self.refused("market-split-too-large", a, "market_resolveorder", oid, amount(PRICE - fee + 1))
        a.act("market_resolveorder", oid, amount(back))
        self.mine()
        o = self.order(oid)
        assert_equal((o["state"], to_units(o["escrow"]), o["history"][-1]["type"]),
                     ("RESOLVED", 0, "order_resolve"))
        assert_equal(self.balances(), (s0 + PRICE - fee - back, b0 + back, a0 + fee - F))
        after = (a.node.cli("getstateinfo")["state_hash"], self.balances())

        self.log.info("the buyer's and seller's nodes come back and agree")
        self.start_node(0, ["-wallet=seller"])
        self.start_node(1, ["-wallet=buyer"])
        self.connect_line()
        self.sync_blocks()
        for p in (s, b):
            assert_equal(self.order(oid, p.node)["state"], "RESOLVED")
            assert_equal(p.node.cli("getstateinfo")["state_hash"], after[0])
            assert_equal(to_units(p("getbalance")), self.bal(p))
        assert_equal(self.balances(), after[1])


if __name__ == "__main__":
    MarketCliTest().main()

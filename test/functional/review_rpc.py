#!/usr/bin/env python3
"""Reviews and reputation through the RPC methods, on three nodes and five
users, each with a wallet on its own node (node0: the seller oak-works;
node1: alice and bob; node2: the arbiter judge and carol, who also sells).

Five trades: alice buys twice from oak-works (one completed, one disputed
and split by the arbiter), bob once, carol's order is cancelled by the
seller, and alice buys from carol. Both sides review the completed and the
resolved trades, with and without aspects; the seller replies; the cancelled
order cannot be reviewed. Every user's reputation, in both roles, equals a
hand computation on every node, and the recomputation from review_list
(test_framework/reputation.py); market_getlisting, market_searchlistings
and market_getprofile carry the same summary. review_get, review_list's
filters (subject and author by address or name, order, minimum rating) and
paging; broadcast false; souk-cli; the read methods' refusals. The index is
rebuilt to the same answers after -reindex, a deleted file and a damaged
one; a reorg to another node's longer branch takes a review away on every
node and the reputation and state_hash are those of the branch."""
import os
from decimal import Decimal

from test_framework.messages import COIN
from test_framework.reputation import check_against_list, summary
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, assert_raises_rpc_error, to_units

FEE = "0.0001"
OPT = {"fee": FEE}
D = Decimal


def role(reviews=0, average=None, weighted=None, score=None, reviewers=0, aspects=None):
    """A role's expected figures; aspects: {name: (reviews, average)} for the rated ones."""
    a = {name: {"reviews": 0, "average": None}
         for name in ("quality", "description", "delivery", "communication")}
    for name, (n, avg) in (aspects or {}).items():
        a[name] = {"reviews": n, "average": D(avg)}
    return {"reviews": reviews, "average": None if average is None else D(average),
            "weighted_average": None if weighted is None else D(weighted),
            "score": None if score is None else D(score), "reviewers": reviewers, "aspects": a}


def trades(orders=0, completed=0, cancelled=0, disputed=0, refunded=0, counterparties=0):
    return {"orders": orders, "completed": completed, "cancelled": cancelled, "disputed": disputed,
            "refunded": refunded, "counterparties": counterparties}


class ReviewRpcTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 3

    def setup_network(self):
        self.setup_nodes()
        self.connect_line()

    def mine(self, n=1):
        self.sync_mempools()
        return self.generate(self.nodes[2], n)

    def run_test(self):
        n0, n1, n2 = self.nodes
        self.users = {"oak": (n0, "seller"), "alice": (n1, "alice"), "bob": (n1, "bob"),
                      "judge": (n2, "judge"), "carol": (n2, "carol")}
        self.w, self.a = {}, {}
        for user, (node, wallet) in self.users.items():
            node.createwallet(wallet)
            self.w[user] = node.wallet_rpc(wallet)
            self.a[user] = self.w[user].getnewaddress()
        self.miner_key, self.miner_address = self.new_key()
        self.generate(n0, 110)
        for i, addr in enumerate(self.a.values()):
            n0.sendrawtransaction(self.make_transfer(self.miner_key, i, addr, 100 * COIN, 10000))
        self.mine()

        self.trade()
        self.hand_computed()
        self.market_results()
        self.get_and_list()
        self.refusals()
        self.rebuilt_index()
        self.reorg()

    # -- five trades and their reviews ---------------------------------------------------
    def trade(self):
        self.log.info("five trades between five users on three nodes; both sides review")
        w, a = self.w, self.a
        w["oak"].market_setprofile("oak-works", "chairs and lamps", OPT)
        w["alice"].market_setprofile("alice", "", OPT)
        self.chair = w["oak"].market_createlisting({"title": "Oak chair", "price": 3, "quantity": 9}, OPT)["txid"]
        self.lamp = w["oak"].market_createlisting({"title": "Brass lamp", "price": 2, "quantity": 9}, OPT)["txid"]
        self.mug = w["carol"].market_createlisting({"title": "Clay mug", "price": 1, "quantity": 9}, OPT)["txid"]
        self.mine()
        arb = dict(OPT, arbiter=a["judge"], arbiter_fee_bps=100)
        o1 = w["alice"].market_placeorder(self.chair, 2, OPT)["txid"]     # total 6
        o2 = w["bob"].market_placeorder(self.lamp, 1, OPT)["txid"]        # total 2
        o4 = w["carol"].market_placeorder(self.chair, 1, OPT)["txid"]     # total 3, cancelled
        o5 = w["alice"].market_placeorder(self.mug, 1, OPT)["txid"]       # total 1
        self.mine()
        o3 = w["alice"].market_placeorder(self.lamp, 1, arb)["txid"]      # total 2, disputed
        for oid in (o1, o2):
            w["oak"].market_acceptorder(oid, OPT)
        w["oak"].market_cancelorder(o4, OPT)
        w["carol"].market_acceptorder(o5, OPT)
        self.mine()
        w["oak"].market_acceptorder(o3, OPT)
        w["alice"].market_completeorder(o1, OPT)
        w["bob"].market_completeorder(o2, OPT)
        w["alice"].market_completeorder(o5, OPT)
        self.mine()
        w["oak"].market_shiporder(o3, OPT)
        self.mine()
        w["alice"].market_disputeorder(o3, "one lamp arrived dented", OPT)
        self.mine()
        w["judge"].market_resolveorder(o3, 1, OPT)
        self.mine()
        self.orders = {"o1": o1, "o2": o2, "o3": o3, "o4": o4, "o5": o5}

        # the first round of reviews; alice's of o1 signed only, then sent by hand
        r = w["alice"].review_post(o1, 5, "Sturdy \u2014 tr\u00e8s bien \U0001F44D",
                                   dict(OPT, quality=5, description=4, delivery=5, communication=5,
                                        broadcast=False))
        assert_equal(self.nodes[1].getrawmempool(), [])
        assert_equal(self.nodes[1].decoderawtransaction(r["hex"])["type"], "review_post")
        assert_equal(self.nodes[1].sendrawtransaction(r["hex"]), r["txid"])
        assert_equal(r["from"], a["alice"])
        self.r = {"alice_o1": r["txid"]}
        self.r["oak_o1"] = w["oak"].review_post(o1, 4, "Paid at once", dict(OPT, communication=4))["txid"]
        self.r["bob_o2"] = w["bob"].review_post(o2, 2, "Flickers", OPT)["txid"]
        self.r["carol_o5"] = w["carol"].review_post(o5, 5, "", dict(OPT, communication=5))["txid"]
        self.mine()
        # later: the resolved dispute, by both sides (the latest of each reviewer), and a mug
        self.r["alice_o3"] = w["alice"].review_post(o3, 3, "Dented, fairly split", dict(OPT, delivery=1))["txid"]
        self.r["oak_o3"] = w["oak"].review_post(o3, 2, "Disputed a shipped lamp", OPT)["txid"]
        self.r["alice_o5"] = w["alice"].review_post(o5, 4, "Nice glaze", dict(OPT, quality=4))["txid"]
        self.mine()
        w["oak"].review_reply(self.r["bob_o2"], "Sorry: a new bulb is on its way", OPT)
        self.mine()
        # the cancelled order cannot be reviewed, by either party
        for who in ("carol", "oak"):
            assert_raises_rpc_error(-26, "review-order-refunded", w[who].review_post, o4, 1, "?", OPT)
        self.sync_blocks()

    # -- the hand computation --------------------------------------------------------------
    def expected(self):
        """Every user's reputation, computed by hand from the trades above."""
        return {
            # as seller: alice 5 (order 6) then 3 (order 2), bob 2 (order 2)
            #   average 10/3; weighted (30 + 6 + 4) / 10; score: alice's latest 3 and bob's 2
            "oak": (role(3, "3.33", "4.00", "2.50", 2, {"quality": (1, "5.00"), "description": (1, "4.00"),
                                                        "delivery": (2, "3.00"), "communication": (1, "5.00")}),
                    trades(orders=4, completed=2, cancelled=1, disputed=1, counterparties=3),
                    role(), trades()),
            # as buyer: oak 4 (order 6) then 2 (order 2), carol 5 (order 1)
            #   average 11/3; weighted (24 + 4 + 5) / 9; score: oak's latest 2 and carol's 5
            "alice": (role(), trades(),
                      role(3, "3.66", "3.66", "3.50", 2, {"communication": (2, "4.50")}),
                      trades(orders=3, completed=2, disputed=1, counterparties=2)),
            "bob": (role(), trades(), role(), trades(orders=1, completed=1, counterparties=1)),
            "carol": (role(1, "4.00", "4.00", "4.00", 1, {"quality": (1, "4.00")}),
                      trades(orders=1, completed=1, counterparties=1),
                      role(), trades(orders=1, cancelled=1, counterparties=1)),
            "judge": (role(), trades(), role(), trades()),
        }

    def hand_computed(self):
        self.log.info("every user's reputation equals the hand computation, on every node")
        for user, (seller, seller_trades, buyer, buyer_trades) in self.expected().items():
            for node in self.nodes:
                rep = node.review_getreputation(self.a[user])
                assert_equal(rep["address"], self.a[user])
                for got, want, want_trades in ((rep["as_seller"], seller, seller_trades),
                                               (rep["as_buyer"], buyer, buyer_trades)):
                    t = got.pop("trades")
                    assert_equal(got, want)
                    for k, v in want_trades.items():
                        assert_equal((user, k, t[k]), (user, k, v))
                check_against_list(node, self.a[user], assert_equal)
        n1 = self.nodes[1]
        assert_equal(n1.review_getreputation("oak-works"), n1.review_getreputation(self.a["oak"]))
        assert_equal(n1.review_getreputation("alice")["name"], "alice")
        assert_equal(n1.review_getreputation(self.a["bob"])["name"], None)
        # through souk-cli too
        cli = self.nodes[2].cli("review_getreputation", "oak-works")
        assert_equal(cli["as_seller"]["score"], D("2.50"))
        assert_equal(cli["as_seller"]["average"], D("3.33"))

    # -- the market's results ----------------------------------------------------------------
    def market_results(self):
        self.log.info("market_getlisting, market_searchlistings and market_getprofile carry the summary")
        for node in self.nodes:
            oak = summary(node.review_getreputation("oak-works")["as_seller"])
            assert_equal(node.market_getlisting(self.chair)["seller_reputation"], oak)
            found = node.market_searchlistings("lamp")["listings"]
            assert_equal([(l["id"], l["seller_reputation"]) for l in found], [(self.lamp, oak)])
            assert_equal(node.market_listlistings({"seller": self.a["oak"]})["listings"][0]["seller_reputation"], oak)
            carol = summary(node.review_getreputation(self.a["carol"])["as_seller"])
            assert_equal(node.market_getlisting(self.mug)["seller_reputation"], carol)
            p = node.market_getprofile("oak-works")["reputation"]
            assert_equal(p, {"as_seller": oak, "as_buyer": summary(self.expected()["oak"][2])})
            p = node.market_getprofile("alice")["reputation"]
            assert_equal(p["as_buyer"], summary(node.review_getreputation("alice")["as_buyer"]))
            assert_equal(p["as_buyer"]["score"], D("3.50"))

    # -- review_get and review_list ----------------------------------------------------------
    def get_and_list(self):
        self.log.info("review_get and review_list: filters by subject, author, order, rating; paging")
        n0, n1, n2 = self.nodes
        a, r, o = self.a, self.r, self.orders
        g = n2.review_get(r["alice_o1"])
        assert_equal((g["id"], g["order_id"], g["author"], g["author_role"], g["subject"], g["subject_role"]),
                     (r["alice_o1"], o["o1"], a["alice"], "buyer", a["oak"], "seller"))
        assert_equal((g["rating"], g["text"], to_units(g["order_total"]), g["reply"]),
                     (5, "Sturdy \u2014 tr\u00e8s bien \U0001F44D", 6 * COIN, None))
        assert_equal(g["aspects"], {"quality": 5, "description": 4, "delivery": 5, "communication": 5})
        assert_equal(g["height"], n2.getrawtransaction(r["alice_o1"], True)["height"])
        g = n0.review_get(r["bob_o2"])
        assert_equal(g["aspects"], {"quality": None, "description": None, "delivery": None,
                                    "communication": None})
        reply = g["reply"]
        assert_equal(reply["text"], "Sorry: a new bulb is on its way")
        assert_equal(reply["height"], n0.getrawtransaction(reply["txid"], True)["height"])
        assert_equal(n0.review_get(r["oak_o1"])["subject_role"], "buyer")

        def ids(res):
            return [x["id"] for x in res["reviews"]]

        # by subject, newest first (a block's reviews by position)
        about_oak = n1.review_list({"subject": "oak-works"})
        assert_equal(about_oak["total"], 3)
        assert_equal(set(ids(about_oak)[:1]), {r["alice_o3"]})
        assert_equal(set(ids(about_oak)), {r["alice_o1"], r["bob_o2"], r["alice_o3"]})
        assert_equal(about_oak, n1.review_list({"subject": a["oak"]}))
        heights = [x["height"] for x in about_oak["reviews"]]
        assert_equal(heights, sorted(heights, reverse=True))
        # by author (alice wrote three: two about oak-works, one about carol)
        by_alice = n2.review_list({"author": "alice"})
        assert_equal(set(ids(by_alice)), {r["alice_o1"], r["alice_o3"], r["alice_o5"]})
        assert_equal(n2.review_list({"author": "alice", "subject": a["carol"]})["total"], 1)
        # by order: both sides'
        assert_equal(set(ids(n0.review_list({"order_id": o["o3"]}))), {r["alice_o3"], r["oak_o3"]})
        assert_equal(n0.review_list({"order_id": o["o4"]}), {"total": 0, "reviews": []})
        # a minimum rating
        assert_equal(set(ids(n0.review_list({"min_rating": 4}))),
                     {r["alice_o1"], r["oak_o1"], r["carol_o5"], r["alice_o5"]})
        assert_equal(set(ids(n0.review_list({"subject": "oak-works", "min_rating": 3}))),
                     {r["alice_o1"], r["alice_o3"]})
        # paging: total counts every page, pages join up to the whole list
        everything = n0.review_list()
        assert_equal(everything["total"], 7)
        pages = [n0.review_list({"limit": 3, "offset": k}) for k in (0, 3, 6)]
        assert_equal([p["total"] for p in pages], [7, 7, 7])
        assert_equal(sum((ids(p) for p in pages), []), ids(everything))
        assert_equal(n0.review_list({"offset": 7})["reviews"], [])
        assert_equal(n0.review_list({"limit": 0}), {"total": 7, "reviews": []})
        # nobody has reviewed the judge or bob
        assert_equal(n0.review_list({"subject": a["judge"]})["total"], 0)

    def refusals(self):
        self.log.info("the read methods refuse bad input with a specific error")
        n = self.nodes[1]
        assert_raises_rpc_error(-5, "no review with this id", n.review_get, "00" * 32)
        assert_raises_rpc_error(-5, "no review with this id", n.review_get, self.orders["o1"])
        assert_raises_rpc_error(-8, "unknown key \"rating\"", n.review_list, {"rating": 5})
        assert_raises_rpc_error(-8, "min_rating: expected an integer from 0 to 5", n.review_list,
                                {"min_rating": 6})
        assert_raises_rpc_error(-8, "limit: expected an integer from 0 to 1000", n.review_list, {"limit": 1001})
        assert_raises_rpc_error(-5, "subject: no profile with this name", n.review_list, {"subject": "nobody"})
        assert_raises_rpc_error(-5, "author: no profile with this name", n.review_list, {"author": "nobody"})
        assert_raises_rpc_error(-8, "subject: neither an address nor a profile name", n.review_list,
                                {"subject": "No Body"})
        assert_raises_rpc_error(-8, "order_id: expected a 64-digit hex id", n.review_list, {"order_id": "12"})
        assert_raises_rpc_error(-5, "no profile with this name", n.review_getreputation, "nobody")
        assert_raises_rpc_error(-8, "neither an address nor a profile name", n.review_getreputation, "No Body")
        # an address with no trade is not an error: zero counts, null averages
        _, stranger = self.new_key()
        rep = n.review_getreputation(stranger)
        assert_equal((rep["name"], rep["as_seller"]["reviews"], rep["as_seller"]["score"]), (None, 0, None))
        assert_raises_rpc_error(-8, "options: unknown key \"colour\"", self.w["alice"].review_post,
                                self.orders["o1"], 5, "x", {"colour": "red"})

    # -- the index rebuilt ---------------------------------------------------------------------
    def snapshot(self, node):
        return (node.review_list({"limit": 1000}), node.review_get(self.r["bob_o2"]),
                node.review_list({"author": "alice", "min_rating": 4}),
                node.review_getreputation("oak-works"))

    def rebuilt_index(self):
        n0 = self.nodes[0]
        before = self.snapshot(n0)
        self.log.info("-reindex rebuilds the review index to the same answers")
        self.restart_node(0, ["-reindex"])
        assert_equal(self.snapshot(n0), before)
        db = os.path.join(n0.datadir, "regtest", "review.sqlite")
        self.log.info("a deleted index is rebuilt at start-up")
        self.stop_node(0)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
        self.start_node(0)
        assert_equal(self.snapshot(n0), before)
        self.log.info("a damaged index is moved aside and rebuilt")
        self.stop_node(0)
        with open(db, "wb") as f:
            f.write(b"not a database" * 200)
        for suffix in ("-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
        self.start_node(0)
        assert_equal(self.snapshot(n0), before)
        assert any(f.startswith("review.sqlite.damaged") for f in os.listdir(os.path.dirname(db)))
        info = n0.getindexinfo("review")["review"]
        assert_equal((info["synced"], info["best_block_height"]), (True, n0.getblockcount()))
        n0.loadwallet("seller")
        self.connect_nodes(0, 1)

    # -- a reorg across nodes ---------------------------------------------------------------------
    def reorg(self):
        self.log.info("a reorg to another node's longer branch takes a review away on every node")
        n0, n1, n2 = self.nodes
        self.sync_blocks()
        before = {u: n0.review_getreputation(self.a[u]) for u in ("oak", "bob")}
        # node2 goes its own way: carol answers alice's review there
        self.disconnect_nodes(1, 2)
        answer = self.w["carol"].review_reply(self.r["alice_o5"], "Thank you!", OPT)["txid"]
        self.generate(n2, 2, sync=False)
        # meanwhile oak-works reviews bob on node0 and node1's branch, one block long
        late = self.w["oak"].review_post(self.orders["o2"], 5, "Patient buyer", OPT)["txid"]
        self.sync_mempools([n0, n1])
        self.generate(n0, 1, sync=False)
        self.sync_blocks([n0, n1])
        assert_equal(n1.review_get(late)["rating"], 5)
        assert_equal(n1.review_getreputation(self.a["bob"])["as_buyer"]["reviews"], 1)
        assert_equal(n1.review_get(self.r["alice_o5"])["reply"], None)
        self.connect_nodes(1, 2)
        self.sync_blocks()
        for node in self.nodes:
            assert_equal(node.getbestblockhash(), n2.getbestblockhash())
            assert_equal(node.getstateinfo()["state_hash"], n2.getstateinfo()["state_hash"])
            # oak-works' review of bob is off the chain (back in node0's and node1's mempools)
            assert_raises_rpc_error(-5, "no review with this id", node.review_get, late)
            assert_equal(node.review_getreputation(self.a["bob"])["as_buyer"]["reviews"], 0)
            assert_equal(node.review_getreputation(self.a["oak"]), before["oak"])
            assert_equal(node.review_get(self.r["alice_o5"])["reply"]["txid"], answer)
            check_against_list(node, self.a["bob"], assert_equal)
        # it is mined again on the winning branch, exactly once
        self.mine()
        for node in self.nodes:
            assert_equal(node.review_get(late)["rating"], 5)
            assert_equal(node.review_getreputation(self.a["bob"])["as_buyer"]["score"], D("5.00"))


if __name__ == "__main__":
    ReviewRpcTest().main()

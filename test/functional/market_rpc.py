#!/usr/bin/env python3
"""The market's read RPCs and its search index, on three nodes — a seller, a
buyer and an arbiter — each with its own wallet. The market transactions are
made by each wallet's signing service (walletcreatetransaction with the
market types by name).

Checks: a listing found by market_searchlistings from another node, ranked,
with every filter and paging; market_getprofile, market_getlisting,
market_listlistings; market_getorder's state, parties, amounts, pending
deadline and history (a timeout included) and market_listorders by role;
balances exact to the base unit through a whole order; stock running out and
a closed listing leaving the search; a reorg putting a closed listing back
into the search results; the index rebuilt after -reindex, after its file is
deleted and after it is damaged (moved aside); and the read RPCs' refusals."""
import os
from urllib.parse import quote

from test_framework.authproxy import AuthServiceProxy, read_cookie
from test_framework.messages import COIN
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, assert_raises_rpc_error, to_units

FEE = "0.00002"
FEE_UNITS = 2000
ACCEPT_TIMEOUT = 20  # regtest, doc/market.md
PRICE = 12 * COIN + 345


def wallet_rpc(node, name):
    """A proxy that sends every call to /wallet/<name>."""
    return AuthServiceProxy("127.0.0.1", node.rpc_port, lambda: read_cookie(node.cookie_path),
                            node.rpc_timeout, path="/wallet/" + quote(name, safe=""))


def ids(res):
    return [l["id"] for l in res["listings"]]


class MarketRpcTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 3

    def setup_network(self):
        self.setup_nodes()
        self.connect_line()

    # -- helpers ---------------------------------------------------------------
    def act(self, who, type_name, payload):
        r = who.walletcreatetransaction(type_name, payload, {"fee": FEE})
        assert_equal(to_units(r["fee"]), FEE_UNITS)
        return r["txid"]

    def mine(self, n=1):
        self.sync_mempools()
        return self.generate(self.nodes[2], n)

    def bal(self, addr):
        return to_units(self.nodes[0].getaccount(addr)["balance"])

    def run_test(self):
        ns, nb, na = self.nodes
        for node, name in ((ns, "seller"), (nb, "buyer"), (na, "arbiter")):
            node.createwallet(name)
        self.seller, self.buyer, self.arbiter = (wallet_rpc(n, name) for n, name in
                                                 ((ns, "seller"), (nb, "buyer"), (na, "arbiter")))
        self.s_addr, self.b_addr, self.a_addr = (w.getnewaddress() for w in
                                                 (self.seller, self.buyer, self.arbiter))
        self.miner_key, self.miner_address = self.new_key()
        self.generate(ns, 110)
        funding = [ns.sendrawtransaction(self.make_transfer(self.miner_key, i, a, 100 * COIN, FEE_UNITS))
                   for i, a in enumerate((self.s_addr, self.b_addr, self.a_addr))]
        self.mine()
        for t in funding:
            assert_equal(ns.getrawtransaction(t, True)["confirmations"], 1)

        self.listings_and_search()
        self.order_through()
        self.timeout_history()
        self.stock_and_close()
        self.reorg()
        self.actions()
        self.rebuilt_index()
        self.refusals()

    # -- listings, profiles, search from another node ------------------------------
    def listings_and_search(self):
        ns, nb, na = self.nodes
        self.log.info("a profile and two listings, found from the buyer's and the arbiter's node")
        self.act(self.seller, "profile_set", {"name": "oak-works", "about": "chairs and lamps"})
        self.chair = self.act(self.seller, "listing_create", {
            "title": "A wooden chair", "description": "Oak, hand made, seats one",
            "category": "furniture", "price": "12.00000345", "quantity": 3, "media": [],
            "expires_at_height": 0})
        self.lamp = self.act(self.seller, "listing_create", {
            "title": "Steel lamp", "description": "A desk lamp with a wooden base",
            "category": "lighting", "price": 3, "quantity": 1, "media": ["ab" * 32],
            "expires_at_height": 0})
        self.mine()
        self.sync_blocks()

        p = nb.market_getprofile("oak-works")
        assert_equal((p["name"], p["about"], p["address"]), ("oak-works", "chairs and lamps", self.s_addr))
        assert_equal(na.market_getprofile(self.s_addr)["name"], "oak-works")

        l = nb.market_getlisting(self.chair)
        assert_equal((l["id"], l["seller"], l["seller_name"], l["status"]),
                     (self.chair, self.s_addr, "oak-works", "ACTIVE"))
        assert_equal((l["title"], l["category"], to_units(l["price"]), l["stock"]),
                     ("A wooden chair", "furniture", PRICE, 3))
        assert_equal(l["expires_at_height"], None)
        assert_equal(nb.market_getlisting(self.lamp)["media"], ["ab" * 32])

        r = nb.market_searchlistings("chair")
        assert_equal((r["total"], ids(r)), (1, [self.chair]))
        assert_equal(r["listings"][0]["seller_name"], "oak-works")
        # the seller's name is searched too: both listings are oak-works'
        assert_equal(na.market_searchlistings("works")["total"], 2)
        # "wooden" is in the chair's title and the lamp's description: the title weighs more
        assert_equal(ids(na.market_searchlistings("wooden")), [self.chair, self.lamp])
        # every word must match; case and accents do not matter
        assert_equal(ids(nb.market_searchlistings("LAMP desk")), [self.lamp])
        assert_equal(ids(nb.market_searchlistings("lámp")), [self.lamp])
        assert_equal(nb.market_searchlistings("lamp sofa")["total"], 0)
        # filters
        assert_equal(ids(nb.market_searchlistings("wooden", {"category": "lighting"})), [self.lamp])
        assert_equal(ids(nb.market_searchlistings("wooden", {"max_price": 5})), [self.lamp])
        assert_equal(ids(nb.market_searchlistings("wooden", {"min_price": "12.00000345"})), [self.chair])
        assert_equal(nb.market_searchlistings("wooden", {"min_price": "12.00000346"})["total"], 0)
        assert_equal(nb.market_searchlistings("wooden", {"seller": self.b_addr})["total"], 0)
        assert_equal(nb.market_searchlistings("wooden", {"seller": self.s_addr})["total"], 2)
        # paging: total counts every page
        page = nb.market_searchlistings("wooden", {"limit": 1, "offset": 1})
        assert_equal((page["total"], ids(page)), (2, [self.lamp]))
        assert_equal(ids(nb.market_searchlistings("wooden", {"limit": 1})), [self.chair])
        assert_equal(nb.market_searchlistings("wooden", {"offset": 2})["listings"], [])

        # listlistings: newest first, by seller and category
        assert_equal(ids(na.market_listlistings()), [self.lamp, self.chair])
        assert_equal(ids(na.market_listlistings({"seller": self.s_addr, "category": "furniture"})),
                     [self.chair])
        assert_equal(na.market_listlistings({"seller": self.a_addr})["total"], 0)

    # -- one order through, exact balances, getorder and listorders ----------------
    def order_through(self):
        ns, nb, na = self.nodes
        self.log.info("an order placed, accepted, shipped and completed: getorder, listorders, balances")
        s0, b0, a0 = self.bal(self.s_addr), self.bal(self.b_addr), self.bal(self.a_addr)
        total = 2 * PRICE
        oid = self.act(self.buyer, "order_place", {
            "listing_id": self.chair, "quantity": 2, "max_total": "24.0000069",
            "arbiter": self.a_addr, "arbiter_fee_bps": 200, "note": ""})
        placed = self.mine()
        h_placed = ns.getblock(placed[0])["height"]
        o = na.market_getorder(oid)
        assert_equal((o["state"], o["buyer"], o["seller"], o["arbiter"]),
                     ("PLACED", self.b_addr, self.s_addr, self.a_addr))
        assert_equal((o["quantity"], to_units(o["price"]), to_units(o["total"]), to_units(o["escrow"])),
                     (2, PRICE, total, total))
        assert_equal(to_units(o["arbiter_fee"]), total * 200 // 10000)
        assert_equal((o["placed_height"], o["listing_id"]), (h_placed, self.chair))
        assert_equal([d["height"] for d in o["deadlines"]], [h_placed + ACCEPT_TIMEOUT])
        assert o["deadlines"][0]["on_timeout"].startswith("cancel")
        assert_equal([(e["type"], e["by"], e["height"], e["txid"]) for e in o["history"]],
                     [("order_place", self.b_addr, h_placed, oid)])
        assert_equal(nb.market_getlisting(self.chair)["stock"], 1)

        steps = [(self.seller, "order_accept", {"order_id": oid}),
                 (self.seller, "order_ship", {"order_id": oid, "note": "0102"}),
                 (self.buyer, "order_complete", {"order_id": oid})]
        txids = [oid]
        for who, kind, payload in steps:
            txids.append(self.act(who, kind, payload))
            self.mine()
        o = ns.market_getorder(oid)
        assert_equal((o["state"], to_units(o["escrow"]), o["deadlines"]), ("COMPLETED", 0, []))
        assert_equal([e["type"] for e in o["history"]],
                     ["order_place", "order_accept", "order_ship", "order_complete"])
        assert_equal([e["txid"] for e in o["history"]], txids)
        assert_equal([e["by"] for e in o["history"]], [self.b_addr, self.s_addr, self.s_addr, self.b_addr])
        assert_equal(self.bal(self.s_addr), s0 + total - 2 * FEE_UNITS)
        assert_equal(self.bal(self.b_addr), b0 - total - 2 * FEE_UNITS)
        assert_equal(self.bal(self.a_addr), a0)

        for node in self.nodes:
            for addr, role in ((self.b_addr, "buyer"), (self.s_addr, "seller"), (self.a_addr, "arbiter")):
                r = node.market_listorders({"address": addr, "as": role})
                assert_equal((r["total"], [x["id"] for x in r["orders"]]), (1, [oid]))
        assert_equal(nb.market_listorders({"address": self.b_addr, "as": "seller"})["total"], 0)
        # without an address: the request wallet's addresses
        assert_equal(self.buyer.market_listorders({"as": "buyer"}),
                     nb.market_listorders({"address": self.b_addr, "as": "buyer"}))
        assert_equal([x["id"] for x in self.arbiter.market_listorders()["orders"]], [oid])
        assert_equal(self.arbiter.market_listorders({"as": "buyer"})["total"], 0)
        assert_equal(nb.market_listorders({"address": self.s_addr, "state": "completed"})["total"], 1)
        assert_equal(nb.market_listorders({"address": self.s_addr, "state": "placed"})["total"], 0)
        self.completed = oid

    def timeout_history(self):
        ns, nb, na = self.nodes
        self.log.info("an order never accepted is cancelled by its timeout: getorder shows it")
        oid = self.act(self.buyer, "order_place", {
            "listing_id": self.chair, "quantity": 1, "max_total": "12.00000345",
            "arbiter": "", "arbiter_fee_bps": 0, "note": ""})
        h = ns.getblock(self.mine()[0])["height"]
        assert_equal(nb.market_getorder(oid)["deadlines"][0]["height"], h + ACCEPT_TIMEOUT)
        assert_equal(nb.market_getlisting(self.chair)["stock"], 0)
        self.mine(ACCEPT_TIMEOUT)
        o = nb.market_getorder(oid)
        assert_equal((o["state"], o["state_height"], o["deadlines"], o["arbiter"]),
                     ("CANCELED", h + ACCEPT_TIMEOUT, [], None))
        assert_equal(o["history"][-1], {"height": h + ACCEPT_TIMEOUT, "txid": None, "type": "timeout",
                                        "by": None, "state": "CANCELED"})
        assert_equal(nb.market_getlisting(self.chair)["stock"], 1)
        r = nb.market_listorders({"address": self.b_addr, "as": "buyer"})
        assert_equal([x["id"] for x in r["orders"]], [oid, self.completed])
        page = nb.market_listorders({"address": self.b_addr, "as": "buyer", "limit": 1, "offset": 1})
        assert_equal((page["total"], [x["id"] for x in page["orders"]]), (2, [self.completed]))

    # -- stock running out, a listing closed ---------------------------------------
    def stock_and_close(self):
        ns, nb, na = self.nodes
        self.log.info("sold out: has_stock leaves it out; closed: it leaves the search")
        self.act(self.buyer, "order_place", {
            "listing_id": self.chair, "quantity": 1, "max_total": "12.00000345",
            "arbiter": "", "arbiter_fee_bps": 0, "note": ""})
        self.mine()
        assert_equal(nb.market_getlisting(self.chair)["stock"], 0)
        assert_equal(ids(nb.market_searchlistings("chair")), [self.chair])
        assert_equal(nb.market_searchlistings("chair", {"has_stock": True})["total"], 0)

        self.close_txid = self.act(self.seller, "listing_close", {"listing_id": self.lamp})
        self.close_block = self.mine()[0]
        for node in self.nodes:
            assert_equal(node.market_searchlistings("lamp")["total"], 0)
            assert_equal(node.market_getlisting(self.lamp)["status"], "CLOSED")
            assert_equal(ids(node.market_listlistings({"status": "closed"})), [self.lamp])
            assert_equal(ids(node.market_listlistings()), [self.chair])
            assert_equal(ids(node.market_listlistings({"status": "all"})), [self.lamp, self.chair])

    # -- a reorg puts the closed listing back ---------------------------------------
    def reorg(self):
        ns, nb, na = self.nodes
        self.log.info("a reorg that takes out the listing_close puts the listing back in the search")
        for n in self.nodes:
            n.invalidateblock(self.close_block)
        for n in self.nodes:
            assert_equal(ids(n.market_searchlistings("lamp")), [self.lamp])
            assert_equal(n.market_getlisting(self.lamp)["status"], "ACTIVE")
            assert_equal(ids(n.market_listlistings()), [self.lamp, self.chair])
        for n in self.nodes:
            n.reconsiderblock(self.close_block)
        for n in self.nodes:
            assert_equal(n.getbestblockhash(), self.close_block)
            assert_equal(n.market_searchlistings("lamp")["total"], 0)
            assert_equal(ids(n.market_listlistings({"status": "closed"})), [self.lamp])

    # -- the action methods, signing with each node's wallet ---------------------------
    def refused(self, rule, fn, *args, code=-26):
        """fn(*args) is refused with the rule and changes nothing (-26: by the mempool-inclusive
        check; -8: a rule no state can cure, found while the wallet builds and signs it)."""
        self.sync_mempools()
        pool = [sorted(n.getrawmempool()) for n in self.nodes]
        assert_raises_rpc_error(code, rule, fn, *args)
        assert_equal([sorted(n.getrawmempool()) for n in self.nodes], pool)

    def actions(self):
        ns, nb, na = self.nodes
        opt = {"fee": FEE}
        self.log.info("actions through RPC: a listing, an order disputed and split by the arbiter")
        s0, b0, a0 = self.bal(self.s_addr), self.bal(self.b_addr), self.bal(self.a_addr)
        r = self.seller.market_createlisting(
            {"title": "Birch bench", "description": "Seats three", "category": "furniture",
             "price": 5, "quantity": 2}, opt)
        assert_equal((to_units(r["fee"]), r["from"]), (FEE_UNITS, self.s_addr))
        bench = r["txid"]
        self.mine()
        assert_equal(ids(nb.market_searchlistings("bench")), [bench])
        self.refused("market-not-seller: only the seller may do this",
                     self.buyer.market_updatelisting, bench, {"price": 1}, opt)
        self.seller.market_updatelisting(bench, {"price": "5.5"}, opt)
        self.mine()
        l = nb.market_getlisting(bench)
        assert_equal((to_units(l["price"]), l["stock"], l["title"]), (5 * COIN + COIN // 2, 2, "Birch bench"))
        self.refused("market-name-taken", self.arbiter.market_setprofile, "oak-works", "", opt)
        self.arbiter.market_setprofile("fair-judge", "I arbitrate", opt)
        self.mine()
        assert_equal(nb.market_getprofile("fair-judge")["address"], self.a_addr)

        self.log.info("refusals at the pre-check, each with its rule and nothing sent")
        self.refused("market-own-listing", self.seller.market_placeorder, bench, 1, opt)
        self.refused("market-out-of-stock", self.buyer.market_placeorder, bench, 3, opt)
        self.refused("market-price-above-max", self.buyer.market_placeorder, bench, 1,
                     {"max_total": 5, "fee": FEE})
        self.refused("market-fee-bps-too-high", self.buyer.market_placeorder, bench, 1,
                     {"arbiter": self.a_addr, "arbiter_fee_bps": 1001, "fee": FEE}, code=-8)
        self.refused("market-arbiter-is-buyer", self.buyer.market_placeorder, bench, 1,
                     {"arbiter": self.b_addr, "fee": FEE}, code=-8)
        total = 5 * COIN + COIN // 2
        address_note = "Deliver to 4 Elm Row, ring twice \u2014 thanks"
        self.refused("note: at most 996 bytes of text", self.buyer.market_placeorder, bench, 1,
                     {"note": "x" * 997, "fee": FEE}, code=-8)
        r = self.buyer.market_placeorder(bench, 1, {"arbiter": self.a_addr, "arbiter_fee_bps": 500,
                                                    "note": address_note, "fee": FEE})
        oid = r["txid"]
        assert_equal(r["from"], self.b_addr)
        self.mine()
        assert_equal(na.market_getorder(oid)["state"], "PLACED")
        self.refused("market-not-seller: only the seller may do this",
                     self.buyer.market_acceptorder, oid, opt)
        self.refused("market-bad-state", self.buyer.market_completeorder, oid, opt)
        self.refused("market-not-arbiter", self.buyer.market_resolveorder, oid, 1, opt)
        self.refused("market-bad-state", self.arbiter.market_resolveorder, oid, 1, opt)

        # broadcast false: the signed hex, nothing sent
        r = self.seller.market_acceptorder(oid, {"fee": FEE, "broadcast": False})
        assert_equal(ns.getrawmempool(), [])
        assert_equal(ns.decoderawtransaction(r["hex"])["type"], "order_accept")
        assert_equal(ns.sendrawtransaction(r["hex"]), r["txid"])
        self.mine()
        self.seller.market_shiporder(oid, {"note": "Tracking RR123456789", "fee": FEE})
        self.mine()
        self.buyer.market_disputeorder(oid, "it never arrived", opt)
        self.mine()
        o = na.market_getorder(oid)
        assert_equal(o["state"], "DISPUTED")
        fee = total * 500 // 10000
        self.refused("market-split-too-large", self.arbiter.market_resolveorder, oid,
                     "%d.%08d" % divmod(total - fee + 1, COIN), opt)
        self.arbiter.market_resolveorder(oid, 2, opt)
        self.mine()
        o = nb.market_getorder(oid)
        assert_equal((o["state"], to_units(o["escrow"])), ("RESOLVED", 0))
        assert_equal([e["type"] for e in o["history"]],
                     ["order_place", "order_accept", "order_ship", "order_dispute", "order_resolve"])
        self.notes(oid, address_note, "Tracking RR123456789")
        assert_equal(self.bal(self.b_addr), b0 - total + 2 * COIN - 2 * FEE_UNITS)
        assert_equal(self.bal(self.s_addr), s0 + total - 2 * COIN - fee - 4 * FEE_UNITS)
        assert_equal(self.bal(self.a_addr), a0 + fee - 2 * FEE_UNITS)

        self.log.info("an order still in the mempool: the seller's accept is refused as the mempool would")
        b1 = self.bal(self.b_addr)
        oid2 = self.buyer.market_placeorder(bench, 1, opt)["txid"]
        self.sync_mempools()
        # the mempool applies a tx over the tip and its own sender's pending txs only
        self.refused("market-unknown-order", self.seller.market_acceptorder, oid2, opt)
        self.mine()
        self.refused("market-not-seller", self.arbiter.market_acceptorder, oid2, opt)
        self.seller.market_acceptorder(oid2, opt)
        # the seller's own pending accept counts: a second one is refused at once
        self.refused("market-bad-state", self.seller.market_acceptorder, oid2,
                     {"fee": FEE, "from": self.s_addr})
        self.mine()
        assert_equal(nb.market_getorder(oid2)["state"], "ACCEPTED")
        assert_equal(nb.market_getlisting(bench)["stock"], 0)
        self.seller.market_cancelorder(oid2, opt)  # the seller backs out before shipping
        self.mine()
        assert_equal(nb.market_getorder(oid2)["state"], "CANCELED")
        assert_equal(nb.market_getlisting(bench)["stock"], 1)
        assert_equal(self.bal(self.b_addr), b1 - FEE_UNITS)
        self.seller.market_closelisting(bench, opt)
        self.mine()
        assert_equal(nb.market_searchlistings("bench")["total"], 0)
        self.refused("market-listing-closed", self.buyer.market_placeorder, bench, 1, opt)

    def notes(self, oid, placed, shipped):
        """Order notes are sealed for the counterparty: the chain carries ciphertext, the
        buyer's and the seller's wallets read it, the arbiter's cannot."""
        ns, nb, na = self.nodes
        self.log.info("order notes: sealed on the chain, read by the two parties only")
        for node in (ns, nb):  # each node's only wallet is the request's wallet
            h = node.market_getorder(oid)["history"]
            assert_equal((h[0]["note_text"], h[2]["note_text"]), (placed, shipped))
        h = na.market_getorder(oid)["history"]
        assert "note_text" not in h[0] and "note_text" not in h[2]
        sealed = h[0]["note"]
        assert_equal(len(sealed) // 2, 12 + len(placed.encode()) + 16)
        raw = na.getrawtransaction(oid)
        assert placed.encode().hex() not in raw and sealed in raw
        assert_equal(self.seller.decryptmessage(self.s_addr, self.b_addr, sealed), placed)
        assert_equal(self.buyer.decryptmessage(self.b_addr, self.s_addr, sealed), placed)
        assert_raises_rpc_error(-8, "cannot open the message: it was not sealed between these two keys",
                                self.arbiter.decryptmessage, self.a_addr, self.b_addr, sealed)
        tampered = sealed[:-2] + ("00" if sealed[-2:] != "00" else "01")
        assert_raises_rpc_error(-8, "or it was altered", self.seller.decryptmessage, self.s_addr,
                                self.b_addr, tampered)
        assert_raises_rpc_error(-4, "not in this wallet", self.arbiter.encryptmessage, self.b_addr,
                                self.s_addr, "hello")
        assert_raises_rpc_error(-5, "recipient: Invalid address", self.arbiter.encryptmessage,
                                self.a_addr, "nonsense", "hello")
        mine = self.arbiter.encryptmessage(self.a_addr, self.s_addr, "\u00e9t\u00e9")
        assert_equal(self.seller.decryptmessage(self.s_addr, self.a_addr, mine), "\u00e9t\u00e9")
        empty = self.arbiter.encryptmessage(self.a_addr, self.s_addr, "")
        assert_equal(self.seller.decryptmessage(self.s_addr, self.a_addr, empty), "")

    # -- the index rebuilt -----------------------------------------------------------
    def snapshot(self, node):
        return (node.market_searchlistings("wooden"), node.market_listlistings({"status": "all"}),
                node.market_listorders({"address": self.b_addr}),
                node.market_getorder(self.completed))

    def rebuilt_index(self):
        ns = self.nodes[0]
        before = self.snapshot(ns)
        self.log.info("-reindex rebuilds the search index to the same answers")
        self.restart_node(0, ["-reindex"])
        assert_equal(self.snapshot(ns), before)
        self.log.info("a deleted index is rebuilt at start-up")
        self.stop_node(0)
        db = os.path.join(ns.datadir, "regtest", "market.sqlite")
        assert os.path.exists(db)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
        self.start_node(0)
        assert_equal(self.snapshot(ns), before)
        self.log.info("a damaged index is moved aside and rebuilt")
        self.stop_node(0)
        with open(db, "wb") as f:
            f.write(b"not a database at all" * 100)
        for suffix in ("-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
        self.start_node(0)
        assert_equal(self.snapshot(ns), before)
        assert any(f.startswith("market.sqlite.damaged") for f in os.listdir(os.path.dirname(db)))
        self.connect_nodes(0, 1)

    # -- refusals ----------------------------------------------------------------------
    def refusals(self):
        nb = self.nodes[1]
        self.log.info("the read RPCs refuse bad input with a specific error")
        assert_raises_rpc_error(-5, "no listing with this id", nb.market_getlisting, "00" * 32)
        assert_raises_rpc_error(-5, "no order with this id", nb.market_getorder, "00" * 32)
        assert_raises_rpc_error(-5, "no profile with this name", nb.market_getprofile, "nobody")
        assert_raises_rpc_error(-5, "no profile with this address", nb.market_getprofile, self.new_key()[1])
        assert_raises_rpc_error(-8, "neither an address nor a profile name", nb.market_getprofile, "No Body")
        assert_raises_rpc_error(-8, "query: give at least one word", nb.market_searchlistings, " -- ")
        assert_raises_rpc_error(-8, "unknown key \"colour\"", nb.market_searchlistings, "chair",
                                {"colour": "red"})
        assert_raises_rpc_error(-8, "max_price: not an amount", nb.market_searchlistings, "chair",
                                {"max_price": "cheap"})
        assert_raises_rpc_error(-5, "seller: not an address", nb.market_searchlistings, "chair",
                                {"seller": "oak-works"})
        assert_raises_rpc_error(-8, "limit", nb.market_listlistings, {"limit": 1001})
        assert_raises_rpc_error(-8, "status: one of", nb.market_listlistings, {"status": "open"})
        assert_raises_rpc_error(-8, "as: one of", nb.market_listorders, {"address": self.b_addr, "as": "judge"})
        assert_raises_rpc_error(-8, "state: one of", nb.market_listorders,
                                {"address": self.b_addr, "state": "lost"})


if __name__ == "__main__":
    MarketRpcTest().main()

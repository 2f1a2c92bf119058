#!/usr/bin/env python3
"""The review plugin's consensus, twice over: through the review RPCs of four
wallets (seller, buyer, arbiter, stranger) and through transactions built and
signed by the test's own codec (test_framework/messages.py) for four keys of
its own, sent with sendrawtransaction, generateblock and, in a block made and
solved here, submitblock.

Every forbidden review is refused with its own rule and changes nothing (the
mempool, the tip and state_hash compared before and after): at the RPC's
pre-check and in a block — a stranger, an order not finished (placed,
accepted, shipped, disputed), cancelled by a party or by the acceptance
timeout, a dispute refunded by its timeout, a second review by the same
party, a review past the window (the last height of the window accepted),
an overall rating of 0 or 6, an aspect of 6, a seller rating an aspect
reserved to buyers, a text over 2,048 bytes (2,048 accepted), invalid UTF-8,
an unknown order; a reply by anyone but the review's subject, a second reply
and a reply to no review. Reviews by the buyer and the seller of a completed
order and of a dispute the arbiter resolved are accepted, with and without
aspects.

A review farm (one seller, fifty funded buyer keys, no orders) posts zero
reviews. One seller trading ten times with one friendly key moves its
headline score as one counterparty does (the friend's latest review counts,
once). A reorg removes reviews and replies and restores the reputation, the
review index and state_hash exactly. Every reputation equals the
recomputation from review_list (test_framework/reputation.py)."""
import base64
import http.client
import json
import os
import re
from decimal import Decimal

from test_framework.authproxy import read_cookie
from test_framework.messages import (
    COIN, genesis_hash, market_tx, review_tx, transfer_tx, listing_create, order_place, order_accept,
    order_ship, order_complete, order_cancel, order_dispute, order_resolve, review_post,
    review_reply, MARKET_TYPES)
from test_framework.refusals import RefusalChecks, bad_str
from test_framework.reputation import check_against_list
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, assert_raises_rpc_error, to_units as to_units_str

FEE = 10000      # above the relay minimum (a unit per byte) of a 2 KiB text
OPT = {"fee": "0.0001"}
PRICE = COIN
ACCEPT_TIMEOUT, DISPUTE_TIMEOUT, REVIEW_WINDOW = 20, 40, 50   # regtest
GENESIS = genesis_hash("regtest")
LONG = "payload: text: bad-payload (field too long)"
FARM = 50


class ReviewConsensusTest(RefusalChecks, SoukTestFramework):
    refusal_fee = FEE
    dry_run = dict(OPT, broadcast=False)

    def set_test_params(self):
        self.num_nodes = 1

    # -- helpers ---------------------------------------------------------------
    def ktx(self, who, kind, payload):
        """A tx of the test's own key `who` (key, address), at its next pending nonce."""
        key, addr = who
        nonce = self.node.getaccount(addr)["pending_nonce"]
        make = market_tx if kind in MARKET_TYPES else review_tx
        return make(key, GENESIS, nonce, kind, payload, FEE)

    def send(self, *txs):
        for t in txs:
            self.node.sendrawtransaction(t.hex())

    def mine(self, n=1):
        return self.generate(self.node, n)

    def refused_both(self, rule, wallet, rpc_args, key, payload, code=-26):
        """The same review refused through a wallet's review_post ("<reason>: <why>") and as a
        codec tx (the reason)."""
        self.rpc_refused(code, rule, wallet.review_post, *rpc_args, OPT)
        self.block_refused(rule.split(":")[0], self.ktx(key, "review_post", payload))

    # -- orders, in both worlds -----------------------------------------------------
    def w_order(self, arbiter=False):
        """An order the buyer's wallet places on the seller's wallet listing; returns its id."""
        opts = dict(OPT, arbiter=self.addr["arbiter"], arbiter_fee_bps=100) if arbiter else OPT
        return self.w["buyer"].market_placeorder(self.listing, 1, opts)["txid"]

    def k_order(self, arbiter=False):
        """The same with the test's keys; returns the id as bytes."""
        arb = self.k["arbiter"][0].pubkey if arbiter else b""
        t = self.ktx(self.k["buyer"], "order_place",
                     order_place(self.klisting, 1, PRICE, arb, 100 if arbiter else 0))
        self.send(t)
        return t.txid()

    def w_step(self, who, method, oid, *extra):
        getattr(self.w[who], method)(oid, *extra, OPT)

    def k_step(self, who, kind, payload):
        self.send(self.ktx(self.k[who], kind, payload))

    def run_test(self):
        self.node = node = self.nodes[0]
        self.miner_key, self.miner_address = self.new_key()
        self.generate(node, 120)
        names = ("seller", "buyer", "arbiter", "stranger")
        for name in names:
            node.createwallet(name)
        self.w = {name: node.wallet_rpc(name) for name in names}
        self.addr = {name: self.w[name].getnewaddress() for name in names}
        self.k = {name: self.new_key() for name in names}
        funded = list(self.addr.values()) + [k[1] for k in self.k.values()]
        for i, a in enumerate(funded):
            node.sendrawtransaction(self.make_transfer(self.miner_key, i, a, 50 * COIN, FEE))
        self.miner_nonce = len(funded)
        self.mine()
        self.listing = self.w["seller"].market_createlisting(
            {"title": "Clay pot", "price": 1, "quantity": 1000}, OPT)["txid"]
        kl = self.ktx(self.k["seller"], "listing_create", listing_create("Tin cup", PRICE, 1000))
        self.send(kl)
        self.klisting = kl.txid()
        self.mine()

        self.codec_matches_node()
        self.open_orders()
        self.on_completed()
        self.replies()
        self.refunded_resolved_and_window()
        self.farm()
        self.friendly_key()
        self.reorg()
        self.fake_review_cost()
        self.restart()

    # -- the codec ------------------------------------------------------------------------
    def codec_matches_node(self):
        self.log.info("the framework's review codec: the node decodes it field by field")
        oid, rid = b"\x11" * 32, b"\x22" * 32
        t = self.ktx(self.k["buyer"], "review_post",
                     review_post(oid, 4, "caf\u00e9", {"quality": 5, "communication": 3}))
        d = self.node.decoderawtransaction(t.hex())
        assert_equal((d["type"], d["txid"]), ("review_post", t.txid().hex()))
        assert_equal(d["payload"], {"order_id": oid.hex(), "rating": 4, "aspects": [5, 0, 0, 3],
                                    "text": "caf\u00e9"})
        d = self.node.decoderawtransaction(self.ktx(self.k["seller"], "review_reply",
                                                    review_reply(rid, "thanks")).hex())
        assert_equal((d["type"], d["payload"]), ("review_reply", {"review_id": rid.hex(), "text": "thanks"}))

    # -- an order before it is finished ----------------------------------------------------
    def open_orders(self):
        self.log.info("an order placed, accepted, shipped: no party may review it yet")
        w_oid, k_oid = self.w_order(), self.k_order()
        self.mine()

        def refused_now():
            for who in ("buyer", "seller"):
                self.refused_both("review-order-open", self.w[who], (w_oid, 5, "too soon"),
                                  self.k[who], review_post(k_oid, 5, "too soon"))

        refused_now()
        self.w_step("seller", "market_acceptorder", w_oid)
        self.k_step("seller", "order_accept", order_accept(k_oid))
        self.mine()
        refused_now()
        self.w_step("seller", "market_shiporder", w_oid)
        self.k_step("seller", "order_ship", order_ship(k_oid))
        self.mine()
        refused_now()
        self.w_step("buyer", "market_completeorder", w_oid)
        self.k_step("buyer", "order_complete", order_complete(k_oid))
        self.mine()
        self.w_done, self.k_done = w_oid, k_oid

    # -- a completed order: who and what ----------------------------------------------------
    def on_completed(self):
        self.log.info("a completed order: a stranger, bad ratings and aspects, a seller's aspects, "
                      "long texts, invalid UTF-8 and an unknown order are refused")
        w_oid, k_oid = self.w_done, self.k_done
        x, b, s = self.w["stranger"], self.w["buyer"], self.w["seller"]
        kx, kb, ks = self.k["stranger"], self.k["buyer"], self.k["seller"]
        # a stranger: its wallet holds neither party's key; signing with its own is refused too
        self.refused_both("review-not-party: only the order's buyer or seller may review it", x,
                          (w_oid, 5, "I was there"), kx, review_post(k_oid, 5, "I was there"))
        self.rpc_refused(-26, "review-not-party", x.review_post, w_oid, 5, "me",
                         dict(OPT, **{"from": self.addr["stranger"]}))
        # nor the arbiter of an order it does not arbitrate
        self.block_refused("review-not-party", self.ktx(self.k["arbiter"], "review_post",
                                                        review_post(k_oid, 1)))
        # the overall rating is 1-5: a rule of the field, found while building the tx
        for bad in (0, 6):
            self.refused_both("review-bad-rating", b, (w_oid, bad, "x"), kb,
                              review_post(k_oid, bad, "x"), code=-8)
        self.rpc_refused(-8, "rating: expected a non-negative integer", b.review_post, w_oid, -1,
                         "x", OPT)
        # an aspect is 0-5, four of them
        self.rpc_refused(-8, "review-bad-aspect", b.review_post, w_oid, 5, "x",
                         dict(OPT, delivery=6))
        for aspects in ([6, 0, 0, 0], [0, 0, 0, 6], [5, 5, 5], [5, 5, 5, 5, 5]):
            self.block_refused("review-bad-aspect", self.ktx(kb, "review_post",
                                                             review_post(k_oid, 5, "", aspects)))
        self.rpc_refused(-3, "quality: expected an integer from 0 to 5", b.review_post, w_oid, 5,
                         "x", dict(OPT, quality="five"))
        # a seller rates communication only
        for aspect in ("quality", "description", "delivery"):
            self.rpc_refused(-26, "review-seller-aspect: a seller may rate only communication", s.review_post,
                             w_oid, 4, "x", dict(OPT, **{aspect: 3}))
            self.block_refused("review-seller-aspect", self.ktx(
                ks, "review_post", review_post(k_oid, 4, "x", {aspect: 3, "communication": 4})))
        self.rpc_allowed(s.review_post, w_oid, 4, "x", opts={"communication": 4})
        self.block_allowed(self.ktx(ks, "review_post", review_post(k_oid, 4, "x", {"communication": 4})))
        # texts up to 2,048 bytes (bytes, not characters)
        for bad, good in (("t" * 2049, "t" * 2048), ("\u00e9" * 1024 + "x", "\u00e9" * 1024)):
            self.rpc_refused(-8, LONG, b.review_post, w_oid, 5, bad, OPT)
            self.block_refused("bad-payload", self.ktx(kb, "review_post", review_post(k_oid, 5, bad)))
            self.rpc_allowed(b.review_post, w_oid, 5, good)
            self.block_allowed(self.ktx(kb, "review_post", review_post(k_oid, 5, good)))
        # invalid UTF-8 does not decode, in a block too; over JSON-RPC the body is not JSON
        for raw in (b"caf\xc3", b"\x80", b"\xed\xa0\x80", b"ok\xff"):
            self.undecodable(self.ktx(kb, "review_post", review_post(k_oid, 5, bad_str(raw))))
        self.invalid_utf8_body(b"review_post", w_oid)
        # an order nobody placed, and a listing's id for an order's
        for oid in (b"\x42" * 32, self.klisting):
            self.block_refused("review-unknown-order", self.ktx(kb, "review_post", review_post(oid, 5)))
        self.rpc_refused(-26, "review-unknown-order: no such order", b.review_post, "42" * 32, 5, "x", OPT)
        self.rpc_refused(-26, "review-unknown-order", b.review_post, self.listing, 5, "x", OPT)

        self.log.info("the buyer (all four aspects) and the seller (communication) review it, once each")
        r = b.review_post(w_oid, 5, "Lovely pot", dict(OPT, quality=5, description=4, delivery=5,
                                                         communication=5))
        assert_equal(r["from"], self.addr["buyer"])
        self.w_reviews = {"buyer": r["txid"]}
        self.w_reviews["seller"] = s.review_post(w_oid, 4, "Paid at once", dict(OPT, communication=4))["txid"]
        kr_b = self.ktx(kb, "review_post", review_post(k_oid, 3, "", {"quality": 3, "delivery": 2}))
        kr_s = self.ktx(ks, "review_post", review_post(k_oid, 5, "Fine buyer"))
        self.send(kr_b, kr_s)
        self.k_reviews = {"buyer": kr_b.txid(), "seller": kr_s.txid()}
        self.mine()
        got = self.node.review_get(self.w_reviews["buyer"])
        assert_equal((got["author"], got["subject"], got["rating"], got["text"]),
                     (self.addr["buyer"], self.addr["seller"], 5, "Lovely pot"))
        assert_equal(got["aspects"], {"quality": 5, "description": 4, "delivery": 5, "communication": 5})
        got = self.node.review_get(kr_s.txid().hex())
        assert_equal((got["author_role"], got["subject_role"], got["text"]), ("seller", "buyer", "Fine buyer"))
        assert_equal(got["aspects"], {"quality": None, "description": None, "delivery": None,
                                      "communication": None})
        # a second review of the same order by the same party
        for who in ("buyer", "seller"):
            self.refused_both("review-duplicate: this party has already reviewed this order", self.w[who],
                              (w_oid, 3, "again"), self.k[who], review_post(k_oid, 3, "again"))

    def invalid_utf8_body(self, method, oid):
        node = self.node
        user, password = read_cookie(node.cookie_path)
        auth = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        body = b'{"method": "' + method + b'", "params": ["' + oid.encode() + b'", 5, "caf\xc3"], "id": 1}'
        before = self.unchanged()
        conn = http.client.HTTPConnection("127.0.0.1", node.rpc_port, timeout=30)
        conn.request("POST", "/wallet/buyer", body, {"Authorization": auth})
        resp = conn.getresponse()
        reply = json.loads(resp.read())
        conn.close()
        assert_equal((resp.status, reply["error"]["code"]), (500, -32700))
        assert "not valid UTF-8" in reply["error"]["message"], reply
        assert_equal(self.unchanged(), before)

    # -- replies ------------------------------------------------------------------------------
    def replies(self):
        self.log.info("replies: by the subject only, once; none to an unknown review")
        b, s, x = self.w["buyer"], self.w["seller"], self.w["stranger"]
        wr, kr = self.w_reviews["buyer"], self.k_reviews["buyer"]   # their subject: the seller
        for wallet, key in ((b, self.k["buyer"]), (x, self.k["stranger"])):
            self.rpc_refused(-26, "review-not-subject: only the reviewed party may reply",
                             wallet.review_reply, wr, "not mine to answer", OPT)
            self.block_refused("review-not-subject", self.ktx(key, "review_reply", review_reply(kr, "no")))
        self.rpc_refused(-26, "review-not-subject", b.review_reply, wr, "no",
                         dict(OPT, **{"from": self.addr["buyer"]}))
        self.rpc_refused(-26, "review-unknown-review: no such review", s.review_reply, "33" * 32, "?", OPT)
        self.block_refused("review-unknown-review",
                           self.ktx(self.k["seller"], "review_reply", review_reply(b"\x33" * 32, "?")))
        # an order's id is not a review's
        self.block_refused("review-unknown-review",
                           self.ktx(self.k["seller"], "review_reply", review_reply(self.k_done, "?")))
        self.rpc_refused(-8, LONG, s.review_reply, wr, "r" * 2049, OPT)
        self.block_refused("bad-payload", self.ktx(self.k["seller"], "review_reply", review_reply(kr, "r" * 2049)))
        # the subject replies (2,048 bytes is allowed); a second reply is refused
        s.review_reply(wr, "r" * 2048, OPT)
        self.k_step("seller", "review_reply", review_reply(kr, "Sorry about the delivery"))
        self.mine()
        got = self.node.review_get(wr)["reply"]
        assert_equal((got["text"], got["height"]), ("r" * 2048, self.node.getblockcount()))
        self.rpc_refused(-26, "review-replied: the review already has its reply", s.review_reply, wr, "more", OPT)
        self.block_refused("review-replied", self.ktx(self.k["seller"], "review_reply", review_reply(kr, "more")))
        # the buyer may answer the seller's review of it
        b.review_reply(self.w_reviews["seller"], "Thanks!", OPT)
        self.mine()
        assert_equal(self.node.review_get(self.w_reviews["seller"])["reply"]["text"], "Thanks!")

    # -- cancelled, refunded, resolved; the window ---------------------------------------------
    def refunded_resolved_and_window(self):
        self.log.info("cancelled by the buyer, by the acceptance timeout, refunded by the dispute "
                      "timeout: no review; resolved by the arbiter: both review; the window")
        node = self.node
        # a: cancelled by its buyer; b: never accepted; c: disputed, never resolved;
        # d: disputed and resolved; e: completed, for the window
        w = {n: self.w_order(arbiter=n in "cd") for n in "abcde"}
        k = {n: self.k_order(arbiter=n in "cd") for n in "abcde"}
        self.mine()
        placed = node.getblockcount()
        self.w_step("buyer", "market_cancelorder", w["a"])
        self.k_step("buyer", "order_cancel", order_cancel(k["a"]))
        for n in "cde":
            self.w_step("seller", "market_acceptorder", w[n])
            self.k_step("seller", "order_accept", order_accept(k[n]))
        self.mine()
        for n in "cd":
            self.w_step("buyer", "market_disputeorder", w[n], "never came")
            self.k_step("buyer", "order_dispute", order_dispute(k[n], "never came"))
        self.w_step("buyer", "market_completeorder", w["e"])
        self.k_step("buyer", "order_complete", order_complete(k["e"]))
        self.mine()
        completed = node.getblockcount()
        # disputed: open
        for who in ("buyer", "seller"):
            self.refused_both("review-order-open", self.w[who], (w["c"], 1, "x"), self.k[who],
                              review_post(k["c"], 1, "x"))
        self.w_step("arbiter", "market_resolveorder", w["d"], "0.5")
        self.k_step("arbiter", "order_resolve", order_resolve(k["d"], PRICE // 2))
        self.mine()
        # resolved by the arbiter: both sides review, without aspects and with
        b, s = self.w["buyer"], self.w["seller"]
        b.review_post(w["d"], 2, "Half refunded", OPT)
        s.review_post(w["d"], 3, "Took long", dict(OPT, communication=2))
        self.k_step("buyer", "review_post", review_post(k["d"], 1, "", {"description": 1}))
        self.k_step("seller", "review_post", review_post(k["d"], 2))
        self.mine()
        assert_equal(node.review_list({"order_id": w["d"]})["total"], 2)
        assert_equal(node.review_list({"order_id": k["d"].hex()})["total"], 2)

        self.generate(node, placed + ACCEPT_TIMEOUT - node.getblockcount())
        assert_equal(node.market_getorder(w["b"])["state"], "CANCELED")
        self.generate(node, completed + DISPUTE_TIMEOUT - node.getblockcount())
        assert_equal(node.market_getorder(w["c"])["state"], "RESOLVED")
        for n in "abc":
            for who in ("buyer", "seller"):
                self.refused_both("review-order-refunded: a cancelled order, or a dispute refunded by its "
                                  "timeout, cannot be reviewed", self.w[who], (w[n], 1, "x"), self.k[who],
                                  review_post(k[n], 1, "x"))

        # e was completed at `completed`: the block at completed + 50 is the window's last
        self.generate(node, completed + REVIEW_WINDOW - 1 - node.getblockcount())
        self.rpc_allowed(b.review_post, w["e"], 5, "just in time")
        self.block_allowed(self.ktx(self.k["buyer"], "review_post", review_post(k["e"], 5)))
        self.mine()
        self.refused_both("review-window-closed: the review window of the order has closed", b,
                          (w["e"], 5, "late"), self.k["buyer"], review_post(k["e"], 5, "late"))
        self.refused_both("review-window-closed", s, (w["e"], 5, "late"), self.k["seller"],
                          review_post(k["e"], 5, "late"))
        for who in ("seller", "buyer"):
            check_against_list(node, self.addr[who], assert_equal)
            check_against_list(node, self.k[who][1], assert_equal)

    # -- a review farm ----------------------------------------------------------------------------
    def farm(self):
        self.log.info("a review farm: one seller, %d funded buyer keys, no orders: zero reviews", FARM)
        node = self.node
        seller = self.k["seller"]
        keys = [self.new_key() for _ in range(FARM)]
        for i, (_, addr) in enumerate(keys):
            node.sendrawtransaction(self.make_transfer(self.miner_key, self.miner_nonce + i, addr, COIN, FEE))
        self.miner_nonce += FARM
        self.mine()
        before = (node.review_getreputation(seller[1]), node.review_list({"subject": seller[1]}))
        # what a farm key can name: an order nobody placed, the seller's real order of
        # somebody else, the seller's listing
        targets = [(b"\x07" * 32, "review-unknown-order"), (self.k_done, "review-not-party"),
                   (self.klisting, "review-unknown-order")]
        txs = []
        for i, key in enumerate(keys):
            oid, rule = targets[i % len(targets)]
            t = review_tx(key[0], GENESIS, 0, "review_post", review_post(oid, 5, "best seller ever"), FEE)
            assert_raises_rpc_error(-26, rule, node.sendrawtransaction, t.hex())
            txs.append(t)
        tip = node.getbestblockhash()
        assert_raises_rpc_error(-25, "review-", node.generateblock, self.miner_address, [t.hex() for t in txs])
        reason = node.submitblock(self.hand_block(txs).hex())
        assert "review-unknown-order" in reason, reason
        assert_equal((node.getbestblockhash(), node.getrawmempool()), (tip, []))
        assert_equal((node.review_getreputation(seller[1]), node.review_list({"subject": seller[1]})), before)
        for key in keys:
            assert_equal(node.review_list({"author": key[1]})["total"], 0)

    # -- one friendly key, ten trades -------------------------------------------------------------
    def friendly_key(self):
        self.log.info("ten trades with one friendly key move the headline as one counterparty")
        node = self.node
        seller, friend, honest = self.new_key(), self.new_key(), self.new_key()
        for i, (_, addr) in enumerate((seller, friend, honest)):
            node.sendrawtransaction(self.make_transfer(self.miner_key, self.miner_nonce + i, addr, 50 * COIN, FEE))
        self.miner_nonce += 3
        self.mine()
        lst = self.ktx(seller, "listing_create", listing_create("Sock", 2 * COIN, 100))
        self.send(lst)
        self.mine()
        orders = []
        for _ in range(10):
            t = self.ktx(friend, "order_place", order_place(lst.txid(), 1, 2 * COIN))
            self.send(t)
            orders.append(t.txid())
        honest_order = self.ktx(honest, "order_place", order_place(lst.txid(), 3, 6 * COIN))
        self.send(honest_order)
        self.mine()
        for oid in orders + [honest_order.txid()]:
            self.send(self.ktx(seller, "order_accept", order_accept(oid)))
        self.mine()
        for oid in orders:
            self.send(self.ktx(friend, "order_complete", order_complete(oid)))
        self.send(self.ktx(honest, "order_complete", order_complete(honest_order.txid())))
        self.mine()

        # the honest buyer's one review
        self.send(self.ktx(honest, "review_post", review_post(honest_order.txid(), 1, "fell apart")))
        self.mine()
        rep = check_against_list(node, seller[1], assert_equal)["as_seller"]
        assert_equal((rep["reviews"], rep["reviewers"], rep["score"]), (1, 1, Decimal("1.00")))
        # the friend's first review: two reviewers, (5 + 1) / 2
        self.send(self.ktx(friend, "review_post", review_post(orders[0], 5, "great")))
        self.mine()
        rep = check_against_list(node, seller[1], assert_equal)["as_seller"]
        assert_equal((rep["reviews"], rep["reviewers"], rep["score"]), (2, 2, Decimal("3.00")))
        # eight more in one block, all fives: the score does not move
        for oid in orders[1:9]:
            self.send(self.ktx(friend, "review_post", review_post(oid, 5, "great")))
        self.mine()
        rep = check_against_list(node, seller[1], assert_equal)["as_seller"]
        assert_equal((rep["reviews"], rep["reviewers"], rep["score"]), (10, 2, Decimal("3.00")))
        # average (9 x 5 + 1) / 10 = 4.60; weighted by totals (9 x 5 x 2 + 1 x 6) / (9 x 2 + 6) = 4.00
        assert_equal((rep["average"], rep["weighted_average"]), (Decimal("4.60"), Decimal("4.00")))
        # the friend's tenth review, a four, is its latest: (4 + 1) / 2
        self.send(self.ktx(friend, "review_post", review_post(orders[9], 4, "good")))
        self.mine()
        full = check_against_list(node, seller[1], assert_equal)["as_seller"]
        assert_equal((full["reviews"], full["reviewers"], full["score"]), (11, 2, Decimal("2.50")))
        # (9 x 5 + 4 + 1) / 11 = 4.545... -> 4.54; (90 + 8 + 6) / 26 = 4.0
        assert_equal((full["average"], full["weighted_average"]), (Decimal("4.54"), Decimal("4.00")))
        t = full["trades"]
        assert_equal((t["orders"], t["completed"], t["counterparties"]), (11, 11, 2))
        assert_equal(node.market_getlisting(lst.txid().hex())["seller_reputation"],
                     {k: full[k] for k in ("reviews", "average", "weighted_average", "score", "reviewers")})
        self.friend_seller = seller

    # -- a reorg ----------------------------------------------------------------------------------
    def reorg(self):
        self.log.info("a reorg removes reviews and replies; reputation, index and state_hash come back exactly")
        node = self.node
        seller, kb, ks = self.k["seller"], self.k["buyer"], self.k["seller"]

        def snapshot():
            return (node.getstateinfo()["state_hash"], node.review_getreputation(seller[1]),
                    node.review_getreputation(kb[1]), node.review_list({"limit": 1000}),
                    node.getbestblockhash())

        before = snapshot()
        oid = self.k_order()
        self.mine()
        first = node.getbestblockhash()
        self.k_step("seller", "order_accept", order_accept(oid))
        self.mine()
        self.k_step("buyer", "order_complete", order_complete(oid))
        self.mine()
        rb = self.ktx(kb, "review_post", review_post(oid, 2, "meh", {"quality": 2}))
        rs = self.ktx(ks, "review_post", review_post(oid, 5, "ok", {"communication": 5}))
        self.send(rb, rs)
        self.mine()
        self.send(self.ktx(ks, "review_reply", review_reply(rb.txid(), "we will do better")))
        # and a reply to an older review, in the same block
        self.send(self.ktx(kb, "review_reply", review_reply(self.k_reviews["seller"], "cheers")))
        self.mine()
        after = snapshot()
        assert after[1] != before[1] and after[2] != before[2]
        assert_equal(after[3]["total"], before[3]["total"] + 2)

        node.invalidateblock(first)
        now = snapshot()
        assert_equal(now[:4], before[:4])
        assert_equal(now[4], before[4])
        assert_raises_rpc_error(-5, "no review with this id", node.review_get, rb.txid().hex())
        assert_equal(node.review_get(self.k_reviews["seller"].hex())["reply"], None)
        node.reconsiderblock(first)
        assert_equal(snapshot(), after)
        assert_equal(node.review_get(rb.txid().hex())["reply"]["text"], "we will do better")
        for who in (seller, kb):
            check_against_list(node, who[1], assert_equal)

    # -- doc/reviews.md's figures ----------------------------------------------------------------
    def at_min_fee(self, who, make):
        """make(nonce, fee) at the sender's next nonce paying exactly the relay minimum (1 unit per
        byte, getmempoolinfo's minrelaytxfee): accepted and sent; one unit less is refused."""
        node = self.node
        rate = int(node.getmempoolinfo()["minrelaytxfee"] * COIN) // 1000
        assert_equal(rate, 1)
        nonce = node.getaccount(who[1])["pending_nonce"]
        # the fee's own encoding is one byte below 128, so its size is found by trying
        fee = 200
        while True:
            size = len(make(nonce, fee).serialize())
            if size * rate == fee:
                break
            fee = size * rate
        t = make(nonce, fee)
        assert_equal(len(t.serialize()), size)
        low = node.testmempoolaccept([make(nonce, size * rate - 1).hex()])[0]
        assert_equal((low["allowed"], low["reject-reason"]), (False, "fee-too-low"))
        node.sendrawtransaction(t.hex())
        return t, size

    def fake_review_cost(self):
        self.log.info("doc/reviews.md's fake review: each transaction's size, at the relay minimum")
        node = self.node
        with open(os.path.join(os.path.dirname(__file__), "..", "..", "doc", "reviews.md")) as f:
            doc = f.read()
        rows = dict(re.findall(r"^\| `(\w+)`[^|]*\|[^|]*\| (\d+) \| \d+ \|$", doc, re.M))
        totals = re.findall(r"^\| \*\*one fake (review|reviewer)\*\*[^|]*\| \| \*\*(\d+)\*\* \|", doc, re.M)
        seller, buyer = self.new_key(), self.new_key()
        node.sendrawtransaction(self.make_transfer(self.miner_key, self.miner_nonce, seller[1], COIN, FEE))
        self.miner_nonce += 1
        self.mine()
        sizes = {}
        lst, sizes["listing_create"] = self.at_min_fee(seller, lambda n, fee: market_tx(
            seller[0], GENESIS, n, "listing_create", listing_create("x", 1, 1), fee))
        # the fake buyer gets enough for its fees and the 1-unit escrow
        _, sizes["transfer"] = self.at_min_fee(seller, lambda n, fee: transfer_tx(
            seller[0], GENESIS, n, buyer[0].pubkey, 1000, fee))
        self.mine()
        order, sizes["order_place"] = self.at_min_fee(buyer, lambda n, fee: market_tx(
            buyer[0], GENESIS, n, "order_place", order_place(lst.txid(), 1, 1), fee))
        self.mine()
        _, sizes["order_accept"] = self.at_min_fee(seller, lambda n, fee: market_tx(
            seller[0], GENESIS, n, "order_accept", order_accept(order.txid()), fee))
        self.mine()
        _, sizes["order_complete"] = self.at_min_fee(buyer, lambda n, fee: market_tx(
            buyer[0], GENESIS, n, "order_complete", order_complete(order.txid()), fee))
        # the review joins its own completion in the mempool: the same block
        review, sizes["review_post"] = self.at_min_fee(buyer, lambda n, fee: review_tx(
            buyer[0], GENESIS, n, "review_post", review_post(order.txid(), 5), fee))
        self.mine()
        got = node.review_get(review.txid().hex())
        assert_equal((got["subject"], to_units_str(got["order_total"])), (seller[1], 1))
        # 1000 units funded it; what is left is 1000 - fees - the escrow that went to the seller
        spent = sizes["order_place"] + sizes["order_complete"] + sizes["review_post"] + 1
        assert_equal(to_units_str(node.getaccount(buyer[1])["balance"]), 1000 - spent)
        assert_equal({k: int(rows[k]) for k in sizes}, sizes)
        one = sum(sizes[k] for k in ("order_place", "order_accept", "order_complete", "review_post"))
        assert_equal(totals, [("review", str(one)), ("reviewer", str(one + sizes["transfer"]))])
        assert "**%d units = 0.%08d coin**" % (one, one) in doc

    def restart(self):
        self.log.info("a restart and -reindex: the same state_hash, reviews and reputation")
        node = self.node

        def snapshot():
            return (node.getstateinfo()["state_hash"], node.review_list({"limit": 1000}),
                    node.review_getreputation(self.friend_seller[1]))

        before = snapshot()
        self.restart_node(0)
        assert_equal(snapshot(), before)
        self.restart_node(0, ["-reindex"])
        assert_equal(snapshot(), before)
        assert os.path.exists(os.path.join(node.datadir, "regtest", "review.sqlite"))


if __name__ == "__main__":
    ReviewConsensusTest().main()

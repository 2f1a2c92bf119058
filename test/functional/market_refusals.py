#!/usr/bin/env python3
"""Forbidden market actions, each refused twice with its rule and nothing
changed: at the action RPC's pre-check (a wallet per party: seller, buyer,
arbiter and a stranger) and in a block (a transaction built by the test's
own codec, refused by sendrawtransaction, by generateblock and, in a block
made and solved here, by submitblock). "Nothing changed" is the mempool,
the tip and state_hash, all three compared before and after.

Covers: overlong fields (title, description, category, about, reason; by
bytes, not characters), each accepted at its bound; invalid UTF-8 in every
text field of a payload (in a block; over JSON-RPC invalid UTF-8 cannot be
sent inside valid JSON, so a request body holding it is answered with a
parse error that says so); profile names outside their pattern, the bounds
accepted; a listing's expiry (an order in the block at its expiry height
taken, the next refused; an expiry not above the block's height); and a
stranger (or the wrong party) accepting, cancelling, shipping, completing,
disputing or resolving. Order notes are left out."""
import base64
import http.client
import json
from urllib.parse import quote

from test_framework.authproxy import AuthServiceProxy, read_cookie
from test_framework.messages import (
    COIN, Block, BlockHeader, coinbase_tx, genesis_hash, market_tx, profile_set, listing_create,
    listing_update, order_place, order_accept, order_ship, order_complete, order_cancel,
    order_dispute, order_resolve)
from test_framework.msgpack import RawBytes, str_header
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, assert_raises_rpc_error

FEE = 10000     # above the relay minimum (a unit per byte) of the 8 KiB descriptions
OPT = {"fee": "0.0001"}
DRY = {"fee": "0.0001", "broadcast": False}   # the pre-check passes; nothing is sent
PRICE = 4 * COIN
GENESIS = genesis_hash("regtest")
LONG = "payload: %s: bad-payload (field too long)"


def wallet_rpc(node, name):
    return AuthServiceProxy("127.0.0.1", node.rpc_port, lambda: read_cookie(node.cookie_path),
                            node.rpc_timeout, path="/wallet/" + quote(name, safe=""))


def bad_str(b):
    """A msgpack str whose bytes are b, UTF-8 or not."""
    return RawBytes(str_header(len(b)) + b)


class MarketRefusalsTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    # -- helpers ---------------------------------------------------------------
    def tx(self, who, kind, payload):
        key, addr = who
        return market_tx(key, GENESIS, self.node.getaccount(addr)["pending_nonce"], kind, payload, FEE)

    def mine(self, n=1):
        return self.generate(self.node, n)

    def unchanged(self):
        n = self.node
        return (sorted(n.getrawmempool()), n.getbestblockhash(), n.getstateinfo()["state_hash"])

    def rpc_refused(self, code, rule, fn, *args):
        """The action method refuses with the rule (-8: building the tx; -26: the mempool's
        check) and sends nothing."""
        before = self.unchanged()
        assert_raises_rpc_error(code, rule, fn, *args)
        assert_equal(self.unchanged(), before)

    def rpc_allowed(self, fn, *args):
        """The pre-check passes (broadcast false): the refusals next to it are the rule's, not
        something else's."""
        before = self.unchanged()
        r = fn(*args, DRY)
        assert "hex" in r
        assert_equal(self.unchanged(), before)

    def hand_block(self, txs):
        node = self.node
        t = node.getblocktemplate()
        cb = coinbase_tx(t["height"], self.miner_key.pubkey, (50 * COIN >> (t["height"] // 150)) + FEE * len(txs))
        blk = Block(BlockHeader(bytes.fromhex(t["previousblockhash"]), b"", t["curtime"], int(t["bits"], 16), 0),
                    [cb] + list(txs))
        blk.update_merkle_root()
        assert blk.solve()
        return blk

    def block_refused(self, rule, tx):
        """Refused by the mempool, by generateblock and in a block made here."""
        node = self.node
        before = self.unchanged()
        assert_raises_rpc_error(-26, rule, node.sendrawtransaction, tx.hex())
        assert_raises_rpc_error(-25, "transaction 0: " + rule, node.generateblock, self.miner_address, [tx.hex()])
        reason = node.submitblock(self.hand_block([tx]).hex())
        assert rule in reason, reason
        assert_equal(self.unchanged(), before)

    def undecodable(self, tx):
        """Invalid UTF-8 in a str: the transaction does not decode (doc/consensus.md 2.3), at
        the mempool, in generateblock and in a block made here."""
        node = self.node
        before = self.unchanged()
        rule = "invalid UTF-8 in str"
        assert_raises_rpc_error(-22, "TX decode failed: non-canonical: " + rule, node.sendrawtransaction,
                                tx.hex())
        assert_raises_rpc_error(-22, "Transaction decode failed for transactions[0]: " + rule,
                                node.generateblock, self.miner_address, [tx.hex()])
        blk = self.hand_block([tx])
        e = assert_raises_rpc_error(-22, rule, node.submitblock, blk.hex())
        self.log.debug("submitblock: %s", e.message)
        assert_equal(self.unchanged(), before)

    def block_allowed(self, tx):
        r = self.node.testmempoolaccept([tx.hex()])[0]
        assert r["allowed"], r

    def run_test(self):
        self.node = node = self.nodes[0]
        self.miner_key, self.miner_address = self.new_key()
        self.generate(node, 120)
        names = ("seller", "buyer", "arbiter", "stranger")
        for name in names:
            node.createwallet(name)
        self.w = {name: wallet_rpc(node, name) for name in names}
        self.addr = {name: self.w[name].getnewaddress() for name in names}
        # the same four parties as keys of the test's own
        self.k = {name: self.new_key() for name in names}
        funded = list(self.addr.values()) + [k[1] for k in self.k.values()]
        for i, a in enumerate(funded):
            node.sendrawtransaction(self.make_transfer(self.miner_key, i, a, 50 * COIN, FEE))
        self.mine()

        s = self.w["seller"]
        self.listing = s.market_createlisting({"title": "Clay pot", "price": 4, "quantity": 50}, OPT)["txid"]
        clist = self.tx(self.k["seller"], "listing_create", listing_create("Tin cup", PRICE, 50))
        node.sendrawtransaction(clist.hex())
        self.clisting = clist.txid()
        self.mine()

        self.overlong()
        self.invalid_utf8()
        self.names()
        self.expired()
        self.strangers()

    # -- overlong fields -------------------------------------------------------------
    def overlong(self):
        self.log.info("overlong fields: refused at the pre-check and in a block, accepted at the bound")
        s, b = self.w["seller"], self.w["buyer"]
        ks, kx = self.k["seller"], self.k["stranger"]
        # (field, too long, at the bound): lengths are bytes, so "é" counts two
        cases = [("title", "t" * 141, "t" * 140), ("title", "é" * 70 + "x", "é" * 70),
                 ("description", "d" * 8193, "d" * 8192), ("category", "c" * 65, "c" * 64)]
        for field, bad, good in cases:
            base = {"title": "t", "price": 1, "quantity": 1}
            self.rpc_refused(-8, LONG % field, s.market_createlisting, dict(base, **{field: bad}), OPT)
            self.rpc_allowed(s.market_createlisting, dict(base, **{field: good}))
            self.block_refused("bad-payload", self.tx(kx, "listing_create",
                                                      listing_create(**dict(base, **{field: bad}))))
            self.block_allowed(self.tx(kx, "listing_create", listing_create(**dict(base, **{field: good}))))
        # an update of an existing listing, by its seller
        self.rpc_refused(-8, LONG % "title", s.market_updatelisting, self.listing, {"title": "t" * 141}, OPT)
        self.rpc_allowed(s.market_updatelisting, self.listing, {"title": "t" * 140})
        self.block_refused("bad-payload", self.tx(ks, "listing_update",
                                                  listing_update(self.clisting, "t" * 141, PRICE, 50)))
        self.block_allowed(self.tx(ks, "listing_update", listing_update(self.clisting, "t" * 140, PRICE, 50)))
        # a profile's about
        self.rpc_refused(-8, LONG % "about", b.market_setprofile, "patient-buyer", "a" * 1025, OPT)
        self.rpc_allowed(b.market_setprofile, "patient-buyer", "a" * 1024)
        self.block_refused("bad-payload", self.tx(kx, "profile_set", profile_set("odd-one", "a" * 1025)))
        self.block_allowed(self.tx(kx, "profile_set", profile_set("odd-one", "a" * 1024)))
        # a dispute's reason, by a buyer who may dispute
        oid = self.disputable_order()
        self.rpc_refused(-8, LONG % "reason", b.market_disputeorder, oid, "r" * 1025, OPT)
        self.rpc_allowed(b.market_disputeorder, oid, "r" * 1024)
        coid = self.disputable_order(codec=True)
        kb = self.k["buyer"]
        self.block_refused("bad-payload", self.tx(kb, "order_dispute", order_dispute(coid, "r" * 1025)))
        self.block_allowed(self.tx(kb, "order_dispute", order_dispute(coid, "r" * 1024)))

    def disputable_order(self, codec=False):
        """An accepted order with an arbiter: placed by the buyer's wallet, or by the buyer's
        own key (codec) on the seller's own-key listing; returns its id."""
        node = self.node
        if codec:
            t = self.tx(self.k["buyer"], "order_place",
                        order_place(self.clisting, 1, PRICE, self.k["arbiter"][0].pubkey, 100))
            node.sendrawtransaction(t.hex())
            self.mine()
            node.sendrawtransaction(self.tx(self.k["seller"], "order_accept", order_accept(t.txid())).hex())
            self.mine()
            return t.txid()
        oid = self.w["buyer"].market_placeorder(self.listing, 1, dict(OPT, arbiter=self.addr["arbiter"],
                                                                        arbiter_fee_bps=100))["txid"]
        self.mine()
        self.w["seller"].market_acceptorder(oid, OPT)
        self.mine()
        return oid

    # -- invalid UTF-8 ------------------------------------------------------------------
    def invalid_utf8(self):
        self.log.info("invalid UTF-8 in every text field of a payload: the tx does not decode, in a block too")
        kx, kb = self.k["stranger"], self.k["buyer"]
        broken = [b"caf\xc3", b"\x80", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"ok\xff"]
        for i, raw in enumerate(broken):
            s = bad_str(raw)
            for kind, payload in (
                    ("listing_create", listing_create(s, PRICE, 1)),
                    ("listing_create", listing_create("t", PRICE, 1, description=s)),
                    ("listing_create", listing_create("t", PRICE, 1, category=s)),
                    ("profile_set", profile_set(s)),
                    ("profile_set", profile_set("odd-one", s))):
                self.undecodable(self.tx(kx, kind, payload))
        coid = self.disputable_order(codec=True)
        self.undecodable(self.tx(kb, "order_dispute", order_dispute(coid, bad_str(b"late\xc3"))))
        self.undecodable(self.tx(self.k["seller"], "listing_update",
                                 listing_update(self.clisting, bad_str(b"\xff"), PRICE, 50)))
        # the same bytes as valid UTF-8 pass: what is refused is the encoding
        self.block_allowed(self.tx(kx, "listing_create", listing_create(b"caf\xc3\xa9".decode(), PRICE, 1)))

        self.log.info("invalid UTF-8 over JSON-RPC: the body is not JSON; a parse error says so")
        node = self.node
        user, password = read_cookie(node.cookie_path)
        auth = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        for body, says in (
                (b'{"method": "market_setprofile", "params": ["odd-one", "caf\xc3"], "id": 1}', "not valid UTF-8"),
                (b'{"method": "market_setprofile", "params": ["odd\xff", ""], "id": 1}', "not valid UTF-8"),
                (b'{"method": "market_setprofile", "params": ["odd-one", "\\ud800"], "id": 1}', "Parse error")):
            before = self.unchanged()
            conn = http.client.HTTPConnection("127.0.0.1", node.rpc_port, timeout=30)
            conn.request("POST", "/wallet/stranger", body, {"Authorization": auth})
            resp = conn.getresponse()
            reply = json.loads(resp.read())
            conn.close()
            assert_equal(resp.status, 500)
            assert_equal((reply["error"]["code"], reply["id"], reply["result"]), (-32700, None, None))
            assert says in reply["error"]["message"], reply
            assert_equal(self.unchanged(), before)

    # -- profile names ----------------------------------------------------------------------
    def names(self):
        self.log.info("profile names outside 3-32 of [a-z0-9_-]: market-bad-name; the bounds pass")
        x, kx = self.w["stranger"], self.k["stranger"]
        for name in ("ab", "a" * 33, "Oak", "oak works", "café", "oak.works", "", "-" * 2):
            self.rpc_refused(-8, "market-bad-name", x.market_setprofile, name, "", OPT)
            self.block_refused("market-bad-name", self.tx(kx, "profile_set", profile_set(name)))
        for name in ("abc", "a" * 32, "a-b_9", "---", "123"):
            self.rpc_allowed(x.market_setprofile, name, "")
            self.block_allowed(self.tx(kx, "profile_set", profile_set(name)))

    # -- an expired listing ------------------------------------------------------------------
    def expired(self):
        self.log.info("an expired listing: an order in the block at its expiry height is taken, the next is not")
        node = self.node
        s, b = self.w["seller"], self.w["buyer"]
        kb, ks = self.k["buyer"], self.k["seller"]
        tip = node.getblockcount()
        # the expiry must lie above the height of the block that creates the listing
        self.rpc_refused(-26, "market-expiry-past", s.market_createlisting,
                         {"title": "Late lamp", "price": 1, "expires_at_height": tip + 1}, OPT)
        self.block_refused("market-expiry-past",
                           self.tx(ks, "listing_create", listing_create("Late lamp", 1, 1, expires_at_height=tip + 1)))
        expiry = tip + 3
        lid = s.market_createlisting({"title": "Paper lamp", "price": 1, "quantity": 5,
                                      "expires_at_height": expiry}, OPT)["txid"]
        self.mine(expiry - 1 - (tip + 1) + 1)
        assert_equal(node.getblockcount(), expiry - 1)
        # the next block is the expiry height's: still taken
        last = b.market_placeorder(lid, 1, OPT)["txid"]
        self.mine()
        assert_equal(node.market_getorder(last)["state"], "PLACED")
        assert_equal(node.market_getlisting(lid)["status"], "EXPIRED")
        self.rpc_refused(-26, "market-listing-expired", b.market_placeorder, lid, 1, OPT)
        self.block_refused("market-listing-expired",
                           self.tx(kb, "order_place", order_place(bytes.fromhex(lid), 1, COIN)))
        # its seller may still edit or close it (doc/market.md), and its order goes on
        self.rpc_allowed(s.market_updatelisting, lid, {"price": 2})
        self.rpc_allowed(s.market_closelisting, lid)
        self.rpc_allowed(s.market_acceptorder, last)

    # -- strangers ------------------------------------------------------------------------------
    def strangers(self):
        self.log.info("a stranger (or the wrong party) accepting, cancelling, shipping, completing, "
                      "disputing, resolving: its rule, nothing changed")
        node = self.node
        s, b, a, x = (self.w[n] for n in ("seller", "buyer", "arbiter", "stranger"))
        kx = self.k["stranger"]
        xfrom = dict(OPT, **{"from": self.addr["stranger"]})
        oid = b.market_placeorder(self.listing, 1, dict(OPT, arbiter=self.addr["arbiter"]))["txid"]
        self.mine()
        o = bytes.fromhex(oid)

        def refused(rule, method, args, kind, payload):
            # the stranger's wallet holds no key of the party; then signing with its own
            fn = getattr(x, method)
            self.rpc_refused(-26, rule, fn, *args, OPT)
            self.rpc_refused(-26, rule, fn, *args, xfrom)
            self.block_refused(rule, self.tx(kx, kind, payload))

        # PLACED
        refused("market-not-seller", "market_acceptorder", [oid], "order_accept", order_accept(o))
        refused("market-not-party", "market_cancelorder", [oid], "order_cancel", order_cancel(o))
        s.market_acceptorder(oid, OPT)
        self.mine()
        # ACCEPTED
        refused("market-not-seller", "market_shiporder", [oid], "order_ship", order_ship(o))
        refused("market-not-buyer", "market_completeorder", [oid], "order_complete", order_complete(o))
        refused("market-not-party", "market_disputeorder", [oid, "mine now"], "order_dispute",
                order_dispute(o, "mine now"))
        s.market_shiporder(oid, OPT)
        self.mine()
        # SHIPPED
        refused("market-not-buyer", "market_completeorder", [oid], "order_complete", order_complete(o))
        b.market_disputeorder(oid, "it never came", OPT)
        self.mine()
        # DISPUTED: neither a stranger nor a party may resolve
        refused("market-not-arbiter", "market_resolveorder", [oid, 1], "order_resolve", order_resolve(o, COIN))
        for party in (b, s):
            self.rpc_refused(-26, "market-not-arbiter", party.market_resolveorder, oid, 1, OPT)
        coid = self.disputable_order(codec=True)
        node.sendrawtransaction(self.tx(self.k["buyer"], "order_dispute", order_dispute(coid, "late")).hex())
        self.mine()
        for who in ("buyer", "seller", "stranger"):
            self.block_refused("market-not-arbiter", self.tx(self.k[who], "order_resolve", order_resolve(coid, 0)))
        # the arbiter's own resolution still passes, so the refusals were the party's
        self.rpc_allowed(a.market_resolveorder, oid, 1)
        self.block_allowed(self.tx(self.k["arbiter"], "order_resolve", order_resolve(coid, 0)))
        assert_equal(node.market_getorder(oid)["state"], "DISPUTED")


if __name__ == "__main__":
    MarketRefusalsTest().main()

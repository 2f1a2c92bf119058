#!/usr/bin/env python3
"""The market plugin's consensus, driven with transactions built and signed in
Python (test_framework/messages.py's own codec), as an external wallet app
would: sendrawtransaction and generateblock (or submitblock) only, no market
action RPC (market_getlisting and market_getorder read the race's outcome).

Checks a whole order with exact balances (fees included), each of the three
timeouts by mining blocks only, refusals both at sendrawtransaction and inside
a block, a reorg over market activity restoring state_hash, balances and
escrow exactly, two buyers racing for the last item (one order stands: in
one block, through the mempool, in successive blocks — a hand-built block
after the winner's is invalid — and across a reorg to a longer branch that
holds the other order), a restart and a -reindex giving the same state_hash
and supply, and getsupplyinfo's identity (also with a coinbase that leaves part of its
subsidy unclaimed)."""
from test_framework.messages import (
    COIN, Block, BlockHeader, coinbase_tx, genesis_hash, market_tx, profile_set, listing_create,
    listing_close, order_place, order_accept, order_ship, order_complete, order_cancel,
    order_dispute, order_resolve)
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, assert_raises_rpc_error, to_units

FEE = 2000
ACCEPT_TIMEOUT, SHIP_TIMEOUT, DISPUTE_TIMEOUT = 20, 30, 40  # regtest, doc/market.md
GENESIS = genesis_hash("regtest")


class MarketConsensusTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    # -- helpers ---------------------------------------------------------------
    def tx(self, who, type_name, payload, nonce=None):
        key, addr = who
        if nonce is None:
            nonce = self.node.getaccount(addr)["pending_nonce"]
        return market_tx(key, GENESIS, nonce, type_name, payload, FEE)

    def block(self, *txs):
        """Mines exactly these txs in one block (with generateblock)."""
        return self.node.generateblock(self.miner_address, [t.hex() for t in txs])["hash"]

    def bal(self, who):
        return to_units(self.node.getaccount(who[1])["balance"])

    def escrow(self):
        return to_units(self.node.getsupplyinfo()["escrow"])

    def state(self):
        return self.node.getstateinfo()["state_hash"]

    def assert_supply(self):
        s = self.node.getsupplyinfo()
        total = sum(to_units(s[k]) for k in ("balances", "escrow", "immature"))
        assert_equal(total, to_units(s["subsidy"]))
        assert s["balanced"]
        return s

    def run_test(self):
        self.node = self.nodes[0]
        self.miner_key, self.miner_address = self.new_key()
        self.generate(self.node, 110)
        self.seller, self.buyer, self.arbiter, self.stranger = (self.new_key() for _ in range(4))
        funding = [self.node.sendrawtransaction(self.make_transfer(self.miner_key, i, who[0], 100 * COIN, FEE))
                   for i, who in enumerate((self.seller, self.buyer, self.arbiter, self.stranger))]
        self.node.generateblock(self.miner_address, funding)  # mempool txids
        assert_equal(self.bal(self.buyer), 100 * COIN)

        self.happy_path()
        self.timeouts()
        self.refusals()
        self.reorg()
        self.last_item_race()
        self.last_item_successive_blocks()
        self.restart_and_reindex()
        self.supply()

    # -- an order from listing to completion -------------------------------------
    def happy_path(self):
        self.log.info("profile, listing, order, accept, ship, complete: exact balances")
        s0, b0 = self.bal(self.seller), self.bal(self.buyer)
        self.block(self.tx(self.seller, "profile_set", profile_set("oak-works", "chairs")))
        lst = self.tx(self.seller, "listing_create",
                      listing_create("A wooden chair", 12 * COIN + 345, 5, "Oak", "furniture"))
        self.block(lst)
        self.listing = lst.txid()
        decoded = self.node.decoderawtransaction(lst.hex())
        assert_equal(decoded["type"], "listing_create")
        assert_equal(decoded["payload"]["title"], "A wooden chair")
        total = 2 * (12 * COIN + 345)
        order = self.tx(self.buyer, "order_place", order_place(self.listing, 2, total))
        txid = self.node.sendrawtransaction(order.hex())
        assert_equal(txid, order.txid().hex())
        self.block(order)
        assert_equal(self.escrow(), total)
        assert_equal(self.bal(self.buyer), b0 - total - FEE)
        oid = order.txid()
        for who, kind in ((self.seller, "order_accept"), (self.seller, "order_ship")):
            payload = order_accept(oid) if kind == "order_accept" else order_ship(oid, b"\x01" * 40)
            self.block(self.tx(who, kind, payload))
        assert_equal(self.escrow(), total)
        self.block(self.tx(self.buyer, "order_complete", order_complete(oid)))
        assert_equal(self.escrow(), 0)
        assert_equal(self.bal(self.seller), s0 + total - 4 * FEE)
        assert_equal(self.bal(self.buyer), b0 - total - 2 * FEE)
        # completing twice is refused
        assert_raises_rpc_error(-26, "market-bad-state", self.node.sendrawtransaction,
                                self.tx(self.buyer, "order_complete", order_complete(oid)).hex())
        self.assert_supply()

    # -- every timeout, by mining blocks only -------------------------------------
    def timeouts(self):
        self.log.info("timeouts: unaccepted refunded, shipped completed, dispute refunded")
        node = self.node
        b0, s0, a0 = self.bal(self.buyer), self.bal(self.seller), self.bal(self.arbiter)
        price = 12 * COIN + 345
        n = node.getaccount(self.buyer[1])["pending_nonce"]
        unaccepted = self.tx(self.buyer, "order_place", order_place(self.listing, 1, price), n)
        shipped = self.tx(self.buyer, "order_place", order_place(self.listing, 1, price), n + 1)
        disputed = self.tx(self.buyer, "order_place",
                           order_place(self.listing, 1, price, self.arbiter[0].pubkey, 500), n + 2)
        self.block(unaccepted, shipped, disputed)
        placed_at = node.getblockcount()
        m = node.getaccount(self.seller[1])["pending_nonce"]
        self.block(self.tx(self.seller, "order_accept", order_accept(shipped.txid()), m),
                   self.tx(self.seller, "order_ship", order_ship(shipped.txid()), m + 1),
                   self.tx(self.seller, "order_accept", order_accept(disputed.txid()), m + 2))
        self.block(self.tx(self.buyer, "order_dispute", order_dispute(disputed.txid(), "never came")))
        disputed_at = node.getblockcount()
        shipped_at = placed_at + 1
        assert_equal(self.escrow(), 3 * price)

        # the unaccepted order is refunded when block placed_at + 20 connects
        self.generate(node, placed_at + ACCEPT_TIMEOUT - 1 - node.getblockcount())
        assert_equal(self.escrow(), 3 * price)
        self.generate(node, 1)
        assert_equal(self.escrow(), 2 * price)
        assert_equal(self.bal(self.buyer), b0 - 2 * price - 4 * FEE)
        # the accept of a cancelled order is refused, by class "state"
        assert_raises_rpc_error(-26, "market-bad-state", node.sendrawtransaction,
                                self.tx(self.seller, "order_accept", order_accept(unaccepted.txid())).hex())

        # the shipped order pays the seller at shipped_at + 30
        self.generate(node, shipped_at + SHIP_TIMEOUT - 1 - node.getblockcount())
        assert_equal(self.escrow(), 2 * price)
        self.generate(node, 1)
        assert_equal(self.escrow(), price)
        assert_equal(self.bal(self.seller), s0 + price - 3 * FEE)

        # the dispute nobody resolved refunds the buyer at disputed_at + 40, no fee to the arbiter
        self.generate(node, disputed_at + DISPUTE_TIMEOUT - 1 - node.getblockcount())
        assert_equal(self.escrow(), price)
        self.generate(node, 1)
        assert_equal(self.escrow(), 0)
        assert_equal(self.bal(self.buyer), b0 - price - 4 * FEE)
        assert_equal(self.bal(self.arbiter), a0)
        assert_raises_rpc_error(-26, "market-bad-state", node.sendrawtransaction,
                                self.tx(self.arbiter, "order_resolve", order_resolve(disputed.txid(), 0)).hex())
        self.assert_supply()

    # -- refusals, at the mempool and in a block ----------------------------------
    def refusals(self):
        self.log.info("refusals: at sendrawtransaction and inside a generateblock block")
        node = self.node
        price = 12 * COIN + 345
        cases = [
            ("market-own-listing", self.tx(self.seller, "order_place", order_place(self.listing, 1, price))),
            ("market-out-of-stock", self.tx(self.buyer, "order_place", order_place(self.listing, 6, 6 * price))),
            ("market-price-above-max", self.tx(self.buyer, "order_place", order_place(self.listing, 1, price - 1))),
            ("market-arbiter-is-buyer", self.tx(self.buyer, "order_place",
                                                order_place(self.listing, 1, price, self.buyer[0].pubkey))),
            ("market-fee-bps-too-high", self.tx(self.buyer, "order_place",
                                                order_place(self.listing, 1, price, self.arbiter[0].pubkey, 1001))),
            ("market-name-taken", self.tx(self.stranger, "profile_set", profile_set("oak-works"))),
            ("market-bad-name", self.tx(self.stranger, "profile_set", profile_set("Oak Works"))),
            ("market-not-seller", self.tx(self.stranger, "listing_close", listing_close(self.listing))),
            ("bad-payload", self.tx(self.seller, "listing_create", listing_create("t" * 141, 1, 1))),
        ]
        for reason, tx in cases:
            before = (node.getblockcount(), self.state())
            assert_raises_rpc_error(-26, reason, node.sendrawtransaction, tx.hex())
            e = assert_raises_rpc_error(None, reason, node.generateblock, self.miner_address, [tx.hex()])
            self.log.debug("%s in a block: %s", reason, e.message)
            assert_equal((node.getblockcount(), self.state()), before)
        assert_equal(node.getrawmempool(), [])

        # a closed listing, then an expired one, take no orders
        lst = self.tx(self.seller, "listing_create", listing_create("Stool", 1000, 3))
        self.block(lst)
        self.block(self.tx(self.seller, "listing_close", listing_close(lst.txid())))
        closed = self.tx(self.buyer, "order_place", order_place(lst.txid(), 1, 1000))
        assert_raises_rpc_error(-26, "market-listing-closed", node.sendrawtransaction, closed.hex())
        exp = self.tx(self.seller, "listing_create",
                      listing_create("Lamp", 1000, 3, expires_at_height=node.getblockcount() + 2))
        self.block(exp)
        self.generate(node, 2)
        late = self.tx(self.buyer, "order_place", order_place(exp.txid(), 1, 1000))
        assert_raises_rpc_error(-26, "market-listing-expired", node.sendrawtransaction, late.hex())
        assert_raises_rpc_error(None, "market-listing-expired", node.generateblock, self.miner_address,
                                [late.hex()])
        # a dispute needs an arbiter
        order = self.tx(self.buyer, "order_place", order_place(self.listing, 1, price))
        self.block(order)
        self.block(self.tx(self.seller, "order_accept", order_accept(order.txid())))
        assert_raises_rpc_error(-26, "market-no-arbiter", node.sendrawtransaction,
                                self.tx(self.buyer, "order_dispute", order_dispute(order.txid())).hex())
        self.block(self.tx(self.seller, "order_cancel", order_cancel(order.txid())))
        assert_equal(self.escrow(), 0)

    # -- a reorg over market activity ----------------------------------------------
    def reorg(self):
        self.log.info("reorg: a branch of orders disconnected and reconnected, state_hash exact")
        node = self.node
        price = 3 * COIN
        lst = self.tx(self.seller, "listing_create", listing_create("Desk", price, 10))
        self.block(lst)
        before = (self.state(), self.bal(self.buyer), self.bal(self.seller), self.escrow(),
                  node.getbestblockhash())
        order = self.tx(self.buyer, "order_place", order_place(lst.txid(), 3, 3 * price,
                                                                self.arbiter[0].pubkey, 1000))
        first = self.block(order)
        self.block(self.tx(self.seller, "order_accept", order_accept(order.txid())))
        n = node.getaccount(self.buyer[1])["pending_nonce"]
        other = self.tx(self.buyer, "order_place", order_place(lst.txid(), 1, price), n)
        self.block(other, self.tx(self.buyer, "order_dispute", order_dispute(order.txid(), "late"), n + 1))
        self.block(self.tx(self.arbiter, "order_resolve", order_resolve(order.txid(), price)))
        after = (self.state(), self.bal(self.buyer), self.bal(self.seller), self.escrow())
        assert_equal(after[3], price)
        # the whole branch goes; its txs go back to the mempool, the state does not keep them
        node.invalidateblock(first)
        assert_equal((self.state(), self.bal(self.buyer), self.bal(self.seller), self.escrow(),
                      node.getbestblockhash()), before)
        # and comes back exactly
        node.reconsiderblock(first)
        assert_equal((self.state(), self.bal(self.buyer), self.bal(self.seller), self.escrow()), after)
        self.assert_supply()

    # -- two buyers, the last item -----------------------------------------------------
    def last_item_race(self):
        self.log.info("two buyers, one item: exactly one order stands, in a block or in the mempool")
        node = self.node
        lst = self.tx(self.seller, "listing_create", listing_create("Last lamp", 5000, 1))
        self.block(lst)
        first = self.tx(self.buyer, "order_place", order_place(lst.txid(), 1, 5000))
        second = self.tx(self.stranger, "order_place", order_place(lst.txid(), 1, 5000))
        # in one block: the second order makes the block invalid
        before = (node.getblockcount(), self.state())
        assert_raises_rpc_error(-25, "transaction 1: market-out-of-stock", node.generateblock,
                                self.miner_address, [first.hex(), second.hex()])
        assert_equal((node.getblockcount(), self.state()), before)
        # in the mempool: the pool checks each sender's txs against the tip, so both are taken;
        # the miner puts one in the block, and the other leaves the pool when the block connects
        node.sendrawtransaction(first.hex())
        node.sendrawtransaction(second.hex())
        self.generate(node, 1)
        mined = node.getblock(node.getbestblockhash(), 1)["tx"][1:]
        assert_equal(len(mined), 1)
        loser = second if mined[0] == first.txid().hex() else first
        assert_equal(node.getrawmempool(), [])
        assert_equal(self.escrow(), 5000 + 3 * COIN)  # and the reorg test's open order
        # in a later block, and at the mempool, the other one is refused
        assert_raises_rpc_error(-26, "market-out-of-stock", node.sendrawtransaction, loser.hex())
        assert_raises_rpc_error(-25, "market-out-of-stock", node.generateblock, self.miner_address,
                                [loser.hex()])

    def hand_block(self, prev, txs):
        """A block on prev (hash, hex) holding txs, built and solved here: its coinbase claims
        exactly the subsidy and the fees."""
        node = self.node
        parent = node.getblock(prev)
        height = parent["height"] + 1
        cb = coinbase_tx(height, self.miner_key.pubkey, ((50 * COIN) >> (height // 150)) + FEE * len(txs))
        bits = int(node.getblocktemplate()["bits"], 16)
        blk = Block(BlockHeader(bytes.fromhex(prev), b"", parent["time"] + 1, bits, 0), [cb] + list(txs))
        blk.update_merkle_root()
        assert blk.solve()
        return blk

    def last_item_successive_blocks(self):
        self.log.info("two buyers, one item, successive blocks: the later one loses, also across a reorg")
        node = self.node
        lst = self.tx(self.seller, "listing_create", listing_create("Last vase", 7000, 1))
        self.block(lst)
        parent = node.getbestblockhash()
        first = self.tx(self.buyer, "order_place", order_place(lst.txid(), 1, 7000))
        second = self.tx(self.stranger, "order_place", order_place(lst.txid(), 1, 7000))
        e0, b0, t0 = self.escrow(), self.bal(self.buyer), self.bal(self.stranger)
        t_nonce = node.getaccount(self.stranger[1])["nonce"]

        def stands(winner, loser):
            """Exactly one order: the winner's, its total in escrow; the item sold; nothing of the
            loser's order anywhere."""
            assert_equal(node.market_getorder(winner.txid().hex())["state"], "PLACED")
            assert_raises_rpc_error(-5, "no order with this id", node.market_getorder, loser.txid().hex())
            assert_equal(node.market_getlisting(lst.txid().hex())["stock"], 0)
            assert_equal(self.escrow(), e0 + 7000)
            assert_equal(node.getrawmempool(), [])
            assert_raises_rpc_error(-26, "market-out-of-stock", node.sendrawtransaction, loser.hex())
            self.assert_supply()

        # block N takes the first order; a block N+1 with the second one is invalid
        n_hash = self.block(first)
        before = (node.getbestblockhash(), self.state(), self.bal(self.stranger))
        late = self.hand_block(n_hash, [second])
        reason = node.submitblock(late.hex())
        assert "market-out-of-stock" in reason, reason
        self.log.debug("the late block: %s", reason)
        assert_equal((node.getbestblockhash(), self.state(), self.bal(self.stranger)), before)
        assert_equal(node.getaccount(self.stranger[1])["nonce"], t_nonce)
        assert_equal(self.bal(self.buyer), b0 - 7000 - FEE)
        stands(first, second)

        # a competing block N with the second order, then N+1 on it: the longer branch wins; the
        # first order goes back to the mempool, finds the item sold and leaves it
        fork = self.hand_block(parent, [second])
        assert_equal(node.submitblock(fork.hex()), "inconclusive")
        assert_equal(node.getbestblockhash(), n_hash)
        ext = self.hand_block(fork.hash().hex(), [])
        assert_equal(node.submitblock(ext.hex()), None)
        assert_equal(node.getbestblockhash(), ext.hash().hex())
        assert_equal((self.bal(self.buyer), self.bal(self.stranger)), (b0, t0 - 7000 - FEE))
        stands(second, first)

    # -- restart and -reindex -------------------------------------------------------------
    def restart_and_reindex(self):
        self.log.info("restart and -reindex: the same state_hash and supply")
        node = self.node
        before = (self.state(), node.getbestblockhash(), node.getsupplyinfo())
        self.restart_node(0)
        assert_equal((self.state(), node.getbestblockhash(), node.getsupplyinfo()), before)
        self.restart_node(0, ["-reindex"])
        assert_equal((self.state(), node.getbestblockhash(), node.getsupplyinfo()), before)

    # -- the supply identity, with a coinbase that leaves coins unclaimed -------------
    def supply(self):
        self.log.info("getsupplyinfo: balances + escrow + immature == subsidy; unclaimed coinbase")
        node = self.node
        s = self.assert_supply()
        assert_equal(s["height"], node.getblockcount())
        height = s["height"]
        expected = sum((50 * COIN) >> (h // 150) for h in range(1, height + 1))
        assert_equal(to_units(s["subsidy"]), expected)
        assert_equal(to_units(s["unclaimed"]), 0)
        assert_equal(to_units(s["excess"]), 0)
        t = node.getblocktemplate()
        cb = coinbase_tx(t["height"], self.miner_key.pubkey, t["coinbasevalue"] - 12345, b"thrift")
        blk = Block(BlockHeader(bytes.fromhex(t["previousblockhash"]), b"", t["curtime"], int(t["bits"], 16), 0), [cb])
        blk.update_merkle_root()
        assert blk.solve()
        assert_equal(node.submitblock(blk.hex()), None)
        s = node.getsupplyinfo()
        assert not s["balanced"]
        assert_equal(to_units(s["unclaimed"]), 12345)
        assert_equal(to_units(s["subsidy"]) - to_units(s["total"]), 12345)
        # the framework's own check (run again when the test ends) walks the chain for the gap
        self.check_supply()


if __name__ == "__main__":
    MarketConsensusTest().main()

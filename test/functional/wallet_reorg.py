#!/usr/bin/env python3
"""Wallet history through reorganisations: invalidateblock moves a wallet
tx back to unconfirmed (and the balances with it), reconsiderblock
confirms it again in the same block; on a competing branch the tx is
confirmed in the new block; a reorg that takes away a mined block takes the
coinbase out of the wallet; rescanblockchain agrees with the live state."""

from decimal import Decimal
from urllib.parse import quote

from test_framework.authproxy import AuthServiceProxy, read_cookie
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, to_units

COIN = 10**8
MATURITY = 100


def wallet_rpc(node, name):
    """A proxy that sends every call to /wallet/<name>."""
    return AuthServiceProxy("127.0.0.1", node.rpc_port, lambda: read_cookie(node.cookie_path),
                            node.rpc_timeout, path="/wallet/" + quote(name, safe=""))


class WalletReorgTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def balances(self, w):
        m = w.getbalances()["mine"]
        return to_units(m["trusted"]), to_units(m["untrusted_pending"]), to_units(m["immature"])

    def view(self, w, txid):
        """What the wallet says about one tx: (confirmations, blockhash or None)."""
        t = w.gettransaction(txid)
        listed = [e for e in w.listtransactions("*", 1000) if e["txid"] == txid]
        assert_equal(len(listed), 1)
        assert_equal(listed[0]["confirmations"], t["confirmations"])
        assert_equal(listed[0].get("blockhash"), t.get("blockhash"))
        return t["confirmations"], t.get("blockhash")

    def run_test(self):
        node = self.nodes[0]
        _, miner = self.new_key()
        node.createwallet("alice")
        node.createwallet("bob")
        alice = wallet_rpc(node, "alice")
        bob = wallet_rpc(node, "bob")
        a_addr = alice.getnewaddress()
        b_addr = bob.getnewaddress()
        node.generatetoaddress(1, a_addr)
        node.generatetoaddress(MATURITY, miner)

        self.log.info("a confirmed payment")
        txid = alice.sendtoaddress(b_addr, Decimal("7.5"))
        fee = -to_units(alice.gettransaction(txid)["fee"])
        block = node.generatetoaddress(1, miner)[0]
        assert_equal(self.view(alice, txid), (1, block))
        assert_equal(self.view(bob, txid), (1, block))
        a_conf = self.balances(alice)
        b_conf = self.balances(bob)
        assert_equal(b_conf, (750000000, 0, 0))
        assert_equal(a_conf, (50 * COIN - 750000000 - fee, 0, 0))

        self.log.info("invalidateblock: the tx is back in the mempool and unconfirmed")
        node.invalidateblock(block)
        assert txid in node.getrawmempool()
        assert_equal(self.view(alice, txid), (0, None))
        assert_equal(self.view(bob, txid), (0, None))
        assert_equal(self.balances(bob), (0, 750000000, 0))
        assert_equal(self.balances(alice), a_conf)   # pending sends already count as spent
        assert_equal(to_units(node.getaccount(a_addr)["balance"]), 50 * COIN)

        self.log.info("reconsiderblock: confirmed again in the same block")
        node.reconsiderblock(block)
        assert_equal(node.getbestblockhash(), block)
        assert_equal(self.view(alice, txid), (1, block))
        assert_equal(self.view(bob, txid), (1, block))
        assert_equal(self.balances(bob), b_conf)
        assert_equal(self.balances(alice), a_conf)

        self.log.info("a competing branch confirms it in another block")
        node.invalidateblock(block)
        other = node.generatetoaddress(2, miner)
        assert other[0] != block
        assert_equal(self.view(bob, txid), (2, other[0]))
        assert_equal(self.view(alice, txid), (2, other[0]))
        assert_equal(self.balances(bob), b_conf)
        # Going back to the first branch needs it to be longer again.
        node.reconsiderblock(block)
        assert_equal(node.getbestblockhash(), other[1])
        assert_equal(self.view(bob, txid), (2, other[0]))

        self.log.info("a reorg that drops a block mined to the wallet drops its coinbase")
        cb_block = node.generatetoaddress(1, b_addr)[0]
        assert_equal(self.balances(bob), (750000000, 0, 50 * COIN))
        cb_txid = node.getblock(cb_block)["tx"][0]
        assert_equal(bob.gettransaction(cb_txid)["category"], "immature")
        node.invalidateblock(cb_block)
        assert_equal(self.balances(bob), (750000000, 0, 0))
        assert cb_txid not in [e["txid"] for e in bob.listtransactions("*", 1000)
                               if e["confirmations"] > 0]
        node.reconsiderblock(cb_block)
        assert_equal(self.balances(bob), (750000000, 0, 50 * COIN))

        self.log.info("rescanblockchain rebuilds the same view")
        def history(w):
            # "time" is when the wallet first saw a tx, which a rescan
            # only knows as the block's time.
            return sorted((sorted((k, str(v)) for k, v in e.items() if k != "time")
                           for e in w.listtransactions("*", 1000)))
        for w in (alice, bob):
            live = (self.balances(w), history(w))
            r = w.rescanblockchain()
            assert_equal(r, {"start_height": 0, "stop_height": node.getblockcount()})
            assert_equal((self.balances(w), history(w)), live)


if __name__ == "__main__":
    WalletReorgTest().main()

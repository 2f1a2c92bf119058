#!/usr/bin/env python3
"""kill -9 during a burst of sends (and blocks), several times: afterwards
the wallet opens, and after rescanblockchain its balances, nonces and
history agree with the chain; it can send again straight away."""

import threading
from decimal import Decimal
from urllib.parse import quote

from test_framework.authproxy import AuthServiceProxy, read_cookie
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, to_units, wait_until

COIN = 10**8
MATURITY = 100
ROUNDS = 5


def wallet_rpc(node, name, timeout=None):
    """A proxy that sends every call to /wallet/<name>."""
    return AuthServiceProxy("127.0.0.1", node.rpc_port, lambda: read_cookie(node.cookie_path),
                            timeout or node.rpc_timeout, path="/wallet/" + quote(name, safe=""))


class Burst(threading.Thread):
    """Sends from the wallet (and mines now and then) until the node dies."""

    def __init__(self, node, miner, payee):
        super().__init__(daemon=True)
        self.w = wallet_rpc(node, "w", timeout=10)
        self.chain = node.make_rpc(timeout=10)
        self.miner, self.payee = miner, payee
        self.sent = 0
        self.stop = False

    def run(self):
        i = 0
        while not self.stop:
            i += 1
            try:
                self.w.sendtoaddress(self.payee, Decimal("0.001"))
                self.sent += 1
                if i % 7 == 0:
                    self.chain.generatetoaddress(1, self.miner)
            except Exception:
                # The node is gone (or going): the burst is over.
                return


class WalletCrashTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def wallet(self):
        return wallet_rpc(self.nodes[0], "w")

    def check_agrees(self, w):
        """The wallet's view equals the chain's, address by address."""
        node = self.nodes[0]
        total = 0
        mine_addrs = set()
        for e in w.listaddresses():
            acct = node.getaccount(e["address"])
            assert_equal(to_units(e["balance"]), to_units(acct["balance"]))
            assert_equal(e["nonce"], acct["nonce"])
            total += to_units(acct["balance"])
            mine_addrs.add(e["address"])
        # What the wallet's txs waiting in the mempool take out.
        pending_out = 0
        for txid in node.getrawmempool():
            tx = node.getrawtransaction(txid, True)
            if tx["sender"] in mine_addrs:
                pending_out += to_units(tx["fee"]) + to_units(tx["payload"]["amount"])
        assert_equal(to_units(w.getbalances()["mine"]["trusted"]), total - pending_out)
        # Every confirmed wallet tx is where the chain says.
        for t in w.listtransactions("*", 100000):
            if t["confirmations"] > 0:
                raw = node.getrawtransaction(t["txid"], True)
                assert_equal(raw["blockhash"], t["blockhash"])
                assert_equal(raw["confirmations"], t["confirmations"])

    def run_test(self):
        node = self.nodes[0]
        _, miner = self.new_key()
        _, payee = self.new_key()
        node.createwallet("w")
        w = self.wallet()
        addr = w.getnewaddress()
        node.generatetoaddress(3, addr)
        node.generatetoaddress(MATURITY, miner)
        args = ["-wallet=w"]

        for rnd in range(ROUNDS):
            self.log.info("round %d: burst of sends, kill -9 in the middle", rnd)
            burst = Burst(node, miner, payee)
            burst.start()
            want = 20 + 10 * rnd
            wait_until(lambda: burst.sent >= want or not burst.is_alive(), timeout=60, poll=0.01,
                       what="%d sends before the kill" % want)
            assert burst.is_alive(), "the burst stopped after %d sends, before the kill" % burst.sent
            node.kill_process()
            burst.stop = True
            burst.join(30)

            self.start_node(0, args)
            assert_equal(node.listwallets(), ["w"])
            w = self.wallet()
            w.getwalletinfo()
            r = w.rescanblockchain()
            assert_equal(r["stop_height"], node.getblockcount())
            self.check_agrees(w)

            self.log.info("round %d: the wallet sends again and the send confirms", rnd)
            txid = w.sendtoaddress(payee, Decimal("0.5"))
            node.generatetoaddress(1, miner)
            assert_equal(w.gettransaction(txid)["confirmations"], 1)
            assert_equal(node.getrawmempool(), [])
            self.check_agrees(w)


if __name__ == "__main__":
    WalletCrashTest().main()

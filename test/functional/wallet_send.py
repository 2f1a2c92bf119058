#!/usr/bin/env python3
"""Sending with the wallet: Alice mines, pays Bob, Bob pays back, and both
balances (immature, pending, trusted) and histories are right before and
after confirmation; a chain of 50 sends in a row confirms in nonce order;
fee_rate; walletcreatetransaction with and without broadcast; bad inputs
(invalid address, another network's address, negative, zero and
too-precise amounts, insufficient funds, unknown wallet) each get their
error and change nothing. Alice and Bob are on two connected nodes."""

from decimal import Decimal
from urllib.parse import quote

from test_framework.authproxy import AuthServiceProxy, read_cookie
from test_framework.bech32m import decode_address, encode_address
from test_framework.test_framework import SoukTestFramework
from test_framework.test_node import CliError
from test_framework.util import (assert_equal, assert_greater_than_or_equal,
                                 assert_raises_rpc_error, to_units, wait_until)

RPC_TYPE_ERROR = -3
RPC_WALLET_ERROR = -4
RPC_INVALID_ADDRESS_OR_KEY = -5
RPC_WALLET_INSUFFICIENT_FUNDS = -6
RPC_INVALID_PARAMETER = -8
RPC_WALLET_NOT_FOUND = -18

COIN = 10**8
MATURITY = 100


def wallet_rpc(node, name):
    """A proxy that sends every call to /wallet/<name>."""
    return AuthServiceProxy("127.0.0.1", node.rpc_port, lambda: read_cookie(node.cookie_path),
                            node.rpc_timeout, path="/wallet/" + quote(name, safe=""))


class WalletSendTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 2

    def setup_network(self):
        self.setup_nodes()
        self.connect_nodes(0, 1)

    def run_test(self):
        self.na, self.nb = self.nodes
        self.na.createwallet("alice")
        self.nb.createwallet("bob")
        self.alice = wallet_rpc(self.na, "alice")
        self.bob = wallet_rpc(self.nb, "bob")
        _, self.miner = self.new_key()

        self.test_mining_balances()
        self.test_send_and_confirm()
        self.test_fee_rate()
        self.test_chain_of_50()
        self.test_walletcreatetransaction()
        self.test_several_keys()
        self.test_bad_inputs()
        self.test_cli_flow()

    # ------------------------------------------------------------------ helpers
    def sync(self):
        self.sync_all()

    def mine(self, n=1, node=None):
        hashes = (node or self.na).generatetoaddress(n, self.miner)
        self.sync()
        return hashes

    def wait_in_mempool(self, node, txid):
        wait_until(lambda: txid in node.getrawmempool(), timeout=30, what="tx in the mempool")

    def balances(self, w):
        m = w.getbalances()["mine"]
        return to_units(m["trusted"]), to_units(m["untrusted_pending"]), to_units(m["immature"])

    def wallet_total(self, node, w):
        """Sum of the chain's balances of the wallet's addresses."""
        return sum(to_units(node.getaccount(e["address"])["balance"]) for e in w.listaddresses())

    # -------------------------------------------------------------------- tests
    def test_mining_balances(self):
        self.log.info("a mined coinbase is immature for 100 blocks, then trusted")
        self.a_addr = self.alice.getnewaddress("mining")
        self.na.generatetoaddress(2, self.a_addr)
        self.sync()
        assert_equal(self.balances(self.alice), (0, 0, 100 * COIN))
        assert_equal(to_units(self.alice.getbalance()), 0)
        self.mine(MATURITY - 1)
        assert_equal(self.balances(self.alice), (50 * COIN, 0, 50 * COIN))
        self.mine(1)
        assert_equal(self.balances(self.alice), (100 * COIN, 0, 0))
        assert_equal(self.wallet_total(self.na, self.alice), 100 * COIN)
        gen = self.alice.listtransactions()
        assert_equal(len(gen), 2)
        for e in gen:
            assert_equal(e["category"], "generate")
            assert_equal(to_units(e["amount"]), 50 * COIN)
            assert_equal(e["address"], self.a_addr)
            assert_equal(e["label"], "mining")
        assert_equal(self.alice.getwalletinfo()["txcount"], 2)

    def test_send_and_confirm(self):
        self.log.info("Alice pays Bob; pending on both sides, then confirmed")
        b_addr = self.bob.getnewaddress("from alice")
        txid = self.alice.sendtoaddress(b_addr, Decimal("12.5"), "rent for May")
        self.wait_in_mempool(self.nb, txid)
        tx = self.alice.gettransaction(txid)
        fee = -to_units(tx["fee"])
        assert fee > 0
        assert_equal(tx["category"], "send")
        assert_equal(to_units(tx["amount"]), -1250000000)
        assert_equal(tx["confirmations"], 0)
        assert "blockhash" not in tx
        assert_equal(tx["decoded"]["payload"]["memo"], b"rent for May".hex())
        assert_equal(tx["decoded"]["payload"]["to"], b_addr)
        assert_equal(tx["counterparty"], b_addr)
        assert_equal(len(tx["details"]), 1)
        # Pending: gone from Alice's trusted balance, pending for Bob.
        assert_equal(self.balances(self.alice), (100 * COIN - 1250000000 - fee, 0, 0))
        assert_equal(self.balances(self.bob), (0, 1250000000, 0))
        rx = self.bob.listtransactions()
        assert_equal(len(rx), 1)
        assert_equal(rx[0]["category"], "receive")
        assert_equal(rx[0]["confirmations"], 0)
        assert_equal(rx[0]["label"], "from alice")
        assert_equal(to_units(rx[0]["amount"]), 1250000000)
        assert "fee" not in rx[0]

        block = self.mine(1)[0]
        for w in (self.alice, self.bob):
            t = w.gettransaction(txid)
            assert_equal(t["confirmations"], 1)
            assert_equal(t["blockhash"], block)
        assert_equal(self.balances(self.alice), (100 * COIN - 1250000000 - fee, 0, 0))
        assert_equal(self.balances(self.bob), (1250000000, 0, 0))
        assert_equal(self.wallet_total(self.na, self.alice), 100 * COIN - 1250000000 - fee)
        assert_equal(self.wallet_total(self.nb, self.bob), 1250000000)

        self.log.info("Bob pays Alice back through souk-cli")
        back = self.nb.cli("-rpcwallet=bob", "sendtoaddress", self.a_addr, "2.5")
        self.wait_in_mempool(self.na, back)
        assert_equal(self.balances(self.alice)[1], 250000000)
        self.mine(1)
        bfee = -to_units(self.bob.gettransaction(back)["fee"])
        assert_equal(self.balances(self.bob), (1000000000 - bfee, 0, 0))
        assert_equal(self.balances(self.alice), (100 * COIN - 1000000000 - fee, 0, 0))
        hist = self.alice.listtransactions()
        assert_equal([e["category"] for e in hist][-2:], ["send", "receive"])
        assert_equal(hist[-1]["txid"], back)
        assert_equal(hist[-1]["confirmations"], 1)
        assert_equal(hist[-2]["confirmations"], 2)

    def test_fee_rate(self):
        self.log.info("fee_rate sets units per byte; the default is at least the relay minimum")
        b_addr = self.bob.getnewaddress()
        txid = self.alice.sendtoaddress(b_addr, 1, None, 7)
        tx = self.alice.gettransaction(txid)
        size = tx["decoded"]["size"]
        assert_greater_than_or_equal(-to_units(tx["fee"]), 7 * size)
        assert -to_units(tx["fee"]) <= 7 * (size + 2)
        txid2 = self.alice.sendtoaddress(b_addr, 1)
        tx2 = self.alice.gettransaction(txid2)
        assert_greater_than_or_equal(-to_units(tx2["fee"]), tx2["decoded"]["size"])
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, "fee_rate", self.alice.sendtoaddress,
                                b_addr, 1, None, -1)
        self.mine(1)

    def test_chain_of_50(self):
        self.log.info("50 sends in a row from one wallet confirm in nonce order")
        b_addr = self.bob.getnewaddress("fifty")
        bob_before = self.balances(self.bob)[0]
        first_nonce = self.na.getaccount(self.a_addr)["pending_nonce"]
        txids = []
        total = 0
        for i in range(50):
            amount = (i + 1) * 100000
            txids.append(self.alice.sendtoaddress(b_addr, Decimal(amount) / COIN))
            total += amount
        assert_equal(len(set(txids)), 50)
        pool = set(self.na.getrawmempool())
        assert set(txids) <= pool
        nonces = [self.alice.gettransaction(t)["decoded"]["nonce"] for t in txids]
        assert_equal(nonces, list(range(first_nonce, first_nonce + 50)))
        self.sync_mempools()
        assert_equal(self.balances(self.bob)[1], total)
        block = self.mine(1)[0]
        in_block = [t for t in self.na.getblock(block)["tx"] if t in txids]
        assert_equal(in_block, txids)
        for t in txids:
            assert_equal(self.alice.gettransaction(t)["confirmations"], 1)
        assert_equal(self.balances(self.bob)[0], bob_before + total)
        assert_equal(self.na.getaccount(self.a_addr)["nonce"], first_nonce + 50)
        fifty = self.bob.listtransactions("fifty", 100)
        assert_equal([e["txid"] for e in fifty], txids)
        assert_equal(len(self.bob.listtransactions("fifty", 10, 45)), 5)
        assert_equal([e["txid"] for e in self.bob.listtransactions("fifty", 3)], txids[-3:])
        assert_equal([e["txid"] for e in self.alice.listtransactions("*", 3, 1)], txids[-4:-1])
        assert_equal(self.alice.listtransactions("*", 0), [])
        assert_equal(self.alice.listtransactions("no such label"), [])
        assert_equal(len(self.alice.listtransactions("*", 10, 10**6)), 0)
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, "count", self.alice.listtransactions,
                                "*", -1)
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, "skip", self.alice.listtransactions,
                                "*", 10, -1)
        assert_raises_rpc_error(RPC_INVALID_ADDRESS_OR_KEY, "non-wallet transaction",
                                self.alice.gettransaction, "00" * 32)
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, None, self.alice.gettransaction, "zz")
        # Bob's history does not hold Alice's coinbase.
        gen_txid = [e for e in self.alice.listtransactions("*", 1000)
                    if e["category"] == "generate"][0]["txid"]
        assert_raises_rpc_error(RPC_INVALID_ADDRESS_OR_KEY, "non-wallet transaction",
                                self.bob.gettransaction, gen_txid)

    def test_walletcreatetransaction(self):
        self.log.info("walletcreatetransaction: signed hex without broadcast, or sent")
        b_addr = self.bob.getnewaddress()
        pool = sorted(self.na.getrawmempool())
        r = self.alice.walletcreatetransaction("transfer", {"to": b_addr, "amount": 3, "memo": "ab"},
                                               {"broadcast": False})
        assert_equal(sorted(self.na.getrawmempool()), pool)
        d = self.na.decoderawtransaction(r["hex"])
        assert_equal(d["txid"], r["txid"])
        assert_equal(d["sender"], r["from"])
        assert_equal(d["sender"], self.a_addr)
        assert_equal(to_units(d["fee"]), to_units(r["fee"]))
        assert_equal(to_units(d["payload"]["amount"]), 3 * COIN)
        assert_equal(d["payload"]["memo"], "ab")
        assert_equal(self.na.sendrawtransaction(r["hex"]), r["txid"])
        # The next one takes the following nonce, with the first still pending.
        r2 = self.alice.walletcreatetransaction(
            "transfer", '{"to": "%s", "amount": "0.5", "memo": ""}' % b_addr,
            {"from": self.a_addr, "fee": "0.001"})
        assert "hex" not in r2
        assert_equal(to_units(r2["fee"]), 100000)
        assert r2["txid"] in self.na.getrawmempool()
        assert_equal(self.na.getmempoolentry(r2["txid"])["depends"], [r["txid"]])
        self.mine(1)
        assert_equal(self.alice.gettransaction(r2["txid"])["confirmations"], 1)

        self.log.info("walletcreatetransaction errors")
        before = (sorted(self.na.getrawmempool()), self.alice.getbalances())
        ok_payload = {"to": b_addr, "amount": 1, "memo": ""}
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, "unknown transaction type",
                                self.alice.walletcreatetransaction, "nosuchtype", ok_payload)
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, "coinbase",
                                self.alice.walletcreatetransaction, "coinbase", ok_payload)
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, "payload",
                                self.alice.walletcreatetransaction, "transfer", {"to": b_addr})
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, "payload",
                                self.alice.walletcreatetransaction, "transfer",
                                {"to": b_addr, "amount": 1, "memo": "", "x": 1})
        assert_raises_rpc_error(RPC_TYPE_ERROR, "payload", self.alice.walletcreatetransaction,
                                "transfer", "not json")
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, "unknown option",
                                self.alice.walletcreatetransaction, "transfer", ok_payload,
                                {"brodcast": False})
        assert_raises_rpc_error(RPC_WALLET_ERROR, "not in this wallet",
                                self.alice.walletcreatetransaction, "transfer", ok_payload,
                                {"from": b_addr})
        assert_raises_rpc_error(RPC_INVALID_ADDRESS_OR_KEY, "Invalid address",
                                self.alice.walletcreatetransaction, "transfer", ok_payload,
                                {"from": "rsouk1xyz"})
        assert_raises_rpc_error(RPC_WALLET_INSUFFICIENT_FUNDS, "Insufficient funds",
                                self.alice.walletcreatetransaction, "transfer",
                                {"to": b_addr, "amount": 10**6, "memo": ""})
        assert_equal((sorted(self.na.getrawmempool()), self.alice.getbalances()), before)

    def test_several_keys(self):
        self.log.info("a wallet spends what it shows: 1.5 from coins on two addresses")
        carol_node = self.nb
        carol_node.createwallet("carol")
        carol = wallet_rpc(carol_node, "carol")
        c1, c2 = carol.getnewaddress(), carol.getnewaddress()
        self.alice.sendtoaddress(c1, Decimal("1"))
        self.alice.sendtoaddress(c2, Decimal("0.96"))
        self.mine(1)
        assert_equal(to_units(carol.getbalance()), 196 * COIN // 100)
        back = self.alice.getnewaddress()
        r = carol.sendtoaddress(back, Decimal("1.5"), "", 0, True)
        transfers = r["transfers"]
        assert_equal(len(transfers), 2)
        assert_equal(r["txid"], transfers[0]["txid"])
        assert_equal(transfers[0]["from"], c1)       # the fuller key pays first
        assert_equal(transfers[1]["from"], c2)
        assert_equal(sum(to_units(t["amount"]) for t in transfers), 150 * COIN // 100)
        assert_equal(sum(to_units(t["fee"]) for t in transfers), to_units(r["fee"]))
        for t in transfers:
            self.wait_in_mempool(self.na, t["txid"])
        self.mine(1)
        received = [e for e in self.alice.listtransactions("*", 100)
                    if e["address"] == back and e["category"] == "receive"]
        assert_equal(sum(to_units(e["amount"]) for e in received), 150 * COIN // 100)
        left = 196 * COIN // 100 - 150 * COIN // 100 - to_units(r["fee"])
        assert_equal(to_units(carol.getbalance()), left)

        self.log.info("more than all keys hold: the error gives the total and the largest key")
        largest = max(to_units(carol_node.getaccount(a)["balance"]) for a in (c1, c2))
        fmt = lambda units: "%d.%08d" % divmod(units, COIN)
        assert_raises_rpc_error(RPC_WALLET_INSUFFICIENT_FUNDS,
                                "can spend %s in all, at most %s from one key" % (fmt(left), fmt(largest)),
                                carol.sendtoaddress, back, Decimal("0.5"))
        self.log.info("a transfer through walletcreatetransaction splits the same way")
        txid = carol.sendtoaddress(carol.getnewaddress(), Decimal("0.2"))   # over two keys again
        self.wait_in_mempool(self.na, txid)
        self.mine(1)
        total = to_units(carol.getbalance())
        r = carol.walletcreatetransaction("transfer", {"to": back, "amount": "0.4", "memo": ""},
                                          {"broadcast": False})
        assert_equal(len(r["transfers"]), 2)
        assert_equal(r["hex"], r["transfers"][0]["hex"])
        for t in r["transfers"]:
            assert_equal(self.na.decoderawtransaction(t["hex"])["txid"], t["txid"])
        assert_equal(to_units(carol.getbalance()), total)
        assert_raises_rpc_error(RPC_WALLET_INSUFFICIENT_FUNDS, "one key must hold",
                                carol.walletcreatetransaction, "transfer",
                                {"to": back, "amount": "0.4", "memo": ""}, {"fee": "0.0001"})
        carol_node.unloadwallet("carol")

        self.log.info("importprivkey of a key whose spend is pending counts that spend")
        key, key_addr = self.new_key()
        txid = self.alice.sendtoaddress(key_addr, Decimal("2"))
        self.wait_in_mempool(self.nb, txid)
        self.mine(1)
        spend = self.make_transfer(key, 0, back, COIN // 2, 1000)
        spent_txid = self.nb.sendrawtransaction(spend)
        carol_node.createwallet("dave")
        dave = wallet_rpc(carol_node, "dave")
        dave.importprivkey(key.secret.hex(), "", True)
        assert_equal(to_units(dave.getbalance()), 2 * COIN - COIN // 2 - 1000)
        assert_equal(to_units(dave.getbalances()["mine"]["trusted"]), 2 * COIN - COIN // 2 - 1000)
        assert_equal(to_units(dave.gettransaction(spent_txid)["amount"]), -(COIN // 2))
        carol_node.unloadwallet("dave")
        self.wait_in_mempool(self.na, spent_txid)
        self.mine(1)

    def test_bad_inputs(self):
        self.log.info("bad sendtoaddress inputs: each its error, nothing changes")
        b_addr = self.bob.getnewaddress()
        main_addr = encode_address(decode_address(b_addr, "regtest"), "main")
        test_addr = encode_address(decode_address(b_addr, "regtest"), "test")

        def snapshot():
            return (self.na.getbestblockhash(), sorted(self.na.getrawmempool()),
                    self.alice.getbalances(), self.bob.getbalances(),
                    self.alice.getwalletinfo()["txcount"],
                    self.na.getaccount(self.a_addr)["pending_nonce"])

        before = snapshot()
        a = self.alice
        assert_raises_rpc_error(RPC_INVALID_ADDRESS_OR_KEY, "Invalid address", a.sendtoaddress,
                                "rsouk1qqqqqqqq", 1)
        assert_raises_rpc_error(RPC_INVALID_ADDRESS_OR_KEY, "Invalid address", a.sendtoaddress,
                                b_addr[:-1] + ("q" if b_addr[-1] != "q" else "p"), 1)
        assert_raises_rpc_error(RPC_INVALID_ADDRESS_OR_KEY, "another network", a.sendtoaddress,
                                main_addr, 1)
        assert_raises_rpc_error(RPC_INVALID_ADDRESS_OR_KEY, "another network", a.sendtoaddress,
                                test_addr, 1)
        assert_raises_rpc_error(RPC_INVALID_ADDRESS_OR_KEY, "Invalid address", a.sendtoaddress,
                                "", 1)
        assert_raises_rpc_error(RPC_TYPE_ERROR, "Invalid amount", a.sendtoaddress, b_addr, -1)
        assert_raises_rpc_error(RPC_TYPE_ERROR, "Invalid amount", a.sendtoaddress, b_addr, "-1")
        assert_raises_rpc_error(RPC_TYPE_ERROR, "Invalid amount", a.sendtoaddress, b_addr, 0)
        assert_raises_rpc_error(RPC_TYPE_ERROR, "Invalid amount", a.sendtoaddress, b_addr, "0")
        assert_raises_rpc_error(RPC_TYPE_ERROR, "Invalid amount", a.sendtoaddress, b_addr,
                                Decimal("0.000000001"))
        assert_raises_rpc_error(RPC_TYPE_ERROR, "Invalid amount", a.sendtoaddress, b_addr,
                                "0.123456789")
        assert_raises_rpc_error(RPC_TYPE_ERROR, "Invalid amount", a.sendtoaddress, b_addr, "1e3")
        assert_raises_rpc_error(RPC_TYPE_ERROR, None, a.sendtoaddress, b_addr, True)
        assert_raises_rpc_error(RPC_TYPE_ERROR, "Invalid amount", a.sendtoaddress, b_addr,
                                "21000000001")
        spendable = to_units(a.getbalance())
        assert_raises_rpc_error(RPC_WALLET_INSUFFICIENT_FUNDS, "Insufficient funds",
                                a.sendtoaddress, b_addr, Decimal(spendable) / COIN)
        assert_raises_rpc_error(RPC_WALLET_INSUFFICIENT_FUNDS, "Insufficient funds",
                                a.sendtoaddress, b_addr, 1000000)
        empty = wallet_rpc(self.na, "empty")
        self.na.createwallet("empty")
        assert_raises_rpc_error(RPC_WALLET_INSUFFICIENT_FUNDS, "Insufficient funds",
                                empty.sendtoaddress, b_addr, Decimal("0.00000001"))
        self.na.unloadwallet("empty")
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, "comment", a.sendtoaddress, b_addr, 1,
                                "x" * 257)
        assert_raises_rpc_error(RPC_WALLET_NOT_FOUND, "does not exist or is not loaded",
                                wallet_rpc(self.na, "nobody").sendtoaddress, b_addr, 1)
        assert_raises_rpc_error(RPC_WALLET_NOT_FOUND, "does not exist or is not loaded",
                                empty.sendtoaddress, b_addr, 1)
        assert_equal(snapshot(), before)
        # A valid send still works afterwards.
        txid = a.sendtoaddress(b_addr, Decimal("0.00000001"))
        self.mine(1)
        assert_equal(a.gettransaction(txid)["confirmations"], 1)

    def test_cli_flow(self):
        self.log.info("the README's flow through souk-cli: lock, unlock, pay, back up, restore")
        import os
        a = lambda *args: self.na.cli("-rpcwallet=alice", *args)
        b = lambda *args: self.nb.cli("-rpcwallet=bob", *args)
        b("encryptwallet", "bob's passphrase")
        assert_equal(b("getwalletinfo")["unlocked_until"], 0)
        a_addr = a("getnewaddress", "from bob")
        try:
            b("sendtoaddress", a_addr, "1")
            raise AssertionError("a locked wallet sent")
        except CliError as e:
            assert_equal(e.code, -13)
        b("walletpassphrase", "bob's passphrase", "30")
        txid = b("sendtoaddress", a_addr, "1")
        b("walletlock")
        self.wait_in_mempool(self.na, txid)
        self.mine(1)
        assert_equal(to_units(a("gettransaction", txid)["amount"]), COIN)
        backup = os.path.join(self.options.tmpdir, "bob.sqlite")
        b("backupwallet", backup)
        b("walletpassphrase", "bob's passphrase", "30")
        seed = b("dumpseed")
        b("walletlock")
        before = to_units(b("getbalance"))
        self.na.cli("createwallet", "bob-restored", "", seed)
        restored = to_units(self.na.cli("-rpcwallet=bob-restored", "getbalance"))
        assert_equal(restored, before)
        assert os.path.getsize(backup) > 0


if __name__ == "__main__":
    WalletSendTest().main()

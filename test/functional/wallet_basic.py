#!/usr/bin/env python3
"""Wallets: create, load and unload several at once and address each through
its /wallet/<name> path (and souk-cli -rpcwallet); the default wallet when
exactly one is loaded, -18 and -19 otherwise; bad names; getwalletinfo;
getnewaddress/listaddresses with labels, kept over unload/load and restarts;
importprivkey; signmessage/verifymessage checked against a Python BIP340;
-wallet at start-up and -disablewallet."""

import base64
import os
from urllib.parse import quote

from test_framework.authproxy import AuthServiceProxy, read_cookie
from test_framework.bech32m import decode_address, encode_address
from test_framework.key import ECKey, tagged_hash, verify
from test_framework.test_framework import SoukTestFramework
from test_framework.test_node import CliError
from test_framework.util import assert_equal, assert_raises_rpc_error, to_units, wait_until

RPC_METHOD_NOT_FOUND = -32601
RPC_TYPE_ERROR = -3
RPC_WALLET_ERROR = -4
RPC_INVALID_ADDRESS_OR_KEY = -5
RPC_INVALID_PARAMETER = -8
RPC_WALLET_NOT_FOUND = -18
RPC_WALLET_NOT_SPECIFIED = -19

NOT_LOADED = "Requested wallet does not exist or is not loaded"


def wallet_rpc(node, name):
    """A proxy that sends every call to /wallet/<name>."""
    return AuthServiceProxy("127.0.0.1", node.rpc_port, lambda: read_cookie(node.cookie_path),
                            node.rpc_timeout, path="/wallet/" + quote(name, safe=""))


class WalletBasicTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        self.node = self.nodes[0]
        self.test_no_wallet()
        self.test_create_and_select()
        self.test_bad_names()
        self.test_addresses_and_labels()
        self.test_import()
        self.test_unload_load()
        self.test_many_loaded()
        self.test_backup_destinations()
        self.test_messages()
        self.test_restart()
        self.test_disablewallet()

    def test_no_wallet(self):
        self.log.info("no wallet loaded: wallet calls are -18, verifymessage still works")
        node = self.node
        assert_equal(node.listwallets(), [])
        assert_raises_rpc_error(RPC_WALLET_NOT_FOUND, "No wallet is loaded", node.getwalletinfo)
        assert_raises_rpc_error(RPC_WALLET_NOT_FOUND, "No wallet is loaded", node.getnewaddress)
        assert_raises_rpc_error(RPC_WALLET_NOT_FOUND,
                                NOT_LOADED + ': there is no wallet "nobody" (createwallet "nobody" creates it)',
                                wallet_rpc(node, "nobody").getwalletinfo)
        _, addr = self.new_key()
        assert_equal(node.verifymessage(addr, base64.b64encode(bytes(64)).decode(), "hi"), False)
        help_text = node.help()
        for m in ("createwallet", "loadwallet", "unloadwallet", "listwallets", "getwalletinfo",
                  "getnewaddress", "listaddresses", "importprivkey", "getbalance", "getbalances",
                  "sendtoaddress", "listtransactions", "gettransaction", "encryptwallet",
                  "walletpassphrase", "walletlock", "walletpassphrasechange", "backupwallet",
                  "dumpseed", "dumpmnemonic", "rescanblockchain", "signmessage", "verifymessage",
                  "walletcreatetransaction"):
            assert m in help_text, m
        assert "== Wallet ==" in help_text

    def test_create_and_select(self):
        self.log.info("createwallet; the only wallet is the default; two need a path")
        node = self.node
        assert_equal(node.createwallet("alice"), {"name": "alice", "warning": ""})
        assert_equal(node.listwallets(), ["alice"])
        assert os.path.isfile(os.path.join(node.netdir, "wallets", "alice", "wallet.sqlite"))
        info = node.getwalletinfo()
        assert_equal(info["walletname"], "alice")
        assert_equal(info["format"], "sqlite")
        assert_equal(info["encrypted"], False)
        assert "unlocked_until" not in info
        assert_equal(info["txcount"], 0)
        assert_equal(to_units(info["balance"]), 0)
        assert_equal(to_units(info["unconfirmed_balance"]), 0)
        assert_equal(to_units(info["immature_balance"]), 0)
        assert info["walletversion"] >= 1

        assert_raises_rpc_error(RPC_WALLET_ERROR, 'Wallet "alice" already exists and is loaded.',
                                node.createwallet, "alice")
        assert_equal(node.listwallets(), ["alice"])

        # Named parameters, an empty passphrase (no encryption, with a warning).
        r = node.createwallet(wallet_name="bob", passphrase="")
        assert_equal(r["name"], "bob")
        assert "not be encrypted" in r["warning"]
        assert_equal(sorted(node.listwallets()), ["alice", "bob"])
        assert_raises_rpc_error(RPC_WALLET_NOT_SPECIFIED, "Wallet file not specified",
                                node.getwalletinfo)
        assert_raises_rpc_error(RPC_WALLET_NOT_SPECIFIED, "/wallet/<filename>", node.getnewaddress)
        self.alice = wallet_rpc(node, "alice")
        self.bob = wallet_rpc(node, "bob")
        assert_equal(self.alice.getwalletinfo()["walletname"], "alice")
        assert_equal(self.bob.getwalletinfo()["walletname"], "bob")
        assert_equal(self.bob.getwalletinfo()["encrypted"], False)
        assert_raises_rpc_error(RPC_WALLET_NOT_FOUND, NOT_LOADED,
                                wallet_rpc(node, "carol").getwalletinfo)
        # Methods that need no wallet ignore the path.
        assert_equal(self.alice.getblockcount(), node.getblockcount())

        # souk-cli -rpcwallet sends the path.
        assert_equal(node.cli("-rpcwallet=bob", "getwalletinfo")["walletname"], "bob")
        try:
            node.cli("getwalletinfo")
            raise AssertionError("souk-cli without -rpcwallet should fail with two wallets")
        except CliError as e:
            assert_equal(e.code, RPC_WALLET_NOT_SPECIFIED)
        try:
            node.cli("-rpcwallet=carol", "getwalletinfo")
            raise AssertionError("souk-cli -rpcwallet=carol should fail")
        except CliError as e:
            assert_equal(e.code, RPC_WALLET_NOT_FOUND)

        # A name with a space travels percent-encoded.
        node.createwallet("my wallet")
        assert_equal(wallet_rpc(node, "my wallet").getwalletinfo()["walletname"], "my wallet")
        assert_equal(node.cli("-rpcwallet=my wallet", "getwalletinfo")["walletname"], "my wallet")
        wallet_rpc(node, "my wallet").unloadwallet()
        assert_equal(sorted(node.listwallets()), ["alice", "bob"])

    def test_bad_names(self):
        self.log.info("bad wallet names are -8 and create nothing")
        node = self.node
        before = sorted(node.listwallets())
        listing = sorted(os.listdir(os.path.join(node.netdir, "wallets")))
        for name in ("", "a/b", "..", "../x", "a\\b", "n" * 65):
            assert_raises_rpc_error(RPC_INVALID_PARAMETER, None, node.createwallet, name)
        assert_equal(sorted(node.listwallets()), before)
        assert_equal(sorted(os.listdir(os.path.join(node.netdir, "wallets"))), listing)
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, "seed", node.createwallet, "s", None, "zz")
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, "seed", node.createwallet, "s", None,
                                "00" * 31)
        assert_equal(sorted(node.listwallets()), before)

    def test_addresses_and_labels(self):
        self.log.info("getnewaddress/listaddresses with labels; wallets keep their own keys")
        node = self.node
        a0 = self.alice.getnewaddress()
        a1 = self.alice.getnewaddress("rent")
        a2 = self.alice.getnewaddress(label="shop")
        a3 = self.alice.getnewaddress("rent")
        addrs = [a0, a1, a2, a3]
        assert_equal(len(set(addrs)), 4)
        for a in addrs:
            v = node.validateaddress(a)
            assert_equal(v["isvalid"], True)
            assert_equal(v["network"], "regtest")
        listed = self.alice.listaddresses()
        by_addr = {e["address"]: e for e in listed}
        assert_equal(sorted(by_addr), sorted(addrs))
        assert_equal([by_addr[a]["label"] for a in addrs], ["", "rent", "shop", "rent"])
        indexes = [by_addr[a]["index"] for a in addrs]
        assert_equal(indexes, sorted(indexes))
        assert_equal(len(set(indexes)), 4)
        for e in listed:
            assert_equal(e["imported"], False)
            assert_equal(to_units(e["balance"]), 0)
            assert_equal(e["nonce"], 0)
        info = self.alice.getwalletinfo()
        assert_equal(info["keycount"], 4)
        assert_equal(info["next_index"], max(indexes) + 1)

        assert_raises_rpc_error(RPC_INVALID_PARAMETER, "label", self.alice.getnewaddress, "*")
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, "label", self.alice.getnewaddress, "x" * 257)
        assert_raises_rpc_error(RPC_TYPE_ERROR, None, self.alice.getnewaddress, 5)
        assert_equal(len(self.alice.listaddresses()), 4)

        # Bob's keys are his own.
        b0 = self.bob.getnewaddress("bob")
        assert b0 not in addrs
        assert_equal([e["address"] for e in self.bob.listaddresses()], [b0])
        self.alice_addrs = addrs
        self.bob_addr = b0

    def test_import(self):
        self.log.info("importprivkey adds a single key; bad keys are -5")
        node = self.node
        kp = node.getnewkeypair()
        assert_equal(self.bob.importprivkey(kp["privkey"], "imported", False), None)
        entry = [e for e in self.bob.listaddresses() if e["address"] == kp["address"]]
        assert_equal(len(entry), 1)
        assert_equal(entry[0]["imported"], True)
        assert_equal(entry[0]["label"], "imported")
        assert "index" not in entry[0]
        count = len(self.bob.listaddresses())
        for bad in ("", "00" * 32, "ff" * 32, "zz" * 32, kp["privkey"][:-2],
                    "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"):
            assert_raises_rpc_error(RPC_INVALID_ADDRESS_OR_KEY, "Invalid private key",
                                    self.bob.importprivkey, bad)
        assert_equal(len(self.bob.listaddresses()), count)
        self.imported = kp

    def test_many_loaded(self):
        self.log.info("any number of wallets at once (each follows the chain on its own)")
        node = self.node
        before = node.listwallets()
        names = ["many%02d" % i for i in range(16)]
        for n in names:
            assert_equal(node.createwallet(n)["name"], n)
        assert_equal(sorted(node.listwallets()), sorted(before + names))
        addr = wallet_rpc(node, names[-1]).getnewaddress()
        node.generatetoaddress(1, addr)
        wait_until(lambda: wallet_rpc(node, names[-1]).getbalances()["mine"]["immature"] > 0,
                   timeout=30, what="the 16th wallet following the chain")
        for n in names:
            node.unloadwallet(n)
        assert_equal(node.listwallets(), before)

    def test_unload_load(self):
        self.log.info("unloadwallet/loadwallet keep everything; errors for unknown wallets")
        node = self.node
        bob_listing = self.bob.listaddresses()
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, "different wallets",
                                self.alice.unloadwallet, "bob")
        assert_equal(self.bob.unloadwallet(), {"warning": ""})
        assert_equal(node.listwallets(), ["alice"])
        assert_raises_rpc_error(RPC_WALLET_NOT_FOUND,
                                NOT_LOADED + ': wallet "bob" exists but is not loaded; load it with loadwallet "bob"',
                                self.bob.getwalletinfo)
        assert_raises_rpc_error(RPC_WALLET_ERROR,
                                'Wallet "bob" already exists; load it with loadwallet "bob".',
                                node.createwallet, "bob")
        assert_raises_rpc_error(RPC_WALLET_NOT_FOUND, None, node.unloadwallet, "bob")
        # One wallet left: the default again.
        assert_equal(node.getwalletinfo()["walletname"], "alice")

        assert_raises_rpc_error(RPC_WALLET_NOT_FOUND, "not found", node.loadwallet, "nobody")
        assert_equal(node.listwallets(), ["alice"])
        assert_equal(node.loadwallet("bob"), {"name": "bob", "warning": ""})
        assert_raises_rpc_error(RPC_WALLET_ERROR, "already loaded", node.loadwallet, "bob")
        assert_equal(self.bob.listaddresses(), bob_listing)

        # unloadwallet by name through the plain path.
        node.unloadwallet("alice")
        assert_equal(node.listwallets(), ["bob"])
        node.loadwallet("alice")
        assert_equal(sorted(node.listwallets()), ["alice", "bob"])
        assert_equal([e["address"] for e in self.alice.listaddresses()], self.alice_addrs)

    def test_backup_destinations(self):
        self.log.info("backupwallet: absolute paths only, never over an existing file")
        backup = os.path.join(self.options.tmpdir, "alice-backup.sqlite")
        assert_equal(self.alice.backupwallet(backup), None)
        assert os.path.getsize(backup) > 0
        assert_raises_rpc_error(RPC_WALLET_ERROR, "already exists", self.alice.backupwallet, backup)
        assert_raises_rpc_error(RPC_WALLET_ERROR, "absolute path", self.alice.backupwallet,
                                "alice-relative.sqlite")
        # Another loaded wallet's file, and this wallet's own write-ahead log:
        # replacing either would lose that wallet's data.
        wallets = os.path.join(self.node.datadir, self.node.chain, "wallets")
        bob_file = os.path.join(wallets, "bob", "wallet.sqlite")
        with open(bob_file, "rb") as f:
            bob_before = f.read()
        assert_raises_rpc_error(RPC_WALLET_ERROR, "already exists", self.alice.backupwallet,
                                bob_file)
        with open(bob_file, "rb") as f:
            assert f.read() == bob_before
        own_wal = os.path.join(wallets, "alice", "wallet.sqlite-wal")
        assert os.path.exists(own_wal)
        wal_inode = os.stat(own_wal).st_ino
        assert_raises_rpc_error(RPC_WALLET_ERROR, "already exists", self.alice.backupwallet,
                                own_wal)
        assert_equal(os.stat(own_wal).st_ino, wal_inode)
        assert_equal(self.bob.getwalletinfo()["walletname"], "bob")

    def test_messages(self):
        self.log.info("signmessage/verifymessage: BIP340 over TaggedHash(souk/message, msg)")
        node = self.node
        addr = self.alice_addrs[1]
        msg = "pay me at the market, 3 coins"
        sig = self.alice.signmessage(addr, msg)
        raw = base64.b64decode(sig, validate=True)
        assert_equal(len(raw), 64)
        pubkey = decode_address(addr, "regtest")
        assert verify(pubkey, tagged_hash("souk/message", msg.encode()), raw)
        assert_equal(node.verifymessage(addr, sig, msg), True)
        assert_equal(node.verifymessage(addr, raw.hex(), msg), True)
        assert_equal(node.verifymessage(addr, sig, msg + "."), False)
        assert_equal(node.verifymessage(self.alice_addrs[0], sig, msg), False)
        # A signature made in Python verifies on the node.
        k = ECKey()
        kaddr = encode_address(k.pubkey, "regtest")
        psig = k.sign(tagged_hash("souk/message", b"hello"))
        assert_equal(node.verifymessage(kaddr, base64.b64encode(psig).decode(), "hello"), True)
        assert_equal(node.verifymessage(kaddr, psig.hex(), "hello!"), False)

        assert_raises_rpc_error(RPC_TYPE_ERROR, "Malformed", node.verifymessage, addr, "abc", msg)
        assert_raises_rpc_error(RPC_TYPE_ERROR, "Malformed", node.verifymessage, addr,
                                sig[:-4] + "!!==", msg)
        assert_raises_rpc_error(RPC_INVALID_ADDRESS_OR_KEY, "Invalid address", node.verifymessage,
                                "rsouk1notanaddress", sig, msg)
        main_addr = encode_address(pubkey, "main")
        assert_raises_rpc_error(RPC_INVALID_ADDRESS_OR_KEY, "another network",
                                node.verifymessage, main_addr, sig, msg)
        assert_raises_rpc_error(RPC_INVALID_ADDRESS_OR_KEY, "Invalid address",
                                self.alice.signmessage, main_addr, msg)
        # Bob has no key for Alice's address.
        assert_raises_rpc_error(RPC_WALLET_ERROR, "Private key not available",
                                self.bob.signmessage, addr, msg)
        # An imported key signs too.
        isig = self.bob.signmessage(self.imported["address"], "imported")
        assert_equal(node.verifymessage(self.imported["address"], isig, "imported"), True)

    def test_restart(self):
        self.log.info("after a restart no wallet is loaded unless -wallet names it")
        node = self.node
        self.restart_node(0)
        assert_equal(node.listwallets(), [])
        self.restart_node(0, ["-wallet=alice", "-wallet=bob"])
        assert_equal(sorted(node.listwallets()), ["alice", "bob"])
        assert_equal([e["address"] for e in self.alice.listaddresses()], self.alice_addrs)
        labels = {e["address"]: e["label"] for e in self.bob.listaddresses()}
        assert_equal(labels, {self.bob_addr: "bob", self.imported["address"]: "imported"})
        # The derivation continues where it stopped.
        fresh = self.alice.getnewaddress()
        assert fresh not in self.alice_addrs
        # -wallet creates a wallet that does not exist yet.
        self.restart_node(0, ["-wallet=alice", "-wallet=new"])
        assert_equal(sorted(node.listwallets()), ["alice", "new"])
        assert os.path.isfile(os.path.join(node.netdir, "wallets", "new", "wallet.sqlite"))
        node.loadwallet("bob")

        self.log.info("JSON-RPC 2.0 and batches reach the wallet of the path")
        proxy = AuthServiceProxy("127.0.0.1", node.rpc_port, lambda: read_cookie(node.cookie_path),
                                 node.rpc_timeout, path="/wallet/bob", jsonrpc="2.0")
        replies = proxy.batch([proxy.request("getwalletinfo"), proxy.request("listaddresses"),
                               proxy.request("getblockcount"), proxy.request("getnewaddress", "*")])
        assert_equal(replies[0]["result"]["walletname"], "bob")
        assert_equal(len(replies[1]["result"]), 2)
        assert_equal(replies[2]["result"], node.getblockcount())
        assert_equal(replies[3]["error"]["code"], RPC_INVALID_PARAMETER)
        assert_equal(proxy.getwalletinfo()["walletname"], "bob")

    def test_disablewallet(self):
        self.log.info("-disablewallet: wallet methods are not found, verifymessage works")
        node = self.node
        self.restart_node(0, ["-disablewallet"])
        assert_raises_rpc_error(RPC_METHOD_NOT_FOUND, None, node.listwallets)
        assert_raises_rpc_error(RPC_METHOD_NOT_FOUND, None, node.createwallet, "x")
        _, addr = self.new_key()
        assert_equal(node.verifymessage(addr, "00" * 64, "m"), False)
        self.restart_node(0, [])


if __name__ == "__main__":
    WalletBasicTest().main()

#!/usr/bin/env python3
"""Wallet encryption: encryptwallet locks the wallet; a locked wallet refuses
to sign (-13) and the refusal changes nothing; a wrong passphrase is -14;
walletpassphrase unlocks for a timeout, after which the wallet locks by
itself; walletlock; walletpassphrasechange; -15 for calls that need the
other encryption state; a wallet created with a passphrase; the secrets are
not on disk in the clear; encryption and the passphrase survive a restart."""

import os
import time
from urllib.parse import quote

from test_framework.authproxy import AuthServiceProxy, read_cookie
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, assert_raises_rpc_error, to_units, wait_until

RPC_INVALID_PARAMETER = -8
RPC_WALLET_UNLOCK_NEEDED = -13
RPC_WALLET_PASSPHRASE_INCORRECT = -14
RPC_WALLET_WRONG_ENC_STATE = -15

LOCKED = "walletpassphrase"
WRONG = "passphrase entered was incorrect"
MATURITY = 100


def wallet_rpc(node, name):
    """A proxy that sends every call to /wallet/<name>."""
    return AuthServiceProxy("127.0.0.1", node.rpc_port, lambda: read_cookie(node.cookie_path),
                            node.rpc_timeout, path="/wallet/" + quote(name, safe=""))


class WalletEncryptionTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]
        self.node = node
        node.createwallet("w")
        node.createwallet("plain")
        self.w = wallet_rpc(node, "w")
        self.plain = wallet_rpc(node, "plain")
        self.addr = self.w.getnewaddress("main")
        _, self.miner = self.new_key()
        _, self.payee = self.new_key()
        node.generatetoaddress(1, self.addr)
        node.generatetoaddress(MATURITY, self.miner)
        assert_equal(to_units(self.w.getbalance()), 50 * 10**8)
        self.seed_before = self.w.dumpseed()
        assert_equal(len(self.seed_before), 64)

        self.test_encrypt()
        self.test_locked_refuses()
        self.test_wrong_passphrase()
        self.test_unlock_timeout()
        self.test_walletlock()
        self.test_change_passphrase()
        self.test_wrong_state()
        self.test_secrets_not_in_clear()
        self.test_create_encrypted()
        self.test_restart()

    def state(self):
        """What a refused call must not change."""
        n = self.node
        info = self.w.getwalletinfo()
        return (n.getbestblockhash(), sorted(n.getrawmempool()), self.w.getbalances(),
                info["txcount"], info["keycount"], len(self.w.listtransactions("*", 1000)),
                n.getaccount(self.addr)["pending_nonce"])

    def test_encrypt(self):
        self.log.info("encryptwallet: empty passphrase refused; afterwards encrypted and locked")
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, "empty", self.w.encryptwallet, "")
        assert_equal(self.w.getwalletinfo()["encrypted"], False)
        msg = self.w.encryptwallet("correct horse")
        assert "encrypted" in msg
        info = self.w.getwalletinfo()
        assert_equal(info["encrypted"], True)
        assert_equal(info["unlocked_until"], 0)
        assert_raises_rpc_error(RPC_WALLET_WRONG_ENC_STATE, "encrypted wallet",
                                self.w.encryptwallet, "again")
        # The money is still there, addresses are listed and handed out while
        # locked (from keys derived ahead).
        assert_equal(to_units(self.w.getbalance()), 50 * 10**8)
        assert self.addr in [e["address"] for e in self.w.listaddresses()]
        fresh = self.w.getnewaddress("while locked")
        assert fresh in [e["address"] for e in self.w.listaddresses()]

    def test_locked_refuses(self):
        self.log.info("a locked wallet refuses to sign (-13) and nothing changes")
        before = self.state()
        assert_raises_rpc_error(RPC_WALLET_UNLOCK_NEEDED, LOCKED, self.w.sendtoaddress,
                                self.payee, 1)
        assert_raises_rpc_error(RPC_WALLET_UNLOCK_NEEDED, LOCKED, self.w.walletcreatetransaction,
                                "transfer", {"to": self.payee, "amount": 1, "memo": ""})
        assert_raises_rpc_error(RPC_WALLET_UNLOCK_NEEDED, LOCKED,
                                self.w.walletcreatetransaction, "transfer",
                                {"to": self.payee, "amount": 1, "memo": ""}, {"broadcast": False})
        assert_raises_rpc_error(RPC_WALLET_UNLOCK_NEEDED, LOCKED, self.w.signmessage, self.addr,
                                "m")
        assert_raises_rpc_error(RPC_WALLET_UNLOCK_NEEDED, LOCKED, self.w.dumpseed)
        assert_raises_rpc_error(RPC_WALLET_UNLOCK_NEEDED, LOCKED, self.w.dumpmnemonic)
        kp = self.node.getnewkeypair()
        assert_raises_rpc_error(RPC_WALLET_UNLOCK_NEEDED, LOCKED, self.w.importprivkey,
                                kp["privkey"])
        assert_equal(self.state(), before)

    def test_wrong_passphrase(self):
        self.log.info("a wrong passphrase is -14, after a delay, and leaves the wallet locked")
        t0 = time.monotonic()
        assert_raises_rpc_error(RPC_WALLET_PASSPHRASE_INCORRECT, WRONG, self.w.walletpassphrase,
                                "wrong horse", 60)
        elapsed = time.monotonic() - t0
        self.log.debug("wrong passphrase answered after %.3fs", elapsed)
        assert elapsed >= 0.05, "a wrong passphrase should be answered after a delay"
        assert_equal(self.w.getwalletinfo()["unlocked_until"], 0)
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, "empty", self.w.walletpassphrase, "", 60)
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, "negative", self.w.walletpassphrase,
                                "correct horse", -1)
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, "at least", self.w.walletpassphrase,
                                "correct horse", 0)
        assert_equal(self.w.getwalletinfo()["unlocked_until"], 0)

    def test_unlock_timeout(self):
        self.log.info("walletpassphrase unlocks for its timeout, then the wallet locks itself")
        now = int(time.time())
        self.w.walletpassphrase("correct horse", 3)
        until = self.w.getwalletinfo()["unlocked_until"]
        assert now + 2 <= until <= now + 5, (now, until)
        txid = self.w.sendtoaddress(self.payee, 1)
        assert txid in self.node.getrawmempool()
        assert_equal(self.w.dumpseed(), self.seed_before)
        self.w.signmessage(self.addr, "unlocked")
        wait_until(lambda: self.w.getwalletinfo()["unlocked_until"] == 0, timeout=15,
                   what="the wallet locks itself")
        assert_raises_rpc_error(RPC_WALLET_UNLOCK_NEEDED, LOCKED, self.w.sendtoaddress,
                                self.payee, 1)
        self.node.generatetoaddress(1, self.miner)
        assert_equal(self.w.gettransaction(txid)["confirmations"], 1)

    def test_walletlock(self):
        self.log.info("walletlock locks at once; a long timeout is capped")
        self.w.walletpassphrase("correct horse", 10**12)
        until = self.w.getwalletinfo()["unlocked_until"]
        assert until <= int(time.time()) + 100000000 + 5
        self.w.signmessage(self.addr, "unlocked")
        assert_equal(self.w.walletlock(), None)
        assert_equal(self.w.getwalletinfo()["unlocked_until"], 0)
        assert_raises_rpc_error(RPC_WALLET_UNLOCK_NEEDED, LOCKED, self.w.signmessage, self.addr,
                                "m")
        # Locking a locked wallet is fine.
        self.w.walletlock()

    def test_change_passphrase(self):
        self.log.info("walletpassphrasechange: the old passphrase must be right, then only the new works")
        assert_raises_rpc_error(RPC_WALLET_PASSPHRASE_INCORRECT, WRONG,
                                self.w.walletpassphrasechange, "wrong horse", "battery staple")
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, "empty", self.w.walletpassphrasechange,
                                "correct horse", "")
        self.w.walletpassphrase("correct horse", 1)  # still the passphrase
        self.w.walletlock()
        assert_equal(self.w.walletpassphrasechange("correct horse", "battery staple"), None)
        assert_raises_rpc_error(RPC_WALLET_PASSPHRASE_INCORRECT, WRONG, self.w.walletpassphrase,
                                "correct horse", 60)
        self.w.walletpassphrase("battery staple", 60)
        assert_equal(self.w.dumpseed(), self.seed_before)
        self.w.walletlock()

    def test_wrong_state(self):
        self.log.info("unencrypted wallets: lock/unlock/change are -15")
        assert_raises_rpc_error(RPC_WALLET_WRONG_ENC_STATE, "unencrypted", self.plain.walletlock)
        assert_raises_rpc_error(RPC_WALLET_WRONG_ENC_STATE, "unencrypted",
                                self.plain.walletpassphrase, "x", 10)
        assert_raises_rpc_error(RPC_WALLET_WRONG_ENC_STATE, "unencrypted",
                                self.plain.walletpassphrasechange, "x", "y")
        assert_equal(self.plain.getwalletinfo()["encrypted"], False)
        # An unencrypted wallet needs no unlocking.
        self.plain.dumpseed()

    def test_secrets_not_in_clear(self):
        self.log.info("the encrypted wallet's files hold neither the seed nor its hex")
        self.w.walletpassphrase("battery staple", 60)
        seed = self.w.dumpseed()
        self.w.walletlock()
        wdir = os.path.join(self.node.netdir, "wallets", "w")
        for name in os.listdir(wdir):
            with open(os.path.join(wdir, name), "rb") as f:
                data = f.read()
            for needle in (bytes.fromhex(seed), seed.encode(), seed.upper().encode()):
                assert needle not in data, "seed found in the clear in %s" % name

    def test_create_encrypted(self):
        self.log.info("createwallet with a passphrase starts encrypted and locked")
        self.node.createwallet("sealed", "s3cret")
        s = wallet_rpc(self.node, "sealed")
        info = s.getwalletinfo()
        assert_equal(info["encrypted"], True)
        assert_equal(info["unlocked_until"], 0)
        assert_raises_rpc_error(RPC_WALLET_UNLOCK_NEEDED, LOCKED, s.dumpseed)
        assert_raises_rpc_error(RPC_WALLET_PASSPHRASE_INCORRECT, WRONG, s.walletpassphrase, "no", 5)
        s.walletpassphrase("s3cret", 60)
        assert_equal(len(s.dumpseed()), 64)
        s.walletlock()

    def test_restart(self):
        self.log.info("after a restart the wallet is still encrypted, locked, with the new passphrase")
        self.restart_node(0)
        self.node.loadwallet("w")
        info = self.w.getwalletinfo()
        assert_equal(info["encrypted"], True)
        assert_equal(info["unlocked_until"], 0)
        assert_raises_rpc_error(RPC_WALLET_UNLOCK_NEEDED, LOCKED, self.w.sendtoaddress,
                                self.payee, 1)
        assert_raises_rpc_error(RPC_WALLET_PASSPHRASE_INCORRECT, WRONG, self.w.walletpassphrase,
                                "correct horse", 60)
        self.w.walletpassphrase("battery staple", 60)
        txid = self.w.sendtoaddress(self.payee, 2)
        self.node.generatetoaddress(1, self.miner)
        assert_equal(self.w.gettransaction(txid)["confirmations"], 1)
        assert_equal(to_units(self.node.getaccount(self.payee)["balance"]), 3 * 10**8)


if __name__ == "__main__":
    WalletEncryptionTest().main()

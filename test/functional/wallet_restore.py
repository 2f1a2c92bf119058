#!/usr/bin/env python3
"""Backup and restore: a wallet whose coins sit on several derived addresses
(the last used one well past the first) is restored from its seed on a
fresh node with its own datadir, which finds every address and every coin
(the gap limit at work) and can spend them; so do the seed's 24 words
(dumpmnemonic, checked against an encoding here with the BIP39 list); a
backupwallet copy loaded on that node holds the imported key too; a bad seed
or mnemonic is refused."""

import hashlib
import os
import shutil
from decimal import Decimal
from urllib.parse import quote

from test_framework.authproxy import AuthServiceProxy, read_cookie
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, assert_raises_rpc_error, to_units

RPC_WALLET_ERROR = -4
RPC_INVALID_PARAMETER = -8

COIN = 10**8
MATURITY = 100
GAP_LIMIT = 20


def wallet_rpc(node, name):
    """A proxy that sends every call to /wallet/<name>."""
    return AuthServiceProxy("127.0.0.1", node.rpc_port, lambda: read_cookie(node.cookie_path),
                            node.rpc_timeout, path="/wallet/" + quote(name, safe=""))


class WalletRestoreTest(SoukTestFramework):
    def set_test_params(self):
        # Node 1 is the fresh node; it gets node 0's blocks by submitblock,
        # so the test needs no P2P.
        self.num_nodes = 2

    def run_test(self):
        n0, n1 = self.nodes
        _, miner = self.new_key()
        n0.createwallet("orig")
        orig = wallet_rpc(n0, "orig")
        addrs = [orig.getnewaddress("a%d" % i) for i in range(GAP_LIMIT - 2)]
        # Used: 0 (mined to), 3, 9 and the last one, 17: gaps of 5 and 7, and
        # nothing past 17 within the gap limit.
        n0.generatetoaddress(1, addrs[0])
        n0.generatetoaddress(MATURITY, miner)
        for i, amount in ((3, "1.25"), (9, "2.5"), (len(addrs) - 1, "4")):
            orig.sendtoaddress(addrs[i], Decimal(amount))
        n0.generatetoaddress(1, miner)
        # One more key, imported: not covered by the seed.
        kp = n0.getnewkeypair()
        orig.importprivkey(kp["privkey"], "imported", False)
        orig.sendtoaddress(kp["address"], 5)
        n0.generatetoaddress(1, miner)

        balances = {e["address"]: to_units(e["balance"]) for e in orig.listaddresses()}
        assert all(balances[addrs[i]] > 0 for i in (0, 3, 9, len(addrs) - 1))
        assert_equal(balances[kp["address"]], 5 * COIN)
        total = to_units(orig.getbalance())
        assert_equal(total, sum(balances.values()))
        seeded_total = total - 5 * COIN
        txcount = orig.getwalletinfo()["txcount"]

        seed = orig.dumpseed()
        backup = os.path.join(self.options.tmpdir, "orig-backup.sqlite")
        assert_equal(orig.backupwallet(backup), None)
        assert os.path.getsize(backup) > 0
        # The backup keeps working while the wallet changes afterwards.
        orig.getnewaddress("after backup")

        self.log.info("copying the chain to the fresh node")
        for h in range(1, n0.getblockcount() + 1):
            assert_equal(n1.submitblock(n0.getblock(n0.getblockhash(h), 0)), None)
        assert_equal(n1.getbestblockhash(), n0.getbestblockhash())

        self.log.info("restore from the seed finds every derived address and its coins")
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, "seed", n1.createwallet, "bad", None,
                                seed[:-1])
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, "seed", n1.createwallet, "bad", None,
                                "x" * 64)
        # "" holds the passphrase's place before a seed: no warning about it.
        assert_equal(n1.createwallet("restored", "", seed), {"name": "restored", "warning": ""})
        restored = wallet_rpc(n1, "restored")
        assert_equal(restored.dumpseed(), seed)
        assert_equal(to_units(restored.getbalance()), seeded_total)
        got = {e["address"]: e for e in restored.listaddresses()}
        for i in (0, 3, 9, len(addrs) - 1):
            assert addrs[i] in got, "restored wallet misses address %d" % i
            assert_equal(to_units(got[addrs[i]]["balance"]), balances[addrs[i]])
            assert_equal(got[addrs[i]]["index"], orig_index(orig, addrs[i]))
        assert kp["address"] not in got
        hist = restored.listtransactions("*", 1000)
        # Every tx but the one paying the imported key (orig's own send to it
        # comes from addrs[0], which is restored).
        assert_equal(len(hist), txcount)
        self.log.info("the seed's 24 words restore the same wallet")
        words = orig.dumpmnemonic()
        assert_equal(words, bip39_words(seed))
        # The last word's lowest bit is a checksum bit: its neighbour in the
        # list never matches.
        wordlist = bip39_list()
        wrong = words.split()
        wrong[-1] = wordlist[wordlist.index(wrong[-1]) ^ 1]
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, "checksum", n1.createwallet, "bad", None,
                                None, " ".join(wrong))
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, "24 words", n1.createwallet, "bad", None,
                                None, " ".join(words.split()[:23]))
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, "not both", n1.createwallet, "bad", None,
                                seed, words)
        assert "bad" not in n1.listwallets()
        n1.createwallet("fromwords", None, None, words.upper().replace(" ", "\n"))
        fromwords = wallet_rpc(n1, "fromwords")
        assert_equal(fromwords.dumpseed(), seed)
        assert_equal(fromwords.dumpmnemonic(), words)
        assert_equal(to_units(fromwords.getbalance()), seeded_total)
        assert_equal(sorted(e["address"] for e in fromwords.listaddresses()), sorted(got))
        # New addresses continue after the last used one.
        fresh = restored.getnewaddress()
        assert fresh not in addrs
        # The restored wallet spends: from addrs[17], which holds 4 coins.
        txid = restored.walletcreatetransaction(
            "transfer", {"to": miner, "amount": "3.9", "memo": ""},
            {"from": addrs[-1]})["txid"]
        n1.generatetoaddress(1, miner)
        assert_equal(restored.gettransaction(txid)["confirmations"], 1)

        self.log.info("a backup file restores the imported key as well")
        wdir = os.path.join(n1.netdir, "wallets", "frombackup")
        os.makedirs(wdir)
        shutil.copyfile(backup, os.path.join(wdir, "wallet.sqlite"))
        n1.loadwallet("frombackup")
        fb = wallet_rpc(n1, "frombackup")
        restored_addrs = {e["address"] for e in fb.listaddresses()}
        assert kp["address"] in restored_addrs
        assert set(addrs) <= restored_addrs
        fb.rescanblockchain()
        fb_bal = {e["address"]: to_units(e["balance"]) for e in fb.listaddresses()}
        assert_equal(fb_bal[kp["address"]], 5 * COIN)
        spend_fee = -to_units(restored.gettransaction(txid)["fee"])
        assert_equal(fb_bal[addrs[-1]], balances[addrs[-1]] - 390000000 - spend_fee)
        assert_equal(fb.dumpseed(), seed)
        sig = fb.signmessage(kp["address"], "still mine")
        assert n1.verifymessage(kp["address"], sig, "still mine")

        self.log.info("restoring over an existing wallet name is refused")
        assert_raises_rpc_error(RPC_WALLET_ERROR, "already exists", n1.createwallet, "restored",
                                None, seed)


def bip39_list():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "bip39_english.txt")
    with open(path, encoding="ascii") as f:
        words = f.read().split()
    assert_equal(len(words), 2048)
    return words


def bip39_words(seed_hex):
    """The 24 words of a 32-byte seed: its bits and 8 of SHA-256, 11 a word."""
    words = bip39_list()
    raw = bytes.fromhex(seed_hex)
    bits = int.from_bytes(raw + hashlib.sha256(raw).digest()[:1], "big")
    return " ".join(words[(bits >> (11 * (23 - i))) & 2047] for i in range(24))


def orig_index(w, addr):
    return [e["index"] for e in w.listaddresses() if e["address"] == addr][0]


if __name__ == "__main__":
    WalletRestoreTest().main()

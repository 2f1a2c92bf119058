#!/usr/bin/env python3
"""The plugin host, driven through the testkv plugin (-testplugin, regtest).

testkv has a transaction type with a deadline (kv_put with a ttl), rules of
both classes, a per-block hook, an SQLite index and an inventory type. This
test checks that all of them follow the chain through connect, disconnect,
reorgs, -reindex, kill -9 and restarts with a state_hash equal to a fresh
-reindex's, that the index catches up (and is rebuilt when lost or damaged),
that a state conflict relayed by a peer does not score it while an invalid
tx does, and that notes travel between nodes by inventory."""
import os
import random
import subprocess
import threading
import time

from test_framework.authproxy import JSONRPCException
from test_framework.messages import Tx, genesis_hash
from test_framework.p2p import P2PInterface
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, assert_raises_rpc_error, wait_until

KV_PUT = 250
KV_DEL = 251
FEE = 2000


class PluginTestkvTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 2
        self.extra_args = [["-testplugin"], ["-testplugin"]]

    def setup_network(self):
        self.setup_nodes()
        self.connect_nodes(0, 1)

    # -- helpers ---------------------------------------------------------------
    def kv(self, key, type_, name, value=b"", ttl=0):
        """A signed kv tx of key at its next nonce (tracked here)."""
        nonce = self.nonces.get(key.pubkey, 0)
        self.nonces[key.pubkey] = nonce + 1
        payload = [name, value, ttl] if type_ == KV_PUT else [name]
        return Tx(type_, b"", nonce, FEE, payload).sign(key, genesis_hash("regtest"))

    def send(self, node, tx):
        return node.sendrawtransaction(tx.hex())

    def mine(self, n=1):
        self.generate(self.nodes[0], n)

    def history(self, node, key):
        return [(h["height"], h["op"]) for h in node.testkv_history(key)]

    def index(self, node):
        return self.testkv_info(node)["index"]

    @staticmethod
    def testkv_info(node):
        """testkv's entry of getplugininfo (the market plugin is always hosted too)."""
        (p,) = [p for p in node.getplugininfo()["plugins"] if p["name"] == "testkv"]
        return p

    def snapshot(self, node):
        """What must survive a restart or a -reindex."""
        return (node.getstateinfo()["state_hash"], node.getbestblockhash(),
                self.history(node, "name"), self.history(node, "temp"))

    # -- the test --------------------------------------------------------------
    def run_test(self):
        n0, n1 = self.nodes
        self.nonces = {}
        self.alice, self.alice_addr = self.new_key()
        alice_addr = self.alice_addr
        self.bob, bob_addr = self.new_key()
        self.generate(n0, 1, alice_addr)
        self.generate(n0, 1, bob_addr)
        self.mine(100)

        self.describe()
        self.consensus()
        self.peers_are_scored_by_class()
        self.reorg()
        self.notes()
        self.slow_index()
        self.reindex_and_lost_index()
        self.crashes()

    def describe(self):
        self.log.info("getplugininfo lists the plugin, its types with bounds, rules and methods")
        info = self.nodes[0].getplugininfo()
        assert_equal([t["name"] for t in info["core"]["types"]], ["coinbase", "transfer"])
        assert_equal(info["core"]["prefixes"], ["00", "61", "64"])
        # the always-hosted plugins in the start-up table's order, then this one
        assert_equal([p["name"] for p in info["plugins"]], ["market", "review", "chat", "testkv"])
        p = info["plugins"][3]
        assert p["running"]
        assert_equal([(t["id"], t["name"]) for t in p["types"]], [(250, "kv_put"), (251, "kv_del")])
        key = p["types"][0]["fields"][0]
        assert_equal((key["name"], key["kind"], key["min"], key["max"]), ("key", "text", 1, 32))
        assert_equal(key["charset"], "abcdefghijklmnopqrstuvwxyz0123456789_")
        classes = {r["reason"]: r["class"] for r in p["rules"]}
        assert_equal(classes, {"kv-reserved-key": "invalid", "kv-not-owner": "state",
                               "kv-unknown-key": "state"})
        assert_equal(p["prefixes"], ["6b"])
        assert_equal(p["methods"], ["testkv_get", "testkv_history", "testkv_addnote", "testkv_getnote"])
        assert_equal(p["inventory"], [{"type": 200, "command": "kvnote"}])
        assert p["block_hook"]
        assert_equal(p["database"], "testkv.sqlite")
        wait_until(lambda: self.index(self.nodes[0])["height"] == self.nodes[0].getblockcount(),
                   timeout=30, what="index at the tip")
        # help knows the plugin's methods like any other
        assert "testkv_get" in self.nodes[0].help()
        self.log.info("-testplugin is refused outside regtest")
        datadir = os.path.join(self.options.tmpdir, "testnet_refusal")
        os.makedirs(datadir)
        proc = subprocess.run([self.nodes[0].binaries.soukd, "-datadir=" + datadir, "-testnet",
                               "-testplugin", "-listen=0", "-printtoconsole=0"],
                              capture_output=True, text=True, timeout=60)
        assert_equal(proc.returncode, 1)
        assert "-testplugin is only allowed on regtest" in proc.stderr, proc.stderr

    def consensus(self):
        n0, n1 = self.nodes
        self.log.info("kv_put with and without a ttl; the index follows")
        self.send(n0, self.kv(self.alice, KV_PUT, "name", b"\x01\x02"))
        self.send(n0, self.kv(self.alice, KV_PUT, "temp", b"", ttl=3))
        self.mine()
        put_height = n0.getblockcount()
        for node in (n0, n1):
            got = node.testkv_get("name")
            assert_equal((got["value"], got["height"], got["expires_at"]), ("0102", put_height, None))
            assert_equal(node.testkv_get("temp")["expires_at"], put_height + 3)
            # The RPC waits for the index: no race right after a block.
            assert_equal(self.history(node, "name"), [(put_height, "put")])

        self.log.info("another sender's claim is a state conflict (kv-not-owner)")
        bobs = self.kv(self.bob, KV_PUT, "name", b"mine")
        assert_raises_rpc_error(-26, "kv-not-owner", self.send, n0, bobs)
        self.nonces[self.bob.pubkey] -= 1
        self.log.info("a reserved key breaks a rule of the tx itself (kv-reserved-key)")
        assert_raises_rpc_error(-26, "kv-reserved-key", self.send, n0,
                                self.kv(self.bob, KV_PUT, "_root"))
        self.nonces[self.bob.pubkey] -= 1
        assert_raises_rpc_error(-26, "bad-payload", self.send, n0, self.kv(self.bob, KV_PUT, "Name"))
        self.nonces[self.bob.pubkey] -= 1
        assert_raises_rpc_error(-8, "key", n0.testkv_get, "Name!")

        self.log.info("the deadline removes 'temp' when block put+3 connects, on both nodes")
        self.mine(2)
        assert n1.testkv_get("temp") is not None
        self.mine(1)
        for node in (n0, n1):
            assert_equal(node.testkv_get("temp"), None)
        assert_equal(n0.getstateinfo()["state_hash"], n1.getstateinfo()["state_hash"])

    def peers_are_scored_by_class(self):
        n1 = self.nodes[1]
        self.log.info("a relayed state conflict is not misbehaviour; an invalid tx is")
        tip = n1.getbestblockhash()
        peer = n1.add_p2p_connection(P2PInterface())
        conflict = self.kv(self.bob, KV_PUT, "name", b"race")
        self.nonces[self.bob.pubkey] -= 1
        peer.send_tx(conflict)
        peer.sync_with_ping()
        assert peer.is_connected
        (info,) = [p for p in n1.getpeerinfo() if p["subver"].startswith("/souk-test")]
        assert_equal(info["misbehavior"], 0)
        assert conflict.txid().hex() not in n1.getrawmempool()
        invalid = self.kv(self.bob, KV_PUT, "_root")
        self.nonces[self.bob.pubkey] -= 1
        peer.send_tx(invalid)
        assert peer.wait_for_disconnect(10), "the peer relaying an invalid tx was kept"
        assert_equal(n1.getbestblockhash(), tip)
        n1.clearbanned()
        n1.disconnect_p2ps()
        wait_until(lambda: not any(p["subver"].startswith("/souk-test") for p in n1.getpeerinfo()),
                   timeout=10, what="test peer gone")

    def reorg(self):
        n0, n1 = self.nodes
        self.log.info("a reorg undoes a kv_del and its index row, and redoes them")
        self.send(n0, self.kv(self.alice, KV_DEL, "name"))
        self.mine()
        self.sync_blocks()
        del_block = n0.getbestblockhash()
        del_height = n0.getblockcount()
        after = self.snapshot(n0)
        assert_equal(n0.testkv_get("name"), None)
        assert_equal(self.history(n0, "name")[-1], (del_height, "del"))
        n0.invalidateblock(del_block)
        assert_equal(n0.testkv_get("name")["value"], "0102")
        assert_equal(self.history(n0, "name")[-1][1], "put")
        n0.reconsiderblock(del_block)
        assert_equal(self.snapshot(n0), after)
        # the undone kv_del went back to the mempool and was mined again
        # nowhere else: the chain is the same one
        assert_equal(n1.getbestblockhash(), del_block)
        # put it back for the rest of the test
        self.send(n0, self.kv(self.alice, KV_PUT, "name", b"\x03", ttl=500))
        self.mine()

    def notes(self):
        n0, n1 = self.nodes
        self.log.info("a note added on one node reaches the other by inventory")
        note_id = n0.testkv_addnote("6e6f7465")
        wait_until(lambda: self.has_note(n1, note_id), timeout=30, what="note relayed")
        assert_equal(n1.testkv_getnote(note_id), "6e6f7465")
        assert_raises_rpc_error(-5, "no note", n1.testkv_getnote, "00" * 32)
        assert_raises_rpc_error(-8, "a note is", n0.testkv_addnote, "")

    def slow_index(self):
        n0 = self.nodes[0]
        self.log.info("a slow index lags behind the chain without holding it up")
        self.restart_node(0, ["-testplugin", "-testkvindexdelay=300"])
        self.connect_nodes(0, 1)
        self.send(n0, self.kv(self.alice, KV_PUT, "slow", b"\x05"))
        tip_before = n0.getblockcount()
        self.mine(12)
        tip = n0.getblockcount()
        assert_equal(tip, tip_before + 12)
        info = n0.getindexinfo()
        # Twelve blocks at 300 ms each: the chain is at its tip while the
        # plugin's index is still seconds behind it.
        assert not info["testkv"]["synced"], info
        assert info["testkv"]["best_block_height"] < tip, info
        assert_equal(n0.getindexinfo("txindex")["txindex"]["best_block_height"] <= tip, True)
        # A call that reads the index waits for it, then sees every block.
        assert_equal(self.history(n0, "slow"), [(tip_before + 1, "put")])
        wait_until(lambda: n0.getindexinfo("testkv")["testkv"]["synced"], timeout=30,
                   what="testkv index synced")
        assert_equal(n0.getindexinfo("testkv")["testkv"]["best_block_height"], tip)
        self.restart_node(0, ["-testplugin"])
        self.connect_nodes(0, 1)

    def has_note(self, node, note_id):
        try:
            node.testkv_getnote(note_id)
            return True
        except JSONRPCException:
            return False

    def reindex_and_lost_index(self):
        n0 = self.nodes[0]
        self.sync_blocks()
        before = self.snapshot(n0)
        self.log.info("-reindex rebuilds state and index to the same result")
        self.restart_node(0, ["-testplugin", "-reindex"])
        assert_equal(self.snapshot(n0), before)
        self.log.info("a lost index is rebuilt at start-up")
        self.stop_node(0)
        db = os.path.join(n0.datadir, "regtest", "testkv.sqlite")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
        self.start_node(0, ["-testplugin"])
        assert_equal(self.snapshot(n0), before)
        self.log.info("a damaged index file is moved aside and rebuilt, not a reason to stop")
        self.stop_node(0)
        with open(db, "wb") as f:
            f.write(b"this is not an sqlite database" * 100)
        for suffix in ("-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
        self.start_node(0, ["-testplugin"])
        assert_equal(self.snapshot(n0), before)
        assert any(f.startswith("testkv.sqlite.damaged") for f in os.listdir(os.path.dirname(db)))
        self.connect_nodes(0, 1)

    def crashes(self):
        n0, n1 = self.nodes
        self.disconnect_nodes(0, 1)
        rng = random.Random(self.options.portseed)
        for round_ in range(4):
            self.log.info("kill -9 while kv txs are mined (round %d)", round_)
            for i in range(3):
                self.send(n0, self.kv(self.alice, KV_PUT, "k%d" % (round_ * 3 + i), b"x", ttl=2))
            height = n0.getblockcount()
            stop = threading.Event()

            def mine():
                try:
                    rpc = n0.make_rpc(timeout=30)
                    while not stop.is_set():
                        rpc.generatetoaddress(1, self.miner_address)
                except Exception:
                    pass  # killed under it: expected
            t = threading.Thread(target=mine, daemon=True)
            t.start()
            wait_until(lambda: n0.getblockcount() >= height + 2, timeout=30, what="blocks mined")
            time.sleep(rng.uniform(0, 0.3))  # the moment of the crash is what is varied
            n0.kill_process()
            stop.set()
            t.join(timeout=30)
            self.start_node(0, ["-testplugin"])
            assert n0.getblockcount() >= height + 2, "blocks mined before the kill were lost"
            after_crash = self.snapshot(n0)
            assert_equal(self.index(n0)["height"], n0.getblockcount())
            self.restart_node(0, ["-testplugin", "-reindex"])
            assert_equal(self.snapshot(n0), after_crash)
            # nonces continue from what the chain holds
            self.nonces[self.alice.pubkey] = n0.getaccount(self.alice_addr)["nonce"]
        self.connect_nodes(0, 1)
        self.sync_blocks()
        assert_equal(n0.getstateinfo()["state_hash"], n1.getstateinfo()["state_hash"])


if __name__ == "__main__":
    PluginTestkvTest().main()

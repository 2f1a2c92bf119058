#!/usr/bin/env python3
"""Raw transactions: create/sign/send with the node's RPCs and with txs built
in Python; decoderawtransaction's fields against the Python codec; a
sender's chain of 10 nonces confirmed in one block; every rejection reason
(bad-nonce, insufficient-funds, bad-signature, fee-too-low, wrong-network,
non-canonical, tx-too-large, duplicate, coinbase, already in chain), each
leaving balances, the mempool and getstateinfo's state_hash unchanged;
testmempoolaccept and getrawtransaction."""

from decimal import Decimal

from test_framework import msgpack
from test_framework.bech32m import encode_address
from test_framework.key import ECKey, verify
from test_framework.messages import (COIN, TX_TRANSFER, Tx, coinbase_tx, genesis_hash,
                                     transfer_tx)
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, assert_raises_rpc_error, to_coins, to_units

RPC_TYPE_ERROR = -3
RPC_INVALID_ADDRESS_OR_KEY = -5
RPC_INVALID_PARAMETER = -8
RPC_DESERIALIZATION_ERROR = -22
RPC_VERIFY_REJECTED = -26
RPC_VERIFY_ALREADY_IN_CHAIN = -27

GENESIS = genesis_hash("regtest")
MAIN_GENESIS = genesis_hash("main")
MATURITY = 100


class RawTxTransfersTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]
        self.node = node
        self.alice, self.alice_addr = self.new_key()
        self.bob, self.bob_addr = self.new_key()
        self.miner, self.miner_addr = self.new_key()
        # Alice gets one coinbase; the miner key takes every later block.
        node.generatetoaddress(1, self.alice_addr)
        node.generatetoaddress(MATURITY, self.miner_addr)
        assert_equal(self.balance(self.alice_addr), 50 * COIN)

        self.test_decode()
        self.test_create_sign_send()
        self.test_python_built()
        self.test_nonce_chain()
        self.test_rejections()
        self.test_testmempoolaccept()
        self.test_getrawtransaction()

    # ------------------------------------------------------------------ helpers
    def balance(self, addr):
        return to_units(self.node.getaccount(addr)["balance"])

    def nonce(self, addr):
        return self.node.getaccount(addr)["nonce"]

    def mine(self, n=1):
        return self.node.generatetoaddress(n, self.miner_addr)

    def snapshot(self):
        n = self.node
        return (n.getstateinfo()["state_hash"], n.getbestblockhash(), sorted(n.getrawmempool()),
                self.balance(self.alice_addr), self.balance(self.bob_addr),
                n.getaccount(self.alice_addr)["pending_nonce"])

    # ------------------------------------------------------------------- decode
    def test_decode(self):
        self.log.info("decoderawtransaction against the Python codec")
        node = self.node
        tx = transfer_tx(self.alice, GENESIS, 7, self.bob.pubkey, 123456789, 4321, b"\x01\x02hi")
        d = node.decoderawtransaction(tx.hex())
        assert_equal(d["txid"], tx.txid().hex())
        assert_equal(d["version"], 1)
        assert_equal(d["type"], "transfer")
        assert_equal(d["type_id"], TX_TRANSFER)
        assert_equal(d["sender"], self.alice_addr)
        assert_equal(d["nonce"], 7)
        assert_equal(d["fee"], Decimal("0.00004321"))
        assert_equal(d["size"], len(tx.serialize()))
        assert_equal(d["payload"], {"to": self.bob_addr, "amount": Decimal("1.23456789"),
                                    "memo": "01026869"})
        assert_equal(d["sig"], tx.sig.hex())

        cb = coinbase_tx(12, self.bob.pubkey, 50 * COIN, b"xyz")
        d = node.decoderawtransaction(cb.hex())
        assert_equal(d["type"], "coinbase")
        assert_equal(d["height"], 12)
        assert_equal(d["sender"], "")
        assert_equal(d["payload"]["recipient"], self.bob_addr)
        assert_equal(d["payload"]["extra"], b"xyz".hex())

        assert_raises_rpc_error(RPC_DESERIALIZATION_ERROR, "TX decode failed",
                                node.decoderawtransaction, tx.hex()[:-2])
        assert_raises_rpc_error(RPC_DESERIALIZATION_ERROR, "TX decode failed: non-canonical",
                                node.decoderawtransaction, tx.hex() + "00")
        assert_raises_rpc_error(RPC_DESERIALIZATION_ERROR,
                                "TX decode failed: non-canonical: integer not in shortest form",
                                node.decoderawtransaction, self.noncanonical(tx).hex())

    def noncanonical(self, tx):
        """tx's bytes with its nonce written as an 8-byte uint: same values, not canonical."""
        a = tx.to_array()
        return (msgpack.raw_array_header(7, 0) + msgpack.encode(a[0]) + msgpack.encode(a[1]) +
                msgpack.encode(a[2]) + msgpack.raw_uint(a[3], 8) + msgpack.encode(a[4]) +
                msgpack.encode(a[5]) + msgpack.encode(a[6]))

    # --------------------------------------------------------- create/sign/send
    def test_create_sign_send(self):
        self.log.info("createrawtransaction, signrawtransactionwithkey, sendrawtransaction")
        node = self.node
        spec = {"type": "transfer", "sender": self.alice_addr,
                "payload": {"to": self.bob_addr, "amount": "2.5", "memo": "cafe"}}
        raw = node.createrawtransaction(spec)
        d = node.decoderawtransaction(raw)
        assert_equal(d["sender"], self.alice_addr)
        assert_equal(d["nonce"], 0)                       # the account's next nonce
        assert_equal(to_units(d["fee"]), d["size"])       # default: 1 unit per byte
        assert_equal(d["sig"], "00" * 64)
        assert_equal(d["payload"], {"to": self.bob_addr, "amount": Decimal("2.5"), "memo": "cafe"})
        # Same tx built in Python: byte-identical before signing.
        py = Tx(TX_TRANSFER, self.alice.pubkey, 0, to_units(d["fee"]),
                [self.bob.pubkey, 250000000, b"\xca\xfe"], bytes(64))
        assert_equal(raw, py.hex())

        # Type by id, sender as a hex key, explicit nonce and fee.
        raw2 = node.createrawtransaction({"type": 1, "sender": self.alice.pubkey.hex(), "nonce": 0,
                                          "fee": Decimal("0.00001000"),
                                          "payload": {"to": self.bob_addr, "amount": 1, "memo": ""}})
        d2 = node.decoderawtransaction(raw2)
        assert_equal((d2["nonce"], to_units(d2["fee"]), d2["sender"]), (0, 1000, self.alice_addr))

        signed = node.signrawtransactionwithkey(raw, self.alice.secret.hex())
        assert_equal(signed["complete"], True)
        stx = Tx.deserialize(bytes.fromhex(signed["hex"]))
        assert_equal(stx.sender, self.alice.pubkey)
        assert verify(self.alice.pubkey, stx.sighash(GENESIS), stx.sig)
        before = self.balance(self.alice_addr)
        txid = node.sendrawtransaction(signed["hex"])
        assert_equal(txid, stx.txid().hex())
        assert_equal(node.getrawmempool(), [txid])
        # The next created tx takes the pending nonce.
        assert_equal(node.decoderawtransaction(node.createrawtransaction(spec))["nonce"], 1)
        self.mine()
        assert_equal(node.getrawmempool(), [])
        assert_equal(self.balance(self.bob_addr), 250000000)
        assert_equal(self.balance(self.alice_addr), before - 250000000 - stx.fee)
        assert_equal(self.nonce(self.alice_addr), 1)

        # Without a sender the nonce must be given; signing sets the sender.
        raw3 = node.createrawtransaction({"type": "transfer", "nonce": 1,
                                          "payload": {"to": self.bob_addr, "amount": 1, "memo": ""}})
        # 32 zero bytes are no key: shown as hex, not as an address.
        assert_equal(node.decoderawtransaction(raw3)["sender"], "00" * 32)
        s3 = node.signrawtransactionwithkey(raw3, self.alice.secret.hex())["hex"]
        assert_equal(node.decoderawtransaction(s3)["sender"], self.alice_addr)
        assert_equal(node.testmempoolaccept([s3])[0]["allowed"], True)

        self.log.info("createrawtransaction and signrawtransactionwithkey errors")
        pay = {"to": self.bob_addr, "amount": 1, "memo": ""}
        errs = [
            (RPC_INVALID_PARAMETER, "unknown transaction type", {"type": "teleport", "sender": self.alice_addr, "payload": pay}),
            (RPC_INVALID_PARAMETER, "unknown transaction type", {"type": 99, "sender": self.alice_addr, "payload": pay}),
            (RPC_INVALID_PARAMETER, "coinbase", {"type": "coinbase", "nonce": 0, "payload": pay}),
            (RPC_INVALID_PARAMETER, "missing field \"payload\"", {"type": "transfer", "sender": self.alice_addr}),
            (RPC_INVALID_PARAMETER, "unknown field \"colour\"", {"type": "transfer", "sender": self.alice_addr, "payload": pay, "colour": 1}),
            (RPC_INVALID_PARAMETER, "nonce: required", {"type": "transfer", "payload": pay}),
            (RPC_INVALID_ADDRESS_OR_KEY, "sender", {"type": "transfer", "sender": "rsouk1bad", "payload": pay}),
            (RPC_INVALID_ADDRESS_OR_KEY, "sender", {"type": "transfer", "sender": encode_address(self.alice.pubkey, "main"), "payload": pay}),
            (RPC_INVALID_PARAMETER, "payload: missing payload field \"memo\"", {"type": "transfer", "sender": self.alice_addr, "payload": {"to": self.bob_addr, "amount": 1}}),
            (RPC_INVALID_PARAMETER, "payload: to: invalid address", {"type": "transfer", "sender": self.alice_addr, "payload": dict(pay, to=encode_address(self.bob.pubkey, "main"))}),
            (RPC_INVALID_PARAMETER, "payload: amount: invalid amount", {"type": "transfer", "sender": self.alice_addr, "payload": dict(pay, amount=-1)}),
            (RPC_TYPE_ERROR, "nonce", {"type": "transfer", "sender": self.alice_addr, "nonce": -1, "payload": pay}),
            (RPC_TYPE_ERROR, "fee", {"type": "transfer", "sender": self.alice_addr, "fee": "lots", "payload": pay}),
        ]
        for code, msg, s in errs:
            assert_raises_rpc_error(code, msg, node.createrawtransaction, s)
        assert_raises_rpc_error(RPC_TYPE_ERROR, None, node.createrawtransaction, "transfer")

        for bad in ["00" * 32, "ff" * 32, "11" * 31, "zz" * 32,
                    "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"]:
            assert_raises_rpc_error(RPC_INVALID_ADDRESS_OR_KEY, "Invalid private key",
                                    node.signrawtransactionwithkey, raw, bad)
        cb = coinbase_tx(1, self.bob.pubkey, COIN)
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, "coinbase", node.signrawtransactionwithkey,
                                cb.hex(), self.alice.secret.hex())
        assert_raises_rpc_error(RPC_DESERIALIZATION_ERROR, "TX decode failed",
                                node.signrawtransactionwithkey, "9100", self.alice.secret.hex())

    # ------------------------------------------------------------- Python-built
    def test_python_built(self):
        self.log.info("sendrawtransaction of a tx built and signed in Python")
        node = self.node
        n = self.nonce(self.alice_addr)
        tx = transfer_tx(self.alice, GENESIS, n, self.bob.pubkey, 3 * COIN, 500, b"memo")
        a0, b0 = self.balance(self.alice_addr), self.balance(self.bob_addr)
        assert_equal(node.sendrawtransaction(tx.hex()), tx.txid().hex())
        [h] = self.mine()
        assert tx.txid().hex() in node.getblock(h)["tx"]
        assert_equal(self.balance(self.alice_addr), a0 - 3 * COIN - 500)
        assert_equal(self.balance(self.bob_addr), b0 + 3 * COIN)
        # Now confirmed: -27.
        assert_raises_rpc_error(RPC_VERIFY_ALREADY_IN_CHAIN, "Transaction already in block chain",
                                node.sendrawtransaction, tx.hex())

    # --------------------------------------------------------------- nonce chain
    def test_nonce_chain(self):
        self.log.info("a chain of 10 nonces confirmed in one block")
        node = self.node
        n = self.nonce(self.alice_addr)
        a0, b0 = self.balance(self.alice_addr), self.balance(self.bob_addr)
        txs = [transfer_tx(self.alice, GENESIS, n + i, self.bob.pubkey, (i + 1) * COIN // 10,
                           1000 + i) for i in range(10)]
        for tx in txs:
            assert_equal(node.sendrawtransaction(tx.hex()), tx.txid().hex())
        assert_equal(node.getaccount(self.alice_addr)["pending_nonce"], n + 10)
        assert_equal(sorted(node.getrawmempool()), sorted(t.txid().hex() for t in txs))
        [h] = self.mine()
        blk = node.getblock(h)
        assert_equal(blk["tx"][1:], [t.txid().hex() for t in txs])
        assert_equal(node.getrawmempool(), [])
        sent = sum((i + 1) * COIN // 10 for i in range(10))
        fees = sum(1000 + i for i in range(10))
        assert_equal(self.balance(self.alice_addr), a0 - sent - fees)
        assert_equal(self.balance(self.bob_addr), b0 + sent)
        assert_equal(self.nonce(self.alice_addr), n + 10)

    # ---------------------------------------------------------------- rejections
    def test_rejections(self):
        self.log.info("every rejection reason leaves balances and state_hash unchanged")
        node = self.node
        n = self.nonce(self.alice_addr)
        bal = self.balance(self.alice_addr)

        # One pending tx so "duplicate" has something to hit.
        pending = transfer_tx(self.alice, GENESIS, n, self.bob.pubkey, COIN, 1000)
        node.sendrawtransaction(pending.hex())
        n += 1

        def good(**kw):
            args = dict(nonce=n, amount=COIN, fee=1000, memo=b"")
            args.update(kw)
            return transfer_tx(self.alice, GENESIS, args["nonce"], self.bob.pubkey, args["amount"],
                               args["fee"], args["memo"])

        bad_sig = good()
        bad_sig.sig = bad_sig.sig[:-1] + bytes([bad_sig.sig[-1] ^ 1])
        wrong_net = transfer_tx(self.alice, MAIN_GENESIS, n, self.bob.pubkey, COIN, 1000)
        big = Tx(TX_TRANSFER, b"", n, 100000, [self.bob.pubkey, COIN, b"\x00" * 70000]).sign(
            self.alice, GENESIS)
        cb = coinbase_tx(node.getblockcount() + 1, self.alice.pubkey, COIN)
        zero_amount = good(amount=0)

        cases = [
            (RPC_VERIFY_REJECTED, "bad-nonce", good(nonce=n - 2).hex()),
            (RPC_VERIFY_REJECTED, "insufficient-funds", good(amount=bal).hex()),
            (RPC_VERIFY_REJECTED, "bad-signature", bad_sig.hex()),
            (RPC_VERIFY_REJECTED, "fee-too-low", good(fee=0).hex()),
            (RPC_VERIFY_REJECTED, "fee-too-low", good(fee=100).hex()),
            (RPC_VERIFY_REJECTED, "wrong-network", wrong_net.hex()),
            (RPC_DESERIALIZATION_ERROR, "TX decode failed: non-canonical",
             self.noncanonical(good()).hex()),
            (RPC_VERIFY_REJECTED, "tx-too-large", big.hex()),
            (RPC_VERIFY_REJECTED, "duplicate", pending.hex()),
            (RPC_VERIFY_REJECTED, "coinbase", cb.hex()),
            (RPC_VERIFY_REJECTED, "bad-amount-zero", zero_amount.hex()),
        ]
        before = self.snapshot()
        for code, reason, hexdata in cases:
            self.log.debug("expect %s", reason)
            assert_raises_rpc_error(code, reason, node.sendrawtransaction, hexdata)
            assert_equal(self.snapshot(), before)
            # testmempoolaccept names the same rule (decode errors included).
            r = node.testmempoolaccept([hexdata])[0]
            assert_equal(r["allowed"], False)
            assert reason.replace("TX decode failed: ", "") in r["reject-reason"], r
            assert_equal(self.snapshot(), before)

        # A block after all that holds only the pending tx and the coinbase.
        [h] = self.mine()
        assert_equal(node.getblock(h)["tx"][1:], [pending.txid().hex()])
        assert_equal(self.balance(self.alice_addr), bal - COIN - 1000)
        assert_equal(self.nonce(self.alice_addr), n)

    # ---------------------------------------------------------- testmempoolaccept
    def test_testmempoolaccept(self):
        self.log.info("testmempoolaccept")
        node = self.node
        n = self.nonce(self.alice_addr)
        tx = transfer_tx(self.alice, GENESIS, n, self.bob.pubkey, COIN, 2000)
        bad = transfer_tx(self.alice, GENESIS, n - 1, self.bob.pubkey, COIN, 2000)
        state = node.getstateinfo()["state_hash"]
        res = node.testmempoolaccept([tx.hex(), bad.hex(), "91"])
        assert_equal(res[0], {"txid": tx.txid().hex(), "allowed": True, "size": len(tx.serialize()),
                              "fees": {"base": to_coins(2000)}})
        assert_equal(res[1], {"txid": bad.txid().hex(), "allowed": False,
                              "reject-reason": "bad-nonce"})
        assert_equal(res[2]["allowed"], False)
        assert "non-canonical" in res[2]["reject-reason"]
        assert_equal(node.getrawmempool(), [])
        assert_equal(node.getstateinfo()["state_hash"], state)
        assert_equal(node.testmempoolaccept([]), [])
        assert_raises_rpc_error(RPC_DESERIALIZATION_ERROR, "TX decode failed",
                                node.testmempoolaccept, ["xyz"])
        assert_raises_rpc_error(RPC_TYPE_ERROR, None, node.testmempoolaccept, tx.hex())
        # A confirmed tx.
        txid = node.sendrawtransaction(tx.hex())
        self.mine()
        assert_equal(node.testmempoolaccept([tx.hex()])[0]["reject-reason"], "txn-already-known")
        self.confirmed = txid

    # ---------------------------------------------------------- getrawtransaction
    def test_getrawtransaction(self):
        self.log.info("getrawtransaction from the mempool and the chain")
        node = self.node
        n = self.nonce(self.alice_addr)
        tx = transfer_tx(self.alice, GENESIS, n, self.bob.pubkey, COIN, 1500)
        txid = node.sendrawtransaction(tx.hex())
        assert_equal(node.getrawtransaction(txid), tx.hex())
        v = node.getrawtransaction(txid, True)
        assert_equal(v["hex"], tx.hex())
        assert_equal(v["nonce"], n)
        assert "blockhash" not in v
        [h] = self.mine()
        self.mine(2)
        v = node.getrawtransaction(txid, 1)
        assert_equal(v["blockhash"], h)
        assert_equal(v["confirmations"], 3)
        assert_equal(v["height"], node.getblockcount() - 2)
        assert_equal(v["time"], node.getblockheader(h)["time"])
        assert_equal(node.getrawtransaction(txid, False), tx.hex())
        # Coinbases are in the index too.
        cb_txid = node.getblock(h)["tx"][0]
        assert_equal(node.getrawtransaction(cb_txid, True)["type"], "coinbase")
        assert_equal(node.getrawtransaction(self.confirmed, True)["txid"], self.confirmed)
        assert_raises_rpc_error(RPC_INVALID_ADDRESS_OR_KEY,
                                "No such mempool or blockchain transaction",
                                node.getrawtransaction, "ab" * 32)
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, None, node.getrawtransaction, "ab" * 31)
        assert_raises_rpc_error(RPC_TYPE_ERROR, None, node.getrawtransaction, txid, "yes")


if __name__ == "__main__":
    RawTxTransfersTest().main()

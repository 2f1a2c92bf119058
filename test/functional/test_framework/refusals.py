"""Refusals that change nothing: the checks of the tests of consensus rules.

A mixin for a SoukTestFramework test that sets self.node, self.miner_key and
self.miner_address. "Nothing changed" is the mempool, the tip and
state_hash, all three compared before and after. A transaction is refused
"in a block" three ways: by sendrawtransaction, by generateblock and in a
block made and solved here (submitblock), so the rule is shown to hold in
validation and not only in the mempool's policy."""
from .messages import COIN, Block, BlockHeader, coinbase_tx
from .msgpack import RawBytes, str_header
from .util import assert_equal, assert_raises_rpc_error

UTF8_RULE = "invalid UTF-8 in str"


def bad_str(b):
    """A msgpack str whose bytes are b, UTF-8 or not."""
    return RawBytes(str_header(len(b)) + b)


class RefusalChecks:
    # the fee every transaction of a hand-made block pays (its coinbase claims them)
    refusal_fee = 10000
    # the options an action method is called with to pre-check only
    dry_run = {"broadcast": False}

    def unchanged(self):
        n = self.node
        return (sorted(n.getrawmempool()), n.getbestblockhash(), n.getstateinfo()["state_hash"])

    def rpc_refused(self, code, message, fn, *args):
        """fn(*args) fails with code and message and changes nothing."""
        before = self.unchanged()
        e = assert_raises_rpc_error(code, message, fn, *args)
        assert_equal(self.unchanged(), before)
        return e

    def rpc_allowed(self, fn, *args, opts=None):
        """The action's pre-check passes (called with dry_run and opts): a refusal next to it
        is the rule's, not something else's. Returns its result (with the signed hex)."""
        before = self.unchanged()
        r = fn(*args, dict(self.dry_run, **(opts or {})))
        assert "hex" in r, r
        assert_equal(self.unchanged(), before)
        return r

    def hand_block(self, txs):
        """A block on the tip holding txs, made and solved here."""
        node = self.node
        t = node.getblocktemplate()
        cb = coinbase_tx(t["height"], self.miner_key.pubkey,
                         (50 * COIN >> (t["height"] // 150)) + self.refusal_fee * len(txs))
        blk = Block(BlockHeader(bytes.fromhex(t["previousblockhash"]), b"", t["curtime"],
                                int(t["bits"], 16), 0), [cb] + list(txs))
        blk.update_merkle_root()
        assert blk.solve()
        return blk

    def block_refused(self, rule, tx):
        """Refused with rule by the mempool, by generateblock and in a block made here."""
        node = self.node
        before = self.unchanged()
        assert_raises_rpc_error(-26, rule, node.sendrawtransaction, tx.hex())
        assert_raises_rpc_error(-25, "transaction 0: " + rule, node.generateblock,
                                self.miner_address, [tx.hex()])
        reason = node.submitblock(self.hand_block([tx]).hex())
        assert reason is not None and rule in reason, reason
        assert_equal(self.unchanged(), before)

    def block_allowed(self, tx):
        r = self.node.testmempoolaccept([tx.hex()])[0]
        assert r["allowed"], r

    def undecodable(self, tx):
        """A str holding invalid UTF-8 does not decode (doc/consensus.md 2.3): refused by the
        mempool, by generateblock and in a block made here, nothing changed."""
        node = self.node
        before = self.unchanged()
        assert_raises_rpc_error(-22, "TX decode failed: non-canonical: " + UTF8_RULE,
                                node.sendrawtransaction, tx.hex())
        assert_raises_rpc_error(-22, "Transaction decode failed for transactions[0]: " + UTF8_RULE,
                                node.generateblock, self.miner_address, [tx.hex()])
        assert_raises_rpc_error(-22, UTF8_RULE, node.submitblock, self.hand_block([tx]).hex())
        assert_equal(self.unchanged(), before)

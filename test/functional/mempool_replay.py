#!/usr/bin/env python3
"""Replaying transactions costs the node lookups, not signature checks.

What can be turned away by a lookup is checked before the signature (a
nonce the sender already used, a fee below the relay rate), and a tx
refused at the current tip is remembered until the next block, so a peer
(or an RPC client) replaying 3,000 copies of a mined transaction and 3,000
of a zero-fee one makes the node verify next to no signatures — the node's
own counter (getmempoolinfo's signature_checks) shows it — and an honest
transaction still gets in; 3,000 copies of one refused by policy after its
signature check cost one check. A peer that keeps replaying refused txs is
disconnected after 5 of them (p2p_resend_refused.py), so the rest of its
copies are never read."""
from test_framework.messages import COIN, Tx
from test_framework.p2p import frame, message_body
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, assert_greater_than_or_equal, assert_raises_rpc_error

COPIES = 3000


def tx_of(hexstr):
    return Tx.deserialize(bytes.fromhex(hexstr))


class MempoolReplayTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def checks(self):
        return self.nodes[0].getmempoolinfo()["signature_checks"]

    def run_test(self):
        node = self.nodes[0]
        payer, payer_addr = self.new_key()
        self.generate(node, 1, payer_addr)
        self.generate(node, 100)
        _, to = self.new_key()
        mined = self.make_transfer(payer, 0, to, COIN, 1000)
        node.sendrawtransaction(mined)
        self.generate(node, 1)
        assert_equal(node.getaccount(payer_addr)["nonce"], 1)
        free = self.make_transfer(payer, 1, to, COIN, 0)

        self.log.info("%d copies of a mined tx and %d of a zero-fee one, over P2P", COPIES, COPIES)
        peer = node.add_p2p_connection()
        before = self.checks()
        data = b"".join(frame(message_body("tx", tx_of(h).to_array())) for h in (mined, free))
        try:
            peer.send_raw(data * COPIES)
        except OSError:
            pass   # the node turned the peer away before it read all of it
        assert peer.wait_for_disconnect(120), "a peer replaying refused txs was kept"
        spent = self.checks() - before
        self.log.info("signatures checked for %d replays: %d", 2 * COPIES, spent)
        assert spent <= 2, "%d signature checks for %d replayed txs" % (spent, 2 * COPIES)
        assert not node.debug_log_contains("misbehaving")   # replaying is not misbehaviour

        self.log.info("the same over RPC: refused by a lookup, with the rule named")
        before = self.checks()
        for _ in range(100):
            assert_raises_rpc_error(-27, None, node.sendrawtransaction, mined)   # in the chain
            assert_raises_rpc_error(-26, "fee", node.sendrawtransaction, free)
        assert_equal(self.checks() - before, 0)

        self.log.info("an honest tx paying the relay fee still gets in, and costs its check")
        before = self.checks()
        honest = self.make_transfer(payer, 1, to, COIN, 1000)
        txid = node.sendrawtransaction(honest)
        assert txid in node.getrawmempool()
        assert_greater_than_or_equal(self.checks() - before, 1)

        self.log.info("a tx refused after its signature check is remembered until the next block")
        # Replaces the pending tx without paying 10% more: refused by policy,
        # which only a checked tx reaches.
        cheap_bump = self.make_transfer(payer, 1, to, COIN, 1050)
        before = self.checks()
        peer = node.add_p2p_connection()
        try:
            peer.send_raw(frame(message_body("tx", tx_of(cheap_bump).to_array())) * COPIES)
        except OSError:
            pass
        assert peer.wait_for_disconnect(120), "a peer replaying a refused tx was kept"
        spent = self.checks() - before
        self.log.info("signatures checked for %d copies refused by policy: %d", COPIES, spent)
        assert spent <= 2, "%d signature checks for %d copies" % (spent, COPIES)
        assert_equal(node.getrawmempool(), [txid])
        # A new tip may change the verdict: it is checked again after one.
        self.generate(node, 1)
        peer = node.add_p2p_connection()
        before = self.checks()
        peer.send_tx(tx_of(cheap_bump))
        peer.sync_with_ping()
        assert_equal(self.checks() - before, 0)   # its nonce is now used: a lookup says no


if __name__ == "__main__":
    MempoolReplayTest().main()

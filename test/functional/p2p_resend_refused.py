#!/usr/bin/env python3
"""A peer that keeps sending a transaction the node refused is disconnected
(doc/protocol.md, "Transaction relay").

A tx refused at the current tip is remembered until the next block (the
recent rejects), so its copies cost a lookup. Sending one again may be an
honest race and a refusal for state or policy is no misbehaviour; but a
peer that sends, unasked, 5 txs refused at this tip already is disconnected
(not discouraged); a copy the node asked that peer for is not counted. The
count starts again at each new tip. The node does not ask, by getdata, for
a tx it refused at this tip."""
from test_framework.messages import COIN, Tx
from test_framework.p2p import MSG_TX, inv_item
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal

RESENDS = 5   # P2P_MAX_REFUSED_RESENDS


class P2PResendRefusedTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]
        payer, payer_addr = self.new_key()
        self.generate(node, 1, payer_addr)
        self.generate(node, 100)
        _, to = self.new_key()
        # Below the relay fee: refused by policy, never misbehaviour.
        free = Tx.deserialize(bytes.fromhex(self.make_transfer(payer, 0, to, COIN, 0)))

        self.log.info("an honest peer sends a refused tx and once more (a race): kept")
        honest = node.add_p2p_connection()
        honest.send_tx(free)
        honest.sync_with_ping()
        honest.send_tx(free)
        honest.sync_with_ping()
        assert honest.is_connected
        assert_equal(node.peer_info(honest)["misbehavior"], 0)

        self.log.info("a peer that keeps sending it is disconnected at the %dth copy", RESENDS)
        replayer = node.add_p2p_connection()
        for _ in range(RESENDS - 1):
            replayer.send_tx(free)
        replayer.sync_with_ping()
        assert replayer.is_connected
        replayer.send_tx(free)
        assert replayer.wait_for_disconnect(10), "the peer replaying a refused tx was kept"
        assert node.debug_log_contains("sent %d txs refused at this tip already" % RESENDS)
        assert not node.debug_log_contains("misbehaving")   # disconnected, not scored
        assert_equal(node.listbanned(), [])
        assert honest.is_connected

        self.log.info("an inv of a tx refused at this tip is not answered with getdata")
        m = honest.mark()
        honest.send_inv([inv_item(MSG_TX, free.txid())])
        honest.sync_with_ping()   # a getdata would have come before the pong
        assert not any(c == "getdata" for c, _ in honest.messages[m:]), "the node asked for a refused tx"

        self.log.info("a copy we asked for, refused from another peer meanwhile, is not counted")
        other = Tx.deserialize(bytes.fromhex(self.make_transfer(payer, 0, to, COIN, 1)))   # fee 1: refused
        a, b = node.add_p2p_connection(), node.add_p2p_connection()
        a.go_quiet()   # no notfound for the getdata: the request stays open
        m = a.mark()
        a.send_inv([inv_item(MSG_TX, other.txid())])
        a.wait_for_getdata(MSG_TX, other.txid(), since=m)
        b.send_tx(other)
        b.sync_with_ping()   # refused: in the recent rejects now
        a.send_tx(other)     # the copy the node asked a for: a race, not a repeat
        for _ in range(RESENDS - 1):
            a.send_tx(other)
        a.sync_with_ping()
        assert a.is_connected, "the requested copy was counted against its sender"

        self.log.info("the count starts again at each new tip")
        p = node.add_p2p_connection()
        for _ in range(RESENDS - 1):
            p.send_tx(free)
        p.sync_with_ping()
        m = p.mark()
        block = self.generate(node, 1)[0]
        p.wait_for_block_announcement(block, since=m)   # the node has seen the new tip
        for _ in range(RESENDS):   # checked again (refused again), then 4 copies
            p.send_tx(free)
        p.sync_with_ping()
        assert p.is_connected
        assert_equal(node.getrawmempool(), [])


if __name__ == "__main__":
    P2PResendRefusedTest().main()

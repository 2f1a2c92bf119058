#!/usr/bin/env python3
"""Orphan transactions (doc/protocol.md, "Orphans"): a tx from a peer whose
sender has no funds yet at the tip is held, not dropped, and enters the
mempool once what it waits for is there; one beyond the mempool's future
nonces waits for the gap to close. The pool is bounded: a peer sending
more orphans than it holds leaves the node fine, and one peer's relays hold
at most 25 of the 100, so a peer flooding orphans cannot push out another's.
A full orphan pool does not make every relayed tx cost a retry of every
orphan: a burst of valid txs is handled about as fast with 100 orphans
waiting as with none."""

import time

from test_framework.messages import COIN, Tx
from test_framework.p2p import frame, message_body
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, wait_until


def tx_of(hexstr):
    return Tx.deserialize(bytes.fromhex(hexstr))


class P2POrphansTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]
        payer, payer_addr = self.new_key()
        self.generate(node, 1, payer_addr, sync=False)
        funded = [self.new_key() for _ in range(10)]
        for _, addr in funded:
            self.generate(node, 1, addr, sync=False)
        self.generate(node, 100, sync=False)
        peer = node.add_p2p_connection()

        self.log.info("a tx from an unfunded sender waits for the transfer that funds it")
        newbie, newbie_addr = self.new_key()
        child = tx_of(self.make_transfer(newbie, 0, self.new_key()[0], COIN, 1000))
        peer.send_tx(child)
        peer.sync_with_ping()
        assert child.txid().hex() not in node.getrawmempool()
        parent = tx_of(self.make_transfer(payer, 0, newbie_addr, 5 * COIN, 1000))
        peer.send_tx(parent)
        wait_until(lambda: parent.txid().hex() in node.getrawmempool(), timeout=10, what="parent accepted")
        self.generate(node, 1, sync=False)
        wait_until(lambda: child.txid().hex() in node.getrawmempool(), timeout=10,
                   what="the orphan accepted once its sender is funded")

        self.log.info("relaying txs while the orphan pool is full costs no more than without")
        sink = self.new_key()[0]
        bursts = []
        for keys in (funded[:5], funded[5:]):
            bursts.append(b"".join(frame(message_body("tx", tx_of(self.make_transfer(k, n, sink, COIN, 1000)).to_array()))
                                   for k, _ in keys for n in range(20)))
        quiet = self.timed_burst(peer, bursts[0])
        # A peer's relays hold at most 25 orphans: four peers fill the pool.
        fillers = [node.add_p2p_connection() for _ in range(4)]
        for f in fillers:
            for i in range(25):
                k, _ = self.new_key()
                f.send_tx(tx_of(self.make_transfer(k, 0, sink, COIN, 1000)))
            f.sync_with_ping()
        busy = self.timed_burst(peer, bursts[1])
        self.log.info("100 txs: %.3f s with no orphans, %.3f s with 100 orphans", quiet, busy)
        assert_equal(len(node.getrawmempool()), 201)
        assert busy < 3 * quiet + 0.2, "%.3f s with orphans against %.3f s without" % (busy, quiet)

        self.log.info("more orphans than the pool holds: the node stays fine")
        for i in range(150):
            k, _ = self.new_key()
            peer.send_tx(tx_of(self.make_transfer(k, 0, self.new_key()[0], COIN, 1000)))
        peer.sync_with_ping()
        assert peer.is_connected
        assert_equal(len(node.getrawmempool()), 201)
        for f in fillers:
            f.close()
        self.generate(node, 1, sync=False)   # the pool's txs leave the mempool

        self.log.info("one peer flooding orphans cannot push out another peer's")
        honest = node.add_p2p_connection()
        waiting, waiting_addr = self.new_key()
        mine = [tx_of(self.make_transfer(waiting, n, sink, COIN, 1000)) for n in range(5)]
        for t in mine:
            honest.send_tx(t)
        honest.sync_with_ping()
        for i in range(150):   # six times what one peer may hold
            k, _ = self.new_key()
            peer.send_tx(tx_of(self.make_transfer(k, 0, sink, COIN, 1000)))
        peer.sync_with_ping()
        node.sendrawtransaction(self.make_transfer(payer, 1, waiting_addr, 10 * COIN, 1000))
        self.generate(node, 1, sync=False)   # funds the waiting sender: its orphans are retried
        wait_until(lambda: all(t.txid().hex() in node.getrawmempool() for t in mine), timeout=10,
                   what="the honest peer's orphans accepted")

    def timed_burst(self, peer, data):
        start = time.monotonic()
        peer.send_raw(data)
        peer.sync_with_ping()
        return time.monotonic() - start


if __name__ == "__main__":
    P2POrphansTest().main()

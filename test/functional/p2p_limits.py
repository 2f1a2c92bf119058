#!/usr/bin/env python3
"""Connection limits: with -maxconnections=M a node never holds more than M
connections however many peers dial it; the peers beyond the limit are
refused or another inbound peer is evicted for them; the eviction spares the
longest-connected peer that was useful (relayed a valid tx), and the node
keeps serving RPC and P2P. When peers leave, their slots are free again.
A second node restricted to -maxconnections=1 still connects out."""

from test_framework.p2p import P2PInterface
from test_framework.test_framework import SoukTestFramework
from test_framework.messages import COIN, Tx
from test_framework.util import assert_equal, assert_greater_than_or_equal, wait_until

MAX_CONN = 12
EXTRA = 8


class P2PLimitsTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 2
        self.extra_args = [["-maxconnections=%d" % MAX_CONN], []]

    def try_peer(self):
        return self.nodes[0].try_p2p_connection()

    def run_test(self):
        node = self.nodes[0]
        payer, payer_addr = self.new_key()
        self.generate(node, 101, payer_addr, sync=False)

        self.log.info("the first peer is useful: it relays a valid tx")
        first, ok = self.try_peer()
        assert ok
        tx = Tx.deserialize(bytes.fromhex(self.make_transfer(payer, 0, self.new_key()[0], COIN, 1000)))
        first.send_tx(tx)
        wait_until(lambda: tx.txid().hex() in node.getrawmempool(), timeout=10, what="tx from the first peer")
        # It is the longest connected whatever the clock says: the node breaks ties of
        # connection time by peer id, and it connected first.

        self.log.info("%d more peers dial a node allowing %d connections", MAX_CONN + EXTRA - 1, MAX_CONN)
        peers = [first]
        accepted = 1
        for _ in range(MAX_CONN + EXTRA - 1):
            p, ok = self.try_peer()
            peers.append(p)
            accepted += ok
            assert node.getconnectioncount() <= MAX_CONN, node.getconnectioncount()
        # Evictions are done once every attempt has ended; our peers notice theirs a moment later.
        wait_until(lambda: len([p for p in peers if p.is_connected]) == node.getconnectioncount(),
                   timeout=10, what="our peers and the node agree on who is connected")
        live = [p for p in peers if p.is_connected]
        count = node.getconnectioncount()
        self.log.info("%d handshakes completed, %d peers still connected, node reports %d", accepted,
                      len(live), count)
        assert count <= MAX_CONN, count
        assert len(live) <= MAX_CONN, len(live)
        # every peer beyond the limit was refused or made room by an eviction
        assert_greater_than_or_equal(len(peers) - len(live), EXTRA)
        assert first.is_connected, "the longest-connected useful peer was evicted"
        first.sync_with_ping()
        assert_equal(node.getblockcount(), 101)

        self.log.info("slots free up when peers leave")
        for p in peers[1:]:
            p.close()
        wait_until(lambda: node.getconnectioncount() == 1, timeout=10, what="only the first peer left")
        again = [self.try_peer() for _ in range(3)]
        assert all(ok for _, ok in again)
        assert_equal(node.getconnectioncount(), 4)
        node.disconnect_p2ps()
        wait_until(lambda: node.getconnectioncount() == 0, timeout=10, what="all peers gone")

        self.log.info("a node with -maxconnections=1 still makes its one outbound connection")
        self.restart_node(1, ["-maxconnections=1"])
        self.connect_nodes(1, 0)
        assert_equal(self.nodes[1].getconnectioncount(), 1)
        self.sync_blocks()
        # and holds no second connection: a Python peer dialling it is refused
        p = P2PInterface()
        try:
            p.connect("127.0.0.1", self.nodes[1].p2p_port)
            assert p.wait_for_disconnect(10), "a full node kept an extra inbound peer"
        except OSError:
            pass
        p.close()
        assert_equal(self.nodes[1].getconnectioncount(), 1)
        assert_equal(self.nodes[1].getpeerinfo()[0]["inbound"], False)

if __name__ == "__main__":
    P2PLimitsTest().main()

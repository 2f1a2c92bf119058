#!/usr/bin/env python3
"""Relay across a line of five nodes (0-1-2-3-4): a transaction sent to node0
is in node4's mempool within 2 seconds; a block mined on node4 reaches every
node and empties every mempool; a burst of transactions from several senders
reaches the far end; a Python peer attached to node2 hears about a new tx and a
new block, and is never re-announced what it announced itself."""

import time

from test_framework.messages import COIN, Tx
from test_framework.p2p import MSG_TX, P2PInterface
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, wait_until

RELAY_DEADLINE = 2.0


class P2PRelayTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 5

    def setup_network(self):
        self.setup_nodes()
        self.connect_line()

    def run_test(self):
        nodes = self.nodes
        keys = [self.new_key() for _ in range(3)]
        payee, payee_addr = self.new_key()
        for key, addr in keys:
            self.generate(nodes[0], 1, addr)
        self.generate(nodes[0], 100)   # matures the three coinbases, synced everywhere
        for n in nodes:
            assert_equal(n.getblockcount(), 103)

        peer = nodes[2].add_p2p_connection(P2PInterface())
        peer.send_message("sendheaders", [])
        peer.sync_with_ping()

        self.log.info("a tx sent to node0 reaches node4 within %.1f s", RELAY_DEADLINE)
        raw = self.make_transfer(keys[0][0], 0, payee, COIN, 1000)
        mark = peer.mark()
        start = time.monotonic()
        txid = nodes[0].sendrawtransaction(raw)
        wait_until(lambda: txid in nodes[4].getrawmempool(), timeout=RELAY_DEADLINE * 5,
                   poll=0.01, what="tx at node4")
        elapsed = time.monotonic() - start
        self.log.info("tx crossed 4 hops in %.3f s", elapsed)
        assert elapsed < RELAY_DEADLINE, "tx took %.3f s to cross the line" % elapsed
        self.sync_mempools()
        # the Python peer on node2 was told about it by inventory
        peer.wait_for_inv(MSG_TX, txid, since=mark)

        self.log.info("a burst of txs from three senders reaches the far end")
        sent = [txid]
        for nonce in range(1, 4):
            for key, _ in keys:
                k_nonce = nonce if key is keys[0][0] else nonce - 1
                sent.append(nodes[0].sendrawtransaction(self.make_transfer(key, k_nonce, payee, 1000 + nonce, 1000)))
        wait_until(lambda: set(sent) <= set(nodes[4].getrawmempool()), timeout=10, what="burst at node4")
        self.sync_mempools()

        self.log.info("a block mined on node4 reaches every node and confirms the txs everywhere")
        mark = peer.mark()
        h = self.generate(nodes[4], 1, sync=False)[0]
        self.sync_blocks(timeout=10)
        for n in nodes:
            assert_equal(n.getbestblockhash(), h)
            assert_equal(n.getrawmempool(), [])
        state = {n.getstateinfo()["state_hash"] for n in nodes}
        assert_equal(len(state), 1)
        # announced to the Python peer by header (it asked with sendheaders) or inv
        how = peer.wait_for_block_announcement(h, since=mark)
        self.log.info("node2 announced the block to the Python peer by %s", how)

        self.log.info("a tx the Python peer relays reaches both ends, and is not announced back to it")
        tx = Tx.deserialize(bytes.fromhex(self.make_transfer(keys[1][0], 3, payee, 5000, 1000)))
        peer.add_txs([tx])
        mark = peer.mark()
        peer.send_inv([[MSG_TX, tx.txid()]])
        peer.wait_for_getdata(MSG_TX, tx.txid(), since=mark)
        wait_until(lambda: all(tx.txid().hex() in n.getrawmempool() for n in nodes), timeout=10,
                   what="python tx everywhere")
        # A later tx from elsewhere is announced to the Python peer: node2 queues announcements
        # in order and sends its whole queue at once, so an inv of the peer's own tx, queued
        # earlier, would have come by then.
        later = nodes[2].sendrawtransaction(self.make_transfer(keys[2][0], 3, payee, 6000, 1000))
        peer.wait_for_inv(MSG_TX, later, since=mark)
        with peer.cv:
            back = [p for c, p in peer.messages[mark:] if c == "inv" and [MSG_TX, tx.txid()] in p]
        assert_equal(back, [])
        assert_equal(nodes[2].getconnectioncount(), 3)


if __name__ == "__main__":
    P2PRelayTest().main()

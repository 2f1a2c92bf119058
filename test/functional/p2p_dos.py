#!/usr/bin/env python3
"""Cheap requests a hostile peer could turn into expensive work, and peer
data the node must not trust: an inv naming thousands of unknown blocks is
answered with one getheaders, not one per item; version fields at the top
of their range show up sane in getpeerinfo; a peer that announces a tx and
then does not deliver it (notfound, or it leaves) does not keep the node
from fetching it from another peer that announced it; peers leaving all at
once with requests open between them leave nothing dangling."""

import os

from test_framework.messages import COIN, Tx
from test_framework.p2p import MSG_BLOCK, MSG_TX, P2PInterface, msg_version
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, wait_until


class P2PDosTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        self.node = self.nodes[0]
        self.payer, payer_addr = self.new_key()
        self.generate(self.node, 1, payer_addr, sync=False)
        self.generate(self.node, 100, sync=False)
        self.test_block_inv_flood()
        self.test_version_extremes()
        self.test_tx_withheld()
        self.test_requests_of_banned_peers()

    def test_block_inv_flood(self):
        self.log.info("an inv of 5,000 unknown blocks gets one getheaders")
        p = self.node.add_p2p_connection()
        p.sync_with_ping()
        m = p.mark()
        p.send_inv([[MSG_BLOCK, os.urandom(32)] for _ in range(5000)])
        p.sync_with_ping()
        with p.cv:
            asked = sum(1 for c, _ in p.messages[m:] if c == "getheaders")
        assert_equal(asked, 1)
        assert p.is_connected
        self.node.disconnect_p2ps()
        wait_until(lambda: self.node.getconnectioncount() == 0, timeout=10, what="peer gone")

    def test_version_extremes(self):
        self.log.info("version fields at the top of their range")
        big = (1 << 64) - 1
        p = P2PInterface(send_version=False)
        p.connect("127.0.0.1", self.node.p2p_port)
        self.node.p2ps.append(p)
        p.send_message("version", msg_version(p.nonce, best_height=big, timestamp=1 << 63))
        p.wait_for_verack()
        p.send_message("verack", [])
        p.sync_with_ping()
        info = self.node.getpeerinfo()
        assert_equal(len(info), 1)
        assert_equal(info[0]["startingheight"], (1 << 63) - 1)
        assert info[0]["timeoffset"] > 0, info[0]["timeoffset"]
        self.node.disconnect_p2ps()
        wait_until(lambda: self.node.getconnectioncount() == 0, timeout=10, what="peer gone")

    def test_tx_withheld(self):
        node = self.node
        for nonce, how in enumerate(("notfound", "disconnect")):
            self.log.info("a withheld tx comes from the next announcer (first one: %s)", how)
            tx = Tx.deserialize(bytes.fromhex(self.make_transfer(self.payer, nonce, self.new_key()[0], COIN, 1000)))
            txid = tx.txid()
            liar = node.add_p2p_connection()
            liar.go_quiet()
            honest = node.add_p2p_connection()
            honest.add_txs([tx])
            m = liar.mark()
            liar.send_inv([[MSG_TX, txid]])
            liar.wait_for_getdata(MSG_TX, txid, since=m)
            h = honest.mark()
            honest.send_inv([[MSG_TX, txid]])
            honest.sync_with_ping()
            with honest.cv:
                assert not any(c == "getdata" for c, _ in honest.messages[h:]), "asked twice at once"
            if how == "notfound":
                liar.send_message("notfound", [[MSG_TX, txid]])
            else:
                liar.close()
            honest.wait_for_getdata(MSG_TX, txid, since=h)
            wait_until(lambda: txid.hex() in node.getrawmempool(), timeout=10, what="tx from the honest peer")
            node.disconnect_p2ps()
            wait_until(lambda: node.getconnectioncount() == 0, timeout=10, what="peers gone")

    def test_requests_of_banned_peers(self):
        self.log.info("a tx request whose peer leaves together with others (setban)")
        node = self.node
        tx = Tx.deserialize(bytes.fromhex(self.make_transfer(self.payer, 2, self.new_key()[0], COIN, 1000)))
        txid = tx.txid()
        peers = [node.add_p2p_connection() for _ in range(3)]
        peers[1].go_quiet()
        m = peers[1].mark()
        peers[1].send_inv([[MSG_TX, txid]])
        peers[1].wait_for_getdata(MSG_TX, txid, since=m)
        peers[2].send_inv([[MSG_TX, txid]])
        peers[2].sync_with_ping()
        node.setban("127.0.0.1", "add")
        for p in peers:
            assert p.wait_for_disconnect(10)
        assert_equal(node.getconnectioncount(), 0)
        node.clearbanned()
        node.p2ps = []
        assert_equal(node.getblockcount(), 101)


if __name__ == "__main__":
    P2PDosTest().main()

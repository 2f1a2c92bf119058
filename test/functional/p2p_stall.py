#!/usr/bin/env python3
"""A peer holding up the block download window: a fresh node learns a chain
longer than the 1,024-block window from two peers. The first is asked for
the lowest blocks and never sends them; the second serves everything. Once
the second has delivered all the window allows, the first holds everyone up:
it is disconnected within a few seconds (well before the 30 s per-block
timeout) and its blocks are fetched from the second, so the node reaches the
tip."""

import time

from test_framework.messages import Block
from test_framework.p2p import MSG_BLOCK, P2PInterface
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, wait_until

CHAIN_LENGTH = 1100
WINDOW = 1024
PER_PEER = 16


class Staller(P2PInterface):
    """Announces the chain, answers getheaders, never sends a block."""

    def on_getdata(self, payload):
        with self.cv:
            self.getdata_requests.append(payload)


class P2PStallTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 2

    def setup_network(self):
        self.setup_nodes()   # not connected: node0 only ever talks to the Python peers

    def run_test(self):
        node, miner = self.nodes
        self.log.info("node1 mines %d blocks", CHAIN_LENGTH)
        hashes = []
        while len(hashes) < CHAIN_LENGTH:
            hashes += self.generate(miner, min(200, CHAIN_LENGTH - len(hashes)), sync=False)
        blocks = [Block.deserialize(bytes.fromhex(miner.getblock(h, 0))) for h in hashes]
        assert_equal(blocks[-1].hash().hex(), miner.getbestblockhash())

        self.log.info("the staller announces the chain and is asked for the lowest blocks")
        staller = node.add_p2p_connection(Staller())
        staller.add_blocks(blocks)
        staller.send_headers(blocks[:2000])
        staller.wait_until(lambda: any([MSG_BLOCK, blocks[0].hash()] in r for r in staller.getdata_requests),
                           timeout=10, what="getdata for block 1")

        self.log.info("an honest peer serves everything else")
        honest = node.add_p2p_connection()
        honest.add_blocks(blocks)
        start = time.monotonic()
        honest.send_headers(blocks[:2000])
        wait_until(lambda: node.getblockchaininfo()["headers"] == CHAIN_LENGTH, timeout=10, what="headers")
        # everything the window allows that the staller does not have in flight
        wait_until(lambda: sum(len(r) for r in honest.getdata_requests) >= WINDOW - PER_PEER, timeout=30,
                   what="the honest peer fills the window")
        assert_equal(node.getblockcount(), 0)

        self.log.info("the staller is dropped and the node reaches the tip")
        assert staller.wait_for_disconnect(timeout=15), "the staller was not disconnected"
        wait_until(lambda: node.getbestblockhash() == miner.getbestblockhash(), timeout=30, what="sync to the tip")
        took = time.monotonic() - start
        self.log.info("synced %.1f s after the honest peer connected", took)
        assert took < 25, "took %.1f s: the staller was only dropped by the per-block timeout" % took
        assert honest.is_connected
        assert_equal(node.getblockcount(), CHAIN_LENGTH)
        assert node.debug_log_contains("holds up the block download window")


if __name__ == "__main__":
    P2PStallTest().main()

#!/usr/bin/env python3
"""Low-work header spam (doc/protocol.md, "Headers-first sync"): a peer sends
forks of cheap headers branching from an early block. A fork whose chain
claims less work than the tip's less 144 blocks' worth, or less than
-minimumchainwork, is not stored (getblockheader does not know its headers,
getchaintips does not list it) and the peer keeps its score; a fork that
claims enough is stored as a headers-only branch.

On regtest every block's bits are 0x207fffff, worth 2 hashes of work, so a
chain of height h has 2 * (h + 1) work."""

import os

from test_framework.messages import Block, BlockHeader
from test_framework.p2p import P2PInterface
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, wait_until

TIP_HEIGHT = 300
FORK_POINT = 10
MARGIN_BLOCKS = 144
WORK_PER_BLOCK = 2


def chain_work(height):
    return WORK_PER_BLOCK * (height + 1)


class HeadersPeer(P2PInterface):
    """Serves the headers it was given (getheaders) but never a block: the node's
    block requests for a stored chain go unanswered, its headers stay headers-only."""

    def on_getdata(self, payload):
        pass


class SwappingPeer(HeadersPeer):
    """Lets the node count one chain (counted) and, when the node asks again from the
    fork point to store it, sends another (swapped): the attack the presync's marks stop."""

    def __init__(self, fork_point, counted, swapped):
        super().__init__()
        self.fork_point = fork_point
        self.counted = counted
        self.swapped = swapped

    def on_getheaders(self, payload):
        locator, _ = payload
        first = locator[0] if locator else b""
        hashes = [h.hash() for h in self.counted]
        if first in hashes:
            i = hashes.index(first) + 1
            self.send_message("headers", [h.to_array() for h in self.counted[i:i + 2000]])
        elif first == self.fork_point:
            self.send_message("headers", [h.to_array() for h in self.swapped[:2000]])
        else:
            self.send_message("headers", [])


class P2PLowWorkHeadersTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def fork(self, length, tag):
        """length solved headers on top of block FORK_POINT, parents first."""
        node = self.nodes[0]
        parent = node.getblockheader(node.getblockhash(FORK_POINT))
        prev, t = bytes.fromhex(parent["hash"]), parent["time"]
        out = []
        for i in range(length):
            t += 1
            h = BlockHeader(prev, os.urandom(32), t, 0x207fffff, 0)
            while int.from_bytes(h.hash(), "big") > 0x7fffff << (8 * (0x20 - 3)):
                h.nonce += 1
            out.append(h)
            prev = h.hash()
        self.log.debug("fork %s: %d headers", tag, length)
        return out

    def send_fork(self, headers):
        """Sends the fork's headers from a new peer; returns the peer once the node
        has handled them (a ping after them comes back)."""
        node = self.nodes[0]
        p = node.add_p2p_connection(P2PInterface())
        p.send_message("headers", [h.to_array() for h in headers])
        p.sync_with_ping()
        return p

    def stored(self, header):
        node = self.nodes[0]
        try:
            node.getblockheader(header.hash().hex())
            return True
        except Exception as e:  # the RPC error of an unknown block
            if "not found" not in str(e).lower():
                raise
            return False

    def tip_listed(self, header):
        return any(t["hash"] == header.hash().hex() for t in self.nodes[0].getchaintips())

    def expect_not_stored(self, headers, what):
        p = self.send_fork(headers)
        assert not self.stored(headers[0]) and not self.stored(headers[-1]), \
            "%s: the cheap fork's headers were stored" % what
        assert not self.tip_listed(headers[-1])
        assert p.is_connected, "%s: the peer was disconnected" % what
        assert_equal(self.nodes[0].peer_info(p)["misbehavior"], 0)
        assert self.nodes[0].debug_log_contains("headers of a chain with too little work to store")
        self.nodes[0].disconnect_p2ps()
        wait_until(lambda: self.nodes[0].getconnectioncount() == 0, timeout=10, what="peer gone")
        self.log.info("  %s: not stored, peer kept with score 0", what)

    def expect_stored(self, headers, what):
        node = self.nodes[0]
        p = self.send_fork(headers)
        last = headers[-1].hash().hex()
        assert self.stored(headers[0]) and self.stored(headers[-1]), "%s: not stored" % what
        tips = {t["hash"]: t for t in node.getchaintips()}
        assert last in tips, "%s: getchaintips does not list the fork" % what
        assert_equal(tips[last]["height"], FORK_POINT + len(headers))
        assert_equal(tips[last]["branchlen"], len(headers))
        assert_equal(tips[last]["status"], "headers-only")
        assert_equal(node.peer_info(p)["misbehavior"], 0)
        node.disconnect_p2ps()
        wait_until(lambda: node.getconnectioncount() == 0, timeout=10, what="peer gone")
        self.log.info("  %s: stored as a headers-only branch", what)

    def run_test(self):
        node = self.nodes[0]
        self.generate(node, TIP_HEIGHT)
        tip_work = chain_work(TIP_HEIGHT)
        assert_equal(int(node.getblockheader(node.getbestblockhash())["chainwork"], 16), tip_work)
        # the least stored: the tip's work less 144 blocks at the tip's bits
        threshold = tip_work - MARGIN_BLOCKS * WORK_PER_BLOCK
        shortest = threshold // WORK_PER_BLOCK - 1 - FORK_POINT   # a fork this long just reaches it
        assert_equal(chain_work(FORK_POINT + shortest), threshold)

        self.log.info("tip at %d: forks from block %d must reach the work of height %d",
                      TIP_HEIGHT, FORK_POINT, FORK_POINT + shortest)
        self.expect_not_stored(self.fork(100, "short"), "a 100-header fork")
        self.expect_not_stored(self.fork(shortest - 1, "one short"), "a fork one header short of the margin")
        self.expect_stored(self.fork(shortest, "enough"), "a fork that just reaches the margin")

        self.log.info("a cheap fork is still checked for proof of work first (as Bitcoin Core does)")
        bad = self.fork(20, "bad pow")
        bad[-1].nonce += 1
        while int.from_bytes(bad[-1].hash(), "big") <= 0x7fffff << (8 * (0x20 - 3)):
            bad[-1].nonce += 1
        p = node.add_p2p_connection(P2PInterface())
        p.send_message("headers", [h.to_array() for h in bad])
        assert p.wait_for_disconnect(10), "a header without proof of work was not misbehaviour"
        assert not self.stored(bad[0])
        assert node.debug_log_contains("header without its proof of work")
        node.disconnect_p2ps()
        wait_until(lambda: node.getconnectioncount() == 0, timeout=10, what="peer gone")

        self.log.info("-minimumchainwork above the tip: the margin alone is no longer enough")
        min_work = chain_work(TIP_HEIGHT + 100)
        self.restart_node(0, ["-minimumchainwork=%x" % min_work])
        self.expect_not_stored(self.fork(shortest + 50, "above margin"),
                               "a fork above the tip's margin but below -minimumchainwork")
        need = min_work // WORK_PER_BLOCK - 1 - FORK_POINT
        self.expect_not_stored(self.fork(need - 1, "one short of minimum"),
                               "a fork one header short of -minimumchainwork")
        self.expect_stored(self.fork(need, "minimum"), "a fork that reaches -minimumchainwork")
        # more work than our tip: the node asks for its blocks, but its tip stays
        assert_equal(node.getblockcount(), TIP_HEIGHT)

        self.presync()

        self.log.info("a bad -minimumchainwork refuses to start")
        node.stop_node()
        node.assert_start_raises_init_error(["-minimumchainwork=xyz"], "-minimumchainwork")
        node.start_and_wait(["-minimumchainwork=0x%064x" % 1])
        assert_equal(node.getblockcount(), TIP_HEIGHT)


    def presync(self):
        """Chains whose first 2,000 headers claim too little work are counted, then stored
        only if they reach the threshold (Bitcoin Core's presync)."""
        node = self.nodes[0]
        min_work = chain_work(FORK_POINT + 2500)
        self.restart_node(0, ["-minimumchainwork=%x" % min_work])
        fork_point = bytes.fromhex(node.getblockhash(FORK_POINT))

        self.log.info("presync: 2,100 headers from block %d stay below -minimumchainwork: none stored",
                      FORK_POINT)
        light = self.fork(2100, "light")
        # the peer answers the node's first getheaders (from its best header, unknown to
        # the peer) with the first 2,000, as a peer that has only this chain would
        p = HeadersPeer()
        p.add_blocks([Block(h) for h in light])
        node.add_p2p_connection(p)
        wait_until(lambda: node.debug_log_contains("the chain ends at height %d with too little work"
                                                   % (FORK_POINT + 2100)), timeout=30, what="the count ended")
        assert not self.stored(light[0]) and not self.stored(light[-1])
        assert_equal(node.peer_info(p)["misbehavior"], 0)
        node.disconnect_p2ps()
        wait_until(lambda: node.getconnectioncount() == 0, timeout=10, what="peer gone")

        self.log.info("presync: a peer that counts one chain and then sends another stores neither")
        counted, swapped = self.fork(2600, "counted"), self.fork(2000, "swapped")
        p = node.add_p2p_connection(SwappingPeer(fork_point, counted, swapped))
        p.send_message("headers", [h.to_array() for h in counted[:2000]])
        wait_until(lambda: node.debug_log_contains("headers downloaded again differ from those counted"),
                   timeout=30, what="the swap noticed")
        p.sync_with_ping()
        for h in (counted[0], counted[-1], swapped[0], swapped[-1]):
            assert not self.stored(h), "a swapped chain was stored"
        node.disconnect_p2ps()
        wait_until(lambda: node.getconnectioncount() == 0, timeout=10, what="peer gone")

        self.log.info("presync: 2,600 headers that reach it are counted, downloaded again and stored")
        heavy = self.fork(2600, "heavy")
        p = HeadersPeer()
        p.add_blocks([Block(h) for h in heavy])
        node.add_p2p_connection(p)
        # a repeat of the first message while counting changes nothing
        p.send_message("headers", [h.to_array() for h in heavy[:2000]])
        wait_until(lambda: self.stored(heavy[-1]), timeout=30, what="the heavy chain stored")
        assert self.stored(heavy[0])
        tips = {t["hash"]: t for t in node.getchaintips()}
        assert_equal(tips[heavy[-1].hash().hex()]["height"], FORK_POINT + 2600)
        assert_equal(tips[heavy[-1].hash().hex()]["status"], "headers-only")
        assert node.debug_log_contains("presync done: its chain is stored")
        assert_equal(node.peer_info(p)["misbehavior"], 0)
        assert_equal(node.getblockcount(), TIP_HEIGHT)
        node.disconnect_p2ps()
        wait_until(lambda: node.getconnectioncount() == 0, timeout=10, what="peer gone")


if __name__ == "__main__":
    P2PLowWorkHeadersTest().main()

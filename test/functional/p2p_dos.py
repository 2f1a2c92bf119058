#!/usr/bin/env python3
"""Cheap requests a hostile peer could turn into expensive work, and peer
data the node must not trust: an inv naming thousands of unknown blocks is
answered with one getheaders, not one per item."""

import os

from test_framework.p2p import MSG_BLOCK
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, wait_until


class P2PDosTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.requires_p2p = True

    def run_test(self):
        self.node = self.nodes[0]
        self.generate(self.node, 5, sync=False)
        self.test_block_inv_flood()

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


if __name__ == "__main__":
    P2PDosTest().main()

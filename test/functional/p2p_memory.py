#!/usr/bin/env python3
"""Memory is bounded whatever peers send: after 20 peers each send one large
message (an unknown command with an almost 8 MiB payload, which the node
ignores) and stay connected, the node does not keep a message-sized buffer
per peer: its resident memory falls back under 100 MB (it stays near 8 MiB
per peer when each peer's receive buffer keeps its largest size)."""
from test_framework.p2p import MAX_BODY, P2PInterface
from test_framework.test_framework import SoukTestFramework
from test_framework.util import wait_until

PEERS = 20


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS for pid %d" % pid)


class P2PMemoryTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]
        pid = node.process.pid
        with open("/proc/%d/maps" % pid) as f:
            asan = "libasan" in f.read()
        before = rss_mb(pid)
        self.log.info("resident memory before: %.1f MB", before)
        big = b"\0" * (MAX_BODY - 64)
        peers = []
        for i in range(PEERS):
            p = node.add_p2p_connection(P2PInterface())
            p.send_message("bigjunk", [big])
            p.sync_with_ping(timeout=60)   # the large message was read and handled
            peers.append(p)
        assert all(p.is_connected for p in peers)
        wait_until(lambda: node.getnetworkinfo()["connections"] >= PEERS, timeout=30,
                   what="all peers connected")
        after = rss_mb(pid)
        self.log.info("resident memory with %d peers after an 8 MiB message each: %.1f MB",
                      PEERS, after)
        if asan:
            # The traffic ran (and was checked for memory errors); the figure
            # is not soukd's own: AddressSanitizer keeps freed memory in
            # quarantine and adds shadow memory.
            self.skip_test("resident memory is not soukd's own under AddressSanitizer")
        assert after < 100, "%.1f MB resident after %d large messages" % (after, PEERS)


if __name__ == "__main__":
    P2PMemoryTest().main()

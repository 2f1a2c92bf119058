#!/usr/bin/env python3
"""RPC threads and the event loop: peers flood the node with small messages
while RPC disconnects them one after another (disconnectnode, setban); the
node must neither hang nor crash, and keeps serving RPC and P2P."""

import struct
import threading

from test_framework.p2p import P2PInterface, frame, message_body
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, wait_until

ROUNDS = 20
# What the node must have read from each flooder before the disconnects: 50 pings at least.
FLOOD_BYTES = 50 * len(frame(message_body("ping", [1])))


class Flooder(P2PInterface):
    """Sends pings as fast as the socket takes them until closed."""

    def start_flood(self):
        self.stop = False
        blob = b"".join(frame(message_body("ping", [i + 1])) for i in range(200))
        self.thread = threading.Thread(target=self._flood, args=(blob,), daemon=True)
        self.thread.start()

    def _flood(self, blob):
        while not self.stop:
            try:
                self.send_raw(blob)
            except OSError:
                return
            except ConnectionError:
                return

    def end_flood(self):
        self.stop = True
        self.close()
        self.thread.join(timeout=10)


class P2PRpcRaceTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.rpc_timeout = 20

    def run_test(self):
        node = self.nodes[0]
        self.generate(node, 1, sync=False)
        for r in range(ROUNDS):
            peers = [node.add_p2p_connection(Flooder()) for _ in range(3)]
            before = {i["id"]: i["bytesrecv"] for i in map(node.peer_info, peers)}
            for p in peers:
                p.start_flood()

            def flooded():
                return len([i for i in node.getpeerinfo() if i["id"] in before and
                            i["bytesrecv"] >= before[i["id"]] + FLOOD_BYTES]) == len(peers)
            # Disconnect while the node is busy reading every flood.
            wait_until(flooded, timeout=30, what="the node reading all three floods")
            for info in node.getpeerinfo():
                if r % 2 == 0:
                    node.disconnectnode("", info["id"])
                else:
                    node.disconnectnode(info["addr"])
            if r % 10 == 9:
                node.setban("127.0.0.1", "add")
                node.clearbanned()
            for p in peers:
                p.end_flood()
            node.p2ps = []
            wait_until(lambda: node.getconnectioncount() == 0, timeout=10, what="peers gone")
        assert_equal(node.getblockcount(), 1)


if __name__ == "__main__":
    P2PRpcRaceTest().main()

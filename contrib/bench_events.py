#!/usr/bin/env python3
"""How fast a block reaches many event clients (doc/benchmarks.md, "Events").

    contrib/bench_events.py [--build-dir build] [--clients 200] [--blocks 30]

Starts a regtest soukd in a temporary datadir and opens --clients streams
of GET /events, each following an address of its own, plus one client that
reads nothing at all. Then, --blocks times, mines a block
(generatetoaddress) and times until every client has read its `block`
event: from just before the call, and from the call's return (the block
is connected, and its events published, before the call returns). Prints
the median and the worst of each, and how long a getblockcount took
meanwhile (target: the event at 200 clients within 1 s of the block).
Standard library only.
"""

import argparse
import os
import selectors
import shutil
import socket
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_rpc import Node  # noqa: E402


def open_stream(node, address, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", node.rpc_port))
    s.sendall(("GET /events?address=%s HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n\r\n"
               % (address, node.auth)).encode())
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default=os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), "build"))
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--blocks", type=int, default=30)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="souk-bench-events-")
    node = None
    socks = []
    try:
        node = Node(args.build_dir, tmp, [])
        miner = node.rpc.getnewkeypair()["address"]
        sel = selectors.DefaultSelector()
        for _ in range(args.clients):
            s = open_stream(node, node.rpc.getnewkeypair()["address"])
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, bytearray())
            socks.append(s)
        stalled = open_stream(node, miner, rcvbuf=4096)
        socks.append(stalled)
        # Every stream has answered before the first block.
        deadline = time.monotonic() + 30
        ready = 0
        while ready < args.clients and time.monotonic() < deadline:
            for key, _ in sel.select(1):
                key.data.extend(key.fileobj.recv(65536))
            ready = sum(1 for k in sel.get_map().values() if b": souk events" in k.data)
        if ready < args.clients:
            raise RuntimeError("only %d of %d streams opened" % (ready, args.clients))
        for k in sel.get_map().values():
            k.data.clear()
        from_call, from_return, rpc_ms = [], [], []
        for _ in range(args.blocks):
            t0 = time.monotonic()
            h = node.rpc.generatetoaddress(1, miner)[0].encode()
            t1 = time.monotonic()
            waiting = set(sel.get_map().keys())
            last = t1
            while waiting and time.monotonic() < t0 + 30:
                for key, _ in sel.select(1):
                    key.data.extend(key.fileobj.recv(65536))
                    if key.fd in waiting and h in key.data:
                        waiting.discard(key.fd)
                        key.data.clear()
                        last = time.monotonic()
            if waiting:
                raise RuntimeError("%d clients never got block %s" % (len(waiting), h.decode()))
            from_call.append(last - t0)
            from_return.append(last - t1)
            t2 = time.monotonic()
            node.rpc.getblockcount()
            rpc_ms.append((time.monotonic() - t2) * 1000)
        print("%d clients (+1 that reads nothing), %d blocks" % (args.clients, args.blocks))
        print("every client has the block event, from before generatetoaddress: "
              "median %.1f ms, worst %.1f ms" % (statistics.median(from_call) * 1000,
                                                  max(from_call) * 1000))
        print("  from its return: median %.1f ms, worst %.1f ms"
              % (statistics.median(from_return) * 1000, max(from_return) * 1000))
        print("getblockcount meanwhile: median %.2f ms, worst %.2f ms"
              % (statistics.median(rpc_ms), max(rpc_ms)))
    finally:
        for s in socks:
            s.close()
        if node is not None:
            node.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

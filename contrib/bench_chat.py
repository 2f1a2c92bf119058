#!/usr/bin/env python3
"""A node that was offline catches up on chat messages (doc/benchmarks.md, "Chat").

    contrib/bench_chat.py [--build-dir build] [--messages 10000]

Starts two regtest soukd in temporary datadirs, not connected. Node A's
wallet sends --messages texts (chat_send: sealed, signed and stamped by the
node, kept in its chat store) to an address of node B's wallet, as if B had
been offline while they were sent. Then B connects to A, and the script
times how long B takes to hold them all: A offers its inventory in batches,
B asks for what it lacks, checks and keeps each envelope, and its wallet
opens each one addressed to it. Prints the time and messages per second
(target: 10,000 messages in under 10 s). Standard library only.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_rpc import Node, batch  # noqa: E402
from test_framework.authproxy import AuthServiceProxy, read_cookie  # noqa: E402


def wallet(node, name):
    cookie = os.path.join(node.datadir, "regtest", ".cookie")
    return AuthServiceProxy("127.0.0.1", node.rpc_port, read_cookie(cookie), 600,
                            path="/wallet/" + name)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default=os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), "build"))
    ap.add_argument("--messages", type=int, default=10000)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="souk-bench-chat-")
    nodes = []
    try:
        os.makedirs(os.path.join(tmp, "a"))
        os.makedirs(os.path.join(tmp, "b"))
        a = Node(args.build_dir, os.path.join(tmp, "a"), ["-listen=1"])
        nodes.append(a)
        b = Node(args.build_dir, os.path.join(tmp, "b"), [])
        nodes.append(b)
        a.rpc.createwallet("alice")
        b.rpc.createwallet("bob")
        bob_addr = wallet(b, "bob").getnewaddress()
        alice = wallet(a, "alice")
        alice.getnewaddress()
        t0 = time.monotonic()
        sent = 0
        for i in range(0, args.messages, 500):
            n = min(500, args.messages - i)
            batch(alice, [("chat_send", [bob_addr, "message %d of the day" % (i + k)])
                          for k in range(n)])
            sent += n
        t_send = time.monotonic() - t0
        assert a.rpc.chat_getinfo()["messages"] == args.messages
        print("node A: %d messages sent in %.1f s (sealed, signed, stamped, kept)"
              % (sent, t_send), flush=True)
        t0 = time.monotonic()
        b.rpc.addnode("127.0.0.1:%d" % a.p2p_port, "onetry")
        while True:
            have = b.rpc.chat_getinfo()["messages"]
            if have == args.messages:
                break
            if time.monotonic() - t0 > 600:
                raise RuntimeError("node B holds %d of %d after 600 s" % (have, args.messages))
            time.sleep(0.05)
        t_store = time.monotonic() - t0
        while True:
            unread = sum(t["unread"] for t in wallet(b, "bob").chat_threads())
            if unread == args.messages:
                break
            if time.monotonic() - t0 > 600:
                raise RuntimeError("bob's wallet holds %d of %d" % (unread, args.messages))
            time.sleep(0.05)
        t_wallet = time.monotonic() - t0
        print("node B: caught up on %d messages in %.2f s (%.0f/s) into its store, %.2f s into "
              "its wallet (target < 10 s)" % (args.messages, t_store, args.messages / t_store,
                                               t_wallet), flush=True)
    finally:
        for n in nodes:
            n.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

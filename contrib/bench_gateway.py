#!/usr/bin/env python3
"""The web app's calls under load, through the gateway (doc/benchmarks.md,
"Gateway").

    contrib/bench_gateway.py [--build-dir build] [--listings 100000]
                             [--clients 32] [--searches 100] [--keep DIR]

Starts a regtest soukd with the gateway in a temporary datadir, fills the
market with --listings listings (signed by the node's wallet, in batches,
mined into blocks), signs up one account and has --clients threads, each
with its own keep-alive connection, send --searches market_searchlistings
calls each through POST /api/rpc — two words drawn from the titles'
vocabulary, a page of 24, as the shop page asks — at once. Prints the
median, p90, p99 and worst latency and the calls per second (target: p99
under 50 ms at 100,000 listings and 32 clients). --keep DIR keeps the
node's datadir in DIR and reuses a market already filled there, so runs
after the first start at once. Standard library only.
"""

import argparse
import http.client
import json
import multiprocessing
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_rpc import AuthServiceProxy, Node, batch, free_port, read_cookie  # noqa: E402

WORDS = ("oak walnut pine brass copper steel glass linen wool leather chair table lamp shelf "
         "desk stool bench mirror vase bowl jug cup plate rug cushion blanket clock frame "
         "basket box red green blue black white small large antique modern handmade vintage "
         "folding round square tall low").split()


def title(rng):
    return " ".join(rng.choice(WORDS) for _ in range(4))


def fill(node, n):
    rpc = node.rpc
    rpc.createwallet("seller")
    cookie = read_cookie(os.path.join(node.datadir, "regtest", ".cookie"))
    w = AuthServiceProxy("127.0.0.1", node.rpc_port, cookie, 600, path="/wallet/seller")
    addr = w.getnewaddress()
    miner = rpc.getnewkeypair()["address"]
    rpc.generatetoaddress(101, addr)
    rng = random.Random(7)
    done = 0
    t0 = time.monotonic()
    while done < n:
        k = min(5000, n - done)
        calls = [("walletcreatetransaction",
                  ["listing_create", {"title": title(rng), "description": "Item %d" % (done + i),
                                      "category": rng.choice(("furniture", "lighting", "home")),
                                      "price": 1 + rng.randrange(100), "quantity": 5,
                                      "media": [], "expires_at_height": 0}, {"fee": "0.00002"}])
                 for i in range(k)]
        batch(w, calls)
        rpc.generatetoaddress(1, miner)
        while rpc.getmempoolinfo()["size"] > 0:
            rpc.generatetoaddress(1, miner)
        done += k
        print("  %d listings (%.0f s)" % (done, time.monotonic() - t0), flush=True)
    # the search index catches up before the clock starts
    end = time.monotonic() + 600
    while rpc.market_listlistings({"limit": 1})["total"] < n:
        if time.monotonic() > end:
            raise RuntimeError("the market index did not catch up")
        time.sleep(1)


class Client:
    def __init__(self, port, cookie, csrf):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Content-Type": "application/json", "Cookie": cookie, "X-CSRF-Token": csrf}

    def call(self, method, params):
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        self.conn.request("POST", "/api/rpc", body, self.headers)
        r = self.conn.getresponse()
        data = json.loads(r.read())
        if r.status != 200 or data.get("error"):
            raise RuntimeError("%s: %s" % (r.status, data))
        return data["result"]


def client_process(port, cookie, csrf, n, first_seed, searches, ready, go, out):
    """n clients on threads of this process; puts their latencies on out."""
    clients = [Client(port, cookie, csrf) for _ in range(n)]
    times = []
    lock = threading.Lock()
    start = threading.Barrier(n + 1)

    def run(c, seed):
        rng = random.Random(seed)
        mine = []
        start.wait()
        for _ in range(searches):
            q = rng.choice(WORDS) + " " + rng.choice(WORDS)
            t = time.perf_counter()
            c.call("market_searchlistings", [q, {"limit": 24}])
            mine.append(time.perf_counter() - t)
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=run, args=(c, first_seed + i)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    ready.wait()
    go.wait()
    start.wait()
    for t in threads:
        t.join()
    out.put(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default=os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), "build"))
    ap.add_argument("--listings", type=int, default=100000)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--searches", type=int, default=100)
    ap.add_argument("--keep", metavar="DIR", help="keep the datadir here and reuse its market")
    ap.add_argument("--processes", type=int, default=0,
                    help="client processes (default: one per core, at most 4)")
    args = ap.parse_args()
    tmp = args.keep or tempfile.mkdtemp(prefix="souk-bench-gateway-")
    os.makedirs(tmp, exist_ok=True)
    gwport = free_port()
    node = None
    try:
        node = Node(args.build_dir, tmp, ["-gateway", "-gatewayport=%d" % gwport,
                                          "-rpcthreads=4", "-maxmempool=1000"])
        have = node.rpc.market_listlistings({"limit": 1})["total"]
        if have < args.listings:
            if have > 0:
                raise RuntimeError("%s holds %d listings, not %d" % (tmp, have, args.listings))
            print("filling the market with %d listings" % args.listings, flush=True)
            fill(node, args.listings)
        conn = http.client.HTTPConnection("127.0.0.1", gwport, timeout=60)
        login = {"username": "bench", "password": "bench-pass-1"}
        conn.request("POST", "/api/signup", json.dumps(login), {"Content-Type": "application/json"})
        r = conn.getresponse()
        reply = json.loads(r.read())
        if r.status == 409 or (r.status != 200 and args.keep):
            conn.request("POST", "/api/login", json.dumps(login),
                         {"Content-Type": "application/json"})
            r = conn.getresponse()
            reply = json.loads(r.read())
        cookie = r.getheader("Set-Cookie").split(";", 1)[0]
        # The clients are people with browsers of their own: processes of
        # a few threads each, so that one interpreter's lock does not
        # queue them and add its own wait to the latencies measured.
        procs = min(args.clients, os.cpu_count() or 1, 4) if args.processes == 0 else args.processes
        share = [args.clients // procs + (1 if i < args.clients % procs else 0) for i in range(procs)]
        ctx = multiprocessing.get_context("fork")
        ready, go, out = ctx.Barrier(procs + 1), ctx.Event(), ctx.Queue()
        workers = [ctx.Process(target=client_process,
                               args=(gwport, cookie, reply["csrf"], share[i], sum(share[:i]),
                                     args.searches, ready, go, out))
                   for i in range(procs)]
        for w in workers:
            w.start()
        ready.wait()
        t0 = time.perf_counter()
        go.set()
        times = []
        for _ in workers:
            times.extend(out.get())
        wall = time.perf_counter() - t0
        for w in workers:
            w.join()
        times.sort()
        q = statistics.quantiles(times, n=100)
        print("market_searchlistings through /api/rpc, %d listings, %d clients x %d calls "
              "(%d client processes):" % (args.listings, args.clients, args.searches, procs))
        print("  median %.1f ms, p90 %.1f ms, p99 %.1f ms, worst %.1f ms; %.0f calls/s"
              % (statistics.median(times) * 1e3, q[89] * 1e3, q[98] * 1e3, times[-1] * 1e3,
                 len(times) / wall))
        print("  load average: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))
    finally:
        if node is not None:
            node.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

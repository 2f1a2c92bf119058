#!/usr/bin/env python3
"""RPC throughput of soukd (doc/benchmarks.md, "RPC").

    contrib/bench_rpc.py [--build-dir build] [--rounds 5] [--seconds 3]
                         [--clients 16] [--senders 1000] [--txs 10000] [--skip-tx]

Starts a regtest soukd in a temporary datadir and measures, in one run:

(a) getblockcount requests per second with --clients concurrent keep-alive
    connections, against soukd and against a bare libevent evhttp server
    answering a fixed JSON reply (bench/rpc_bare.c), in alternating rounds
    of --seconds each; prints both medians and their ratio (target >= 0.8).
(b) sendrawtransaction of --txs pre-signed transfers from --senders funded
    accounts (--txs / --senders consecutive nonces each), over the same
    number of connections, each connection sending its senders' transactions
    in nonce order; prints accepted transactions per second (target >= 5,000).

The load comes from bench/rpc_load.c (one thread, poll()), compiled here
with cc like rpc_bare.c (which needs libevent's headers and -levent), so
that the client takes as little of the machine as it can. The transactions
are built and signed before the clock starts, with the node's own
createrawtransaction and signrawtransactionwithkey (batched), from keys of
getnewkeypair. Standard library only.
"""

import argparse
import base64
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "test", "functional"))
from test_framework.authproxy import AuthServiceProxy, read_cookie  # noqa: E402

MATURITY = 100
PER_FUNDER_BLOCK = 16  # transfers one funder sends per block (futures per sender are bounded)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def compile_c(tmp, name, libs):
    out = os.path.join(tmp, name)
    cmd = [os.environ.get("CC", "cc"), "-O2", "-o", out, os.path.join(ROOT, "bench", name + ".c")] + libs
    subprocess.run(cmd, check=True)
    return out


def load(loader, port, clients, auth, *mode):
    out = subprocess.run([loader, str(port), str(clients), auth] + [str(m) for m in mode],
                         check=True, capture_output=True, text=True).stdout.split()
    return int(out[1]), int(out[3]), float(out[5])


def cpu_seconds(pid):
    """User + system CPU time the process has used so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_port(port, proc, timeout=60):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError("server exited with %s" % proc.returncode)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("port %d never opened" % port)


class Node:
    def __init__(self, build_dir, tmp, extra):
        self.datadir = os.path.join(tmp, "node")
        os.makedirs(self.datadir, exist_ok=True)
        self.rpc_port = free_port()
        self.p2p_port = free_port()
        args = [os.path.join(build_dir, "soukd"), "-regtest", "-datadir=" + self.datadir,
                "-rpcport=%d" % self.rpc_port, "-port=%d" % self.p2p_port, "-bind=127.0.0.1",
                "-connect=0", "-printtoconsole=0"] + extra
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        cookie = os.path.join(self.datadir, "regtest", ".cookie")
        end = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("soukd exited with %s" % self.proc.returncode)
            try:
                self.rpc = AuthServiceProxy("127.0.0.1", self.rpc_port, read_cookie(cookie), 600)
                self.rpc.getblockcount()
                break
            except Exception:
                if time.monotonic() > end:
                    raise
                time.sleep(0.2)
        user, password = read_cookie(cookie)
        self.auth = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.rpc.stop()
            except Exception:
                self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def batch(rpc, calls):
    """calls: [(method, params)]; returns the results in order, raising on any error."""
    out = []
    for i in range(0, len(calls), 1000):
        reqs = [{"jsonrpc": "2.0", "method": m, "params": p, "id": i + j}
                for j, (m, p) in enumerate(calls[i:i + 1000])]
        replies = sorted(rpc.batch(reqs), key=lambda r: r["id"])
        for r in replies:
            if "error" in r:
                raise RuntimeError("%s: %s" % (calls[r["id"]][0], r["error"]))
            out.append(r["result"])
    return out


def bench_getblockcount(args, node, bare, bare_port, loader):
    body = json.dumps({"jsonrpc": "1.0", "method": "getblockcount", "params": [], "id": 1})
    souk, bare_rps = [], []
    cpu = {"soukd": [0.0, 0], "bare evhttp": [0.0, 0]}
    for r in range(args.rounds):
        for name, port, auth, pid, res in (("soukd", node.rpc_port, node.auth, node.proc.pid, souk),
                                           ("bare evhttp", bare_port, "-", bare.pid, bare_rps)):
            c0 = cpu_seconds(pid)
            n, ok, secs = load(loader, port, args.clients, auth, "repeat", args.seconds, body)
            cpu[name][0] += cpu_seconds(pid) - c0
            cpu[name][1] += n
            if ok != n:
                raise RuntimeError("%s: %d of %d replies were not successes" % (name, n - ok, n))
            res.append(n / secs)
            print("  round %d  %-12s %9.0f req/s" % (r + 1, name, n / secs), flush=True)
    s, b = statistics.median(souk), statistics.median(bare_rps)
    print("getblockcount, %d keep-alive clients: soukd %.0f req/s, bare evhttp %.0f req/s, "
          "ratio %.2f (target >= 0.8)" % (args.clients, s, b, s / b), flush=True)
    # CPU time per request depends far less on what else the machine runs.
    us = {k: 1e6 * v[0] / max(v[1], 1) for k, v in cpu.items()}
    print("CPU per request (user+system, all threads): soukd %.1f us, bare evhttp %.1f us, "
          "ratio %.2f" % (us["soukd"], us["bare evhttp"], us["bare evhttp"] / us["soukd"]), flush=True)
    return s, b


def bench_sendraw(args, node, loader, tmp):
    rpc = node.rpc
    nonces = args.txs // args.senders
    print("funding %d senders..." % args.senders, flush=True)
    keys = batch(rpc, [("getnewkeypair", [])] * args.senders)
    funders_needed = (args.senders + PER_FUNDER_BLOCK - 1) // PER_FUNDER_BLOCK
    funders = batch(rpc, [("getnewkeypair", [])] * funders_needed)
    miner = rpc.getnewkeypair()
    for f in funders:
        rpc.generatetoaddress(1, f["address"])
    rpc.generatetoaddress(MATURITY, miner["address"])
    # Each funder pays its senders: coinbase 50 coins, 16 x 1 coin + fees.
    for start in range(0, PER_FUNDER_BLOCK):
        calls = []
        for fi, f in enumerate(funders):
            si = fi * PER_FUNDER_BLOCK + start
            if si >= args.senders:
                continue
            calls.append(("createrawtransaction", [{
                "type": "transfer", "sender": f["pubkey"], "nonce": start,
                "payload": {"to": keys[si]["address"], "amount": "1", "memo": ""}}]))
        if not calls:
            break
        raws = batch(rpc, calls)
        owners = [f for fi, f in enumerate(funders) if fi * PER_FUNDER_BLOCK + start < args.senders]
        signed = batch(rpc, [("signrawtransactionwithkey", [raw, f["privkey"]])
                             for raw, f in zip(raws, owners)])
        batch(rpc, [("sendrawtransaction", [s["hex"]]) for s in signed])
        rpc.generatetoaddress(1, miner["address"])
    assert rpc.getrawmempool() == []
    print("signing %d transfers..." % (args.senders * nonces), flush=True)
    calls = []
    for n in range(nonces):
        for si, k in enumerate(keys):
            calls.append(("createrawtransaction", [{
                "type": "transfer", "sender": k["pubkey"], "nonce": n,
                "payload": {"to": keys[(si + 1) % len(keys)]["address"], "amount": "0.001",
                            "memo": ""}}]))
    raws = batch(rpc, calls)
    signed = batch(rpc, [("signrawtransactionwithkey", [raw, keys[i % len(keys)]["privkey"]])
                         for i, raw in enumerate(raws)])
    by_sender = [[] for _ in keys]
    for i, s in enumerate(signed):
        by_sender[i % len(keys)].append(s["hex"])
    # Connection c gets senders c, c + clients, ...: each sender's nonces
    # in order on one connection (rpc_load gives each connection a slice).
    path = os.path.join(tmp, "sendraw.txt")
    per_conn = [[] for _ in range(args.clients)]
    for si, txs in enumerate(by_sender):
        per_conn[si % args.clients].append(txs)
    with open(path, "w") as f:
        for lists in per_conn:
            for n in range(nonces):
                for txs in lists:
                    f.write(json.dumps({"jsonrpc": "1.0", "method": "sendrawtransaction",
                                        "params": [txs[n]], "id": 1}) + "\n")
    # Equal slices: pad nothing, the counts divide evenly when clients | senders.
    total = len(signed)
    n, ok, secs = load(loader, node.rpc_port, args.clients, node.auth, "file", path)
    in_pool = len(rpc.getrawmempool())
    print("sendrawtransaction: %d transfers from %d senders over %d connections: %d accepted "
          "in %.2f s, %.0f tx/s (target >= 5000); mempool holds %d"
          % (total, args.senders, args.clients, ok, secs, ok / secs, in_pool), flush=True)
    return ok, secs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--senders", type=int, default=1000)
    ap.add_argument("--txs", type=int, default=10000)
    ap.add_argument("--skip-tx", action="store_true")
    ap.add_argument("soukd_args", nargs="*", help="extra soukd options (after --)")
    args = ap.parse_args()
    print("load: %s" % open("/proc/loadavg").read().strip(), flush=True)
    tmp = tempfile.mkdtemp(prefix="bench_rpc_")
    node = bare = None
    try:
        bare_bin = compile_c(tmp, "rpc_bare", ["-levent"])
        loader = compile_c(tmp, "rpc_load", [])
        bare_port = free_port()
        bare = subprocess.Popen([bare_bin, str(bare_port)], stdout=subprocess.DEVNULL)
        wait_port(bare_port, bare)
        node = Node(args.build_dir, tmp, args.soukd_args)
        bench_getblockcount(args, node, bare, bare_port, loader)
        if not args.skip_tx:
            bench_sendraw(args, node, loader, tmp)
    finally:
        if node is not None:
            node.stop()
        if bare is not None:
            bare.kill()
            bare.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print("load: %s" % open("/proc/loadavg").read().strip(), flush=True)


if __name__ == "__main__":
    main()

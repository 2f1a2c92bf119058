#!/usr/bin/env python3
"""souk-cli against a running node: same results as raw RPC, -named,
arguments converted by the types the server declares (getrpcschema: a
string argument stays a string, an int argument that is not one is refused
by souk-cli), RPC errors on stderr with a non-zero exit, bad credentials,
no server, and -rpcwait. A fake server shows what souk-cli puts on the
wire, and that it falls back to "JSON if it parses" when the server has no
getrpcschema or does not know the method."""

import http.server
import json
import os
import subprocess
import threading

from test_framework.test_framework import SoukTestFramework
from test_framework.test_node import CliError
from test_framework.util import assert_equal, assert_raises_message, wait_until

RPC_INVALID_PARAMETER = -8
RPC_METHOD_NOT_FOUND = -32601


class FakeServer:
    """A JSON-RPC server on a free port that records each request souk-cli
    sends. getrpcschema answers from `schemas` ({method: [args]}; -8 for a
    method not in it), or -32601 when schemas is None (a soukd without
    getrpcschema); any other method returns its params as they arrived."""

    def __init__(self, schemas):
        self.schemas = schemas
        self.requests = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(req)
                reply = {"result": None, "error": None, "id": req.get("id")}
                if req["method"] != "getrpcschema":
                    reply["result"] = req["params"]
                elif outer.schemas is None:
                    reply["error"] = {"code": RPC_METHOD_NOT_FOUND, "message": "Method not found"}
                elif req["params"][0] in outer.schemas:
                    name = req["params"][0]
                    reply["result"] = {name: outer.schemas[name]}
                else:
                    reply["error"] = {"code": RPC_INVALID_PARAMETER, "message": "Method not found"}
                data = json.dumps(reply).encode()
                self.send_response(200 if reply["error"] is None else 500)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


class InterfaceCliTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]
        self.log.info("results match raw RPC")
        assert_equal(node.cli("help"), node.help())
        assert_equal(node.cli("help", "uptime"), node.help("uptime"))
        info = node.cli("getrpcinfo")
        assert_equal(info["logpath"], node.getrpcinfo()["logpath"])
        assert isinstance(node.cli("uptime"), int)

        self.log.info("-version: both programs print their version and exit 0")
        import re
        import subprocess
        from test_framework.test_node import Binaries
        bins = Binaries()
        subversion = node.getnetworkinfo()["subversion"]      # "/souk:0.1.0/"
        for path, name in ((bins.soukd, "souk daemon"), (bins.cli, "souk RPC client")):
            for flag in ("-version", "--version"):
                r = subprocess.run([path, flag], capture_output=True, text=True, timeout=30)
                assert_equal(r.returncode, 0)
                assert_equal(r.stderr, "")
                m = re.fullmatch(r"%s version (\S+)\n" % name, r.stdout)
                assert m, r.stdout
                assert_equal("/souk:%s/" % m.group(1), subversion)

        self.log.info("-named")
        assert_equal(node.cli("help", "command=uptime", named=True), node.help("uptime"))
        e = assert_raises_message(CliError, "nosuch", node.cli, "help", "nosuch=1", named=True)
        assert_equal(e.code, -8)

        self.log.info("-stdin")
        r = node.cli_raw("-stdin", "help", input="uptime\n")
        assert_equal(r.returncode, 0)
        assert_equal(r.stdout.strip(), node.help("uptime").strip())
        # A string parameter is a string however it looks, from stdin too.
        r = node.cli_raw("-stdin", "help", input="5\n")
        assert_equal((r.returncode, r.stdout.strip()), (0, "help: unknown command: 5"))

        self.test_getrpcschema(node)
        self.test_typed_args(node)
        self.test_wire()

        self.log.info("RPC errors: code and message on stderr, exit status 1")
        r = node.cli_raw("nosuchmethod")
        assert_equal(r.returncode, 1)
        assert_equal(r.stdout, "")
        e = assert_raises_message(CliError, "Method not found", node.cli, "nosuchmethod")
        assert_equal(e.code, -32601)
        # An unknown method with arguments: the server's own answer reaches the user.
        e = assert_raises_message(CliError, "Method not found", node.cli, "nosuchmethod", "2024", "x")
        assert_equal(e.code, -32601)
        e = assert_raises_message(CliError, "Too many parameters", node.cli, "uptime", "1")
        assert_equal(e.code, -32602)

        self.log.info("bad credentials and a missing server fail clearly")
        r = node.cli_raw("-rpcuser=x", "-rpcpassword=y", "uptime")
        assert_equal(r.returncode, 1)
        assert r.stderr.strip(), "no message for bad credentials"
        self.log.debug("bad credentials: %s", r.stderr.strip())
        free = node.rpc_port + 1 if node.rpc_port + 1 != node.p2p_port else node.rpc_port + 2
        r = node.cli_raw("-rpcport=%d" % free, "uptime")
        assert_equal(r.returncode, 1)
        assert r.stderr.strip(), "no message when no server listens"
        self.log.debug("no server: %s", r.stderr.strip())

        self.log.info("-rpcwait waits for the node to come up")
        node.stop_node()
        waiter = subprocess.Popen([self.binaries.cli, "-datadir=" + node.datadir, "-rpcwait", "uptime"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            # What is tested is that it keeps waiting: it must still be running a second later.
            try:
                waiter.wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass
            assert waiter.poll() is None, "souk-cli -rpcwait returned before the node started: %s" % (
                waiter.communicate())
            node.start_and_wait()
            out, err = waiter.communicate(timeout=60)
        finally:
            if waiter.poll() is None:
                waiter.kill()
                waiter.wait()
        assert_equal(waiter.returncode, 0)
        assert int(out.strip()) >= 0

        self.log.info("stop through souk-cli")
        assert_equal(node.cli("stop"), "souk stopping")
        node.wait_for_stop()
        wait_until(lambda: not os.path.exists(node.cookie_path), timeout=10)

    def test_getrpcschema(self, node):
        self.log.info("getrpcschema: one method, all methods, an unknown one")
        want = {"getblockhash": [{"name": "height", "type": "int", "optional": False}]}
        assert_equal(node.cli("getrpcschema", "getblockhash"), want)
        assert_equal(node.getrpcschema("getblockhash"), want)
        assert_equal(node.cli("getrpcschema", "getblock"),
                     {"getblock": [{"name": "blockhash", "type": "hash", "optional": False},
                                   {"name": "verbosity", "type": "any", "optional": True}]})
        e = assert_raises_message(CliError, "Method not found: nosuch", node.cli, "getrpcschema", "nosuch")
        assert_equal(e.code, RPC_INVALID_PARAMETER)
        # Without a name: exactly the methods help lists, each with its arguments.
        everything = node.cli("getrpcschema")
        listed = {line.split()[0] for line in node.help().splitlines()
                  if line.strip() and not line.startswith("==")}
        assert_equal(set(everything), listed)
        assert_equal(everything["getblockhash"], want["getblockhash"])
        types = {"string", "int", "number", "bool", "amount", "hex", "hash", "object", "array", "any"}
        for method, params in everything.items():
            for p in params:
                assert_equal(set(p), {"name", "type", "optional"})
                assert p["type"] in types, (method, p)
                assert isinstance(p["optional"], bool), (method, p)

    def test_typed_args(self, node):
        self.log.info("string parameters stay strings: help, a wallet named 2024, a message 2024")
        assert_equal(node.cli("help", "5"), "help: unknown command: 5")
        assert_equal(node.cli("help", '"stop"'), 'help: unknown command: "stop"')
        assert_equal(node.cli("createwallet", "2024")["name"], "2024")
        assert "2024" in node.listwallets()
        w = "-rpcwallet=2024"
        addr = node.cli(w, "getnewaddress")
        sig = node.cli(w, "signmessage", addr, "2024")
        assert_equal(node.verifymessage(addr, sig, "2024"), True)
        assert_equal(node.verifymessage(addr, sig, "2025"), False)
        assert_equal(node.cli("verifymessage", addr, sig, "2024"), True)
        assert_equal(node.cli("verifymessage", addr, sig, "2024.0"), False)

        self.log.info("-named: string parameters that look like numbers stay strings")
        assert_equal(node.cli("createwallet", "wallet_name=007", named=True)["name"], "007")
        assert "007" in node.listwallets()
        sig = node.cli(w, "signmessage", "address=" + addr, "message=0.5", named=True)
        assert_equal(node.verifymessage(addr, sig, "0.5"), True)
        assert_equal(node.cli("verifymessage", "message=0.5", "signature=" + sig, "address=" + addr,
                              named=True), True)
        assert_equal(node.cli("help", "command=true", named=True), "help: unknown command: true")

        self.log.info("int, bool and JSON parameters are parsed; what does not parse is refused by souk-cli")
        genesis = node.getblockhash(0)
        assert_equal(node.cli("getblockhash", "0"), genesis)
        assert_equal(node.cli("getblock", genesis, "0"), node.getblock(genesis, 0))
        assert_equal(node.cli("getblockhash", "height=0", named=True), genesis)
        for args, named in [(["getblockhash", "abc"], False), (["getblockhash", "1.5"], False),
                            (["getblockhash", '"0"'], False), (["getblockhash", "height=x"], True)]:
            r = node.cli_raw(*((["-named"] if named else []) + args))
            assert_equal(r.returncode, 1)
            assert_equal(r.stdout, "")
            assert "argument 'height' of getblockhash" in r.stderr, r.stderr
            want = "must be an integer, got '1.5'" if "1.5" in args else "expected int"
            assert want in r.stderr, r.stderr
            # Refused before sending: no RPC error code in the output.
            assert "error code:" not in r.stderr, r.stderr
        self.log.debug("refused: %s", r.stderr.strip())

    def test_wire(self):
        self.log.info("on the wire, against a fake server: each type, -named, -stdin, refusals")
        node = self.nodes[0]
        schema = [{"name": "s", "type": "string", "optional": False},
                  {"name": "i", "type": "int", "optional": True},
                  {"name": "a", "type": "amount", "optional": True},
                  {"name": "j", "type": "any", "optional": True},
                  {"name": "b", "type": "bool", "optional": True},
                  {"name": "f", "type": "some type from the future", "optional": True}]
        conn = ["-rpcconnect=127.0.0.1", "-rpcuser=u", "-rpcpassword=p"]

        def run(fake, method, *args, opts=(), input=None):
            fake.requests.clear()
            return node.cli_raw(*conn, "-rpcport=%d" % fake.port, *opts, method, *args, input=input)

        def sent(fake, method, *args, opts=(), input=None):
            """souk-cli against the fake: the params of the call it made, after getrpcschema."""
            r = run(fake, method, *args, opts=opts, input=input)
            assert r.returncode == 0, r.stderr
            assert_equal([q["method"] for q in fake.requests], ["getrpcschema", method])
            assert_equal(fake.requests[0]["params"], [method])
            return fake.requests[1]["params"]

        fake = FakeServer({"echo": schema})
        try:
            assert_equal(sent(fake, "echo", "2024", "7", "1.5", "[1]", "true", "x"),
                         ["2024", 7, 1.5, [1], True, "x"])
            # null is "not given" for every type but strings.
            assert_equal(sent(fake, "echo", "null", "null", "null", "null", "null"),
                         ["null", None, None, None, None])
            # Amounts: a number when a double carries it exactly, else a string (the
            # server parses string amounts exactly, or refuses them).
            assert_equal(sent(fake, "echo", "s", "1", "20999999.99999999"), ["s", 1, "20999999.99999999"])
            assert_equal(sent(fake, "echo", "s", "1", "1e3"), ["s", 1, "1e3"])
            assert_equal(sent(fake, "echo", "s", "1", "3"), ["s", 1, 3])
            assert_equal(sent(fake, "echo", "i=3", "s=05", "a=0.5", "f=[2]", "zz=true", opts=["-named"]),
                         {"i": 3, "s": "05", "a": 0.5, "f": [2], "zz": True})
            assert_equal(sent(fake, "echo", opts=["-stdin"], input="2024\n7\n"), ["2024", 7])
            # Refused by souk-cli, naming the argument and the type: the call is never sent.
            for args, opts, arg, what in [(["s", "seven"], [], "'i'", "int"),
                                          (["s", "1", "1", "1", "yes"], [], "'b'", "bool"),
                                          (["b=1"], ["-named"], "'b'", "bool")]:
                r = run(fake, "echo", *args, opts=opts)
                assert_equal(r.returncode, 1)
                assert "argument %s of echo: expected %s" % (arg, what) in r.stderr, r.stderr
                assert_equal([q["method"] for q in fake.requests], ["getrpcschema"])
            # A method the server does not know (-8): sent as before (JSON if it parses).
            assert_equal(sent(fake, "other", "2024", "abc", "[1]"), [2024, "abc", [1]])
        finally:
            fake.stop()

        self.log.info("a server without getrpcschema (-32601): arguments go as JSON when they parse")
        fake = FakeServer(None)
        try:
            assert_equal(sent(fake, "echo", "2024", "abc", "true"), [2024, "abc", True])
            assert_equal(sent(fake, "echo", "s=2024", opts=["-named"]), {"s": 2024})
        finally:
            fake.stop()

if __name__ == "__main__":
    InterfaceCliTest().main()

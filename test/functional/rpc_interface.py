#!/usr/bin/env python3
"""JSON-RPC interface: authentication, 1.0 and 2.0 reply shapes, batches,
named parameters, and every kind of malformed request, plus help, uptime
and stop."""

import base64
import hashlib
import hmac
import json
from decimal import Decimal
import os
import stat
import threading
import time

from test_framework.test_framework import SoukTestFramework
from test_framework.authproxy import read_cookie
from test_framework.util import (assert_equal, assert_greater_than_or_equal,
                                 assert_raises_rpc_error, wait_until)

RPC_TYPE_ERROR = -3
RPC_INVALID_PARAMETER = -8
RPC_PARSE_ERROR = -32700
RPC_INVALID_REQUEST = -32600
RPC_METHOD_NOT_FOUND = -32601
RPC_INVALID_PARAMS = -32602


class RPCInterfaceTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def post(self, body, **kw):
        """Raw POST with the node's cookie; returns (status, headers, parsed JSON or None)."""
        status, headers, data = self.rpc.raw_request(body, **kw)
        try:
            parsed = json.loads(data.decode()) if data else None
        except ValueError:
            parsed = None
        return status, headers, data, parsed

    def run_test(self):
        node = self.nodes[0]
        self.rpc = node.make_rpc()
        self.test_cookie()
        self.test_auth()
        self.test_jsonrpc_10()
        self.test_jsonrpc_20()
        self.test_batch()
        self.test_named_args()
        self.test_malformed()
        self.test_param_types()
        self.test_http()
        self.test_help()
        self.test_uptime()
        self.test_concurrency()
        self.test_stop()
        self.test_user_password()
        self.test_rpcauth()

    def test_cookie(self):
        self.log.info("cookie file: format and mode")
        node = self.nodes[0]
        user, password = read_cookie(node.cookie_path)
        assert_equal(user, "__cookie__")
        assert_equal(len(password), 64)
        int(password, 16)
        assert_equal(password, password.lower())
        assert_equal(stat.S_IMODE(os.stat(node.cookie_path).st_mode), 0o600)

    def test_auth(self):
        self.log.info("auth: good, wrong password, wrong user, missing, malformed -> 401")
        node = self.nodes[0]
        assert_greater_than_or_equal(node.uptime(), 0)
        good = read_cookie(node.cookie_path)
        req = json.dumps({"method": "uptime", "params": [], "id": 1})
        status, _, data, parsed = self.post(req)
        assert_equal(status, 200)
        assert_equal(parsed["error"], None)
        t0 = time.monotonic()
        for auth in [(good[0], "0" * 64), ("__cookie__", ""), ("someone", good[1]), ("", ""),
                     (good[0], good[1] + "0"), (good[0], good[1][:-1])]:
            status, _, data = self.rpc.raw_request(req, auth=auth)
            assert_equal(status, 401)
            assert not data or b'"result"' not in data
        status, headers, data = self.rpc.raw_request(req, use_auth=False)
        assert_equal(status, 401)
        assert_equal(headers.get("www-authenticate"), 'Basic realm="jsonrpc"')
        for header in ["Basic", "Basic !!!notbase64", "Bearer " + base64.b64encode(b"a:b").decode(),
                       "Basic " + base64.b64encode(b"no-colon").decode(), "basic"]:
            status, _, _ = self.rpc.raw_request(req, headers={"Authorization": header})
            assert_equal(status, 401)
        self.log.debug("%d rejected logins took %.2fs", 12, time.monotonic() - t0)
        # A good login still works after failures.
        assert_greater_than_or_equal(node.uptime(), 0)

    def test_jsonrpc_10(self):
        self.log.info("JSON-RPC 1.0: result, error and id always present")
        for extra in ({}, {"jsonrpc": "1.0"}):
            body = dict(extra, method="uptime", params=[], id="abc")
            status, _, _, r = self.post(json.dumps(body))
            assert_equal(status, 200)
            assert_equal(set(r), {"result", "error", "id"})
            assert_equal(r["id"], "abc")
            assert_equal(r["error"], None)
            assert isinstance(r["result"], int)
            body = dict(extra, method="nosuchmethod", params=[], id=7)
            status, _, _, r = self.post(json.dumps(body))
            assert_equal(set(r), {"result", "error", "id"})
            assert_equal(r["result"], None)
            assert_equal(r["id"], 7)
            assert_equal(r["error"]["code"], RPC_METHOD_NOT_FOUND)
            assert_equal(status, 404)  # bitcoind's HTTP status for an unknown method in 1.0
            # Other 1.0 errors are HTTP 500, like bitcoind.
            status, _, _, r = self.post(json.dumps(dict(extra, method="help", params=[5], id=8)))
            assert_equal(status, 500)
            assert_equal(r["error"]["code"], RPC_TYPE_ERROR)
        # No id at all in 1.0: answered, with "id": null.
        _, _, _, r = self.post(json.dumps({"method": "uptime", "params": []}))
        assert_equal(r["id"], None)
        assert_equal(r["error"], None)
        # An invalid 1.0 request is HTTP 400.
        status, _, _, r = self.post(json.dumps({"params": [], "id": 1}))
        assert_equal(status, 400)
        assert_equal(r["error"]["code"], RPC_INVALID_REQUEST)
        # A null id and a structured id are echoed as given.
        for rid in (None, 0, [1, 2], {"x": 1}):
            _, _, _, r = self.post(json.dumps({"method": "uptime", "params": [], "id": rid}))
            assert_equal(r["id"], rid)

    def test_jsonrpc_20(self):
        self.log.info("JSON-RPC 2.0: result xor error, HTTP 200, notifications get no reply")
        _, _, _, r = self.post(json.dumps({"jsonrpc": "2.0", "method": "uptime", "params": [], "id": 1}))
        assert_equal(set(r), {"jsonrpc", "result", "id"})
        assert_equal(r["jsonrpc"], "2.0")
        status, _, _, r = self.post(json.dumps({"jsonrpc": "2.0", "method": "nosuch", "params": [], "id": 2}))
        assert_equal(status, 200)
        assert_equal(set(r), {"jsonrpc", "error", "id"})
        assert_equal(r["error"]["code"], RPC_METHOD_NOT_FOUND)
        assert_equal(r["id"], 2)
        # Without params at all the call works too.
        _, _, _, r = self.post(json.dumps({"jsonrpc": "2.0", "method": "uptime", "id": 3}))
        assert isinstance(r["result"], int)
        # Notification: no id -> no reply body.
        status, _, data, _ = self.post(json.dumps({"jsonrpc": "2.0", "method": "uptime", "params": []}))
        assert status in (200, 204), status
        assert_equal(data.strip(), b"")
        # An unknown version string is an invalid request.
        _, _, _, r = self.post(json.dumps({"jsonrpc": "3.0", "method": "uptime", "params": [], "id": 4}))
        assert_equal(r["error"]["code"], RPC_INVALID_REQUEST)

    def test_batch(self):
        self.log.info("batch: replies in order, errors per element, mixed versions")
        reqs = [self.rpc.request("uptime"), self.rpc.request("nosuchmethod"), self.rpc.request("help", "uptime")]
        replies = self.rpc.batch(reqs)
        assert_equal(len(replies), 3)
        by_id = {r["id"]: r for r in replies}
        assert_equal(sorted(by_id), sorted(q["id"] for q in reqs))
        assert_equal(by_id[reqs[0]["id"]]["error"], None)
        assert_equal(by_id[reqs[1]["id"]]["error"]["code"], RPC_METHOD_NOT_FOUND)
        assert "uptime" in by_id[reqs[2]["id"]]["result"]
        # One bad element does not spoil the others.
        status, _, _, r = self.post(json.dumps([{"method": "uptime", "params": [], "id": 1}, 42,
                                                {"jsonrpc": "2.0", "method": "uptime", "id": 3}]))
        assert_equal(status, 200)
        assert_equal(len(r), 3)
        assert_equal(r[0]["error"], None)
        assert_equal(r[1]["error"]["code"], RPC_INVALID_REQUEST)
        assert_equal(r[2]["jsonrpc"], "2.0")
        # A batch of 2.0 notifications only: nothing to answer with but an empty list or nothing.
        status, _, data, r = self.post(json.dumps([{"jsonrpc": "2.0", "method": "uptime"}]))
        assert r in (None, []), data
        # An empty batch is an invalid request.
        status, _, data, r = self.post(b"[]")
        assert_equal(r["error"]["code"], RPC_INVALID_REQUEST)

    def test_named_args(self):
        self.log.info("named parameters")
        positional = self.rpc.help("uptime")
        assert_equal(self.rpc.help(command="uptime"), positional)
        assert_raises_rpc_error(RPC_INVALID_PARAMETER, "Unknown named parameter", self.rpc.help, nosuch="x")
        # An empty object means "no parameters", like an empty array.
        _, _, _, r = self.post(json.dumps({"method": "uptime", "params": {}, "id": 1}))
        assert_equal(r["error"], None)
        # Named parameters inside a 2.0 request.
        _, _, _, r = self.post(json.dumps({"jsonrpc": "2.0", "method": "help", "params": {"command": "uptime"},
                                           "id": 2}))
        assert_equal(r["result"], positional)

    def test_malformed(self):
        self.log.info("malformed requests: bad JSON -32700, bad shapes -32600")
        for body in [b"{", b"{\"method\": \"uptime\"", b"not json", b"\xff\xfe", b"{\"method\":\"uptime\",}",
                     b"[", b"", b"{} {}"]:
            _, _, data, r = self.post(body)
            assert r is not None, "no JSON reply to %r: %r" % (body, data)
            assert_equal(r["error"]["code"], RPC_PARSE_ERROR)
        # A top-level value that is neither an object nor an array is a parse
        # error in bitcoind ("Top-level object parse error").
        for req in [42, "uptime", None, True]:
            _, _, data, r = self.post(json.dumps(req))
            assert r is not None, "no JSON reply to %r: %r" % (req, data)
            assert_equal(r["error"]["code"], RPC_PARSE_ERROR)
        for req in [{"params": [], "id": 1}, {"method": 5, "params": [], "id": 1},
                    {"method": None, "id": 1}, {"method": "uptime", "params": 5, "id": 1},
                    {"method": "uptime", "params": "x", "id": 1}, {"method": ["uptime"], "id": 1}]:
            _, _, data, r = self.post(json.dumps(req))
            assert r is not None, "no JSON reply to %r: %r" % (req, data)
            assert r["error"] is not None and r["error"]["code"] == RPC_INVALID_REQUEST, (req, r)
        # The node survives all of it.
        assert_greater_than_or_equal(self.rpc.uptime(), 0)

    def test_param_types(self):
        self.log.info("wrong parameter types and counts")
        assert_raises_rpc_error(RPC_TYPE_ERROR, None, self.rpc.help, 5)
        assert_raises_rpc_error(RPC_TYPE_ERROR, None, self.rpc.help, ["uptime"])
        assert_raises_rpc_error(RPC_TYPE_ERROR, None, self.rpc.help, {"a": 1})
        assert_raises_rpc_error(RPC_TYPE_ERROR, "command", self.rpc.help, True)
        assert_raises_rpc_error(RPC_TYPE_ERROR, "command", self.rpc.help, command=1.5)
        # A fractional height or count: "must be an integer", naming it.
        assert_raises_rpc_error(RPC_TYPE_ERROR, "height must be an integer, got 1.5",
                                self.rpc.getblockhash, Decimal("1.5"))
        assert_raises_rpc_error(RPC_TYPE_ERROR, "height must be an integer",
                                self.rpc.getblockhash, 2.0)
        # Too many parameters: invalid params, naming the method.
        assert_raises_rpc_error(RPC_INVALID_PARAMS, "uptime", self.rpc.uptime, 1)
        assert_raises_rpc_error(RPC_INVALID_PARAMS, "help", self.rpc.help, "uptime", "extra")
        # null for an optional parameter means "not given"; trailing nulls are ignored.
        assert_equal(self.rpc.help(None), self.rpc.help())
        assert_equal(self.rpc.help("uptime", None), self.rpc.help("uptime"))
        _, _, _, r = self.post(json.dumps({"method": "uptime", "params": None, "id": 1}))
        assert_equal(r["error"], None)

    def test_http(self):
        self.log.info("HTTP level: GET refused, unknown path 404")
        req = json.dumps({"method": "uptime", "params": [], "id": 1})
        status, _, _ = self.rpc.raw_request(req, method="GET")
        assert_equal(status, 405)
        status, _, _ = self.rpc.raw_request(req, path="/nosuchpath")
        assert_equal(status, 404)
        status, headers, _ = self.rpc.raw_request(req)
        assert_equal(status, 200)
        assert headers.get("content-type", "").startswith("application/json"), headers

    def test_help(self):
        self.log.info("help lists methods; help <method> explains one")
        text = self.rpc.help()
        for m in ("help", "stop", "uptime"):
            assert m in text, "help does not list %s" % m
        one = self.rpc.help("stop")
        assert "stop" in one
        assert one != text
        self.log.debug("help:\n%s\nhelp stop:\n%s", text, one)
        # Like bitcoind: a result text naming the unknown command, not an error.
        assert_equal(self.rpc.help("nosuchmethod"), "help: unknown command: nosuchmethod")

    def test_uptime(self):
        self.log.info("uptime counts seconds")
        a = self.rpc.uptime()
        assert isinstance(a, int)
        wait_until(lambda: self.rpc.uptime() > a, timeout=5)

    def test_concurrency(self):
        self.log.info("parallel clients")
        errors = []

        def worker():
            try:
                p = self.nodes[0].make_rpc()
                for _ in range(10):
                    p.uptime()
            except Exception as e:  # collected and re-raised on the main thread
                errors.append(e)
        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert_equal(errors, [])

    def test_stop(self):
        self.log.info("stop: replies, exits 0, removes the cookie")
        node = self.nodes[0]
        assert_equal(node.make_rpc().stop(), "souk stopping")
        node.wait_for_stop(expected_rc=0)
        assert not os.path.exists(node.cookie_path), ".cookie left behind"
        # A fresh start works on the same datadir and writes a new cookie.
        node.start_and_wait()
        assert_greater_than_or_equal(node.uptime(), 0)

    def _login_status(self, user, password):
        node = self.nodes[0]
        body = json.dumps({"method": "uptime", "params": [], "id": 1})
        return node.make_rpc(auth=(user, password)).raw_request(body)[0]

    def test_user_password(self):
        self.log.info("-rpcuser/-rpcpassword: no cookie, only that pair works")
        node = self.nodes[0]
        node.stop_node()
        node.start(["-rpcuser=alice", "-rpcpassword=s3cret#x"])
        node.rpc = None
        wait_until(lambda: self._try(lambda: self._login_status("alice", "s3cret#x") == 200), timeout=60)
        assert not os.path.exists(node.cookie_path), "cookie written although -rpcpassword is set"
        assert_equal(self._login_status("alice", "wrong"), 401)
        assert_equal(self._login_status("bob", "s3cret#x"), 401)
        assert_equal(self._login_status("__cookie__", "s3cret#x"), 401)
        node.make_rpc(auth=("alice", "s3cret#x")).stop()
        node.wait_for_stop()

    def test_rpcauth(self):
        self.log.info("-rpcauth=user:salt$hmac: the password works, the hash itself does not")
        node = self.nodes[0]
        salt = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
        digest = hmac.new(salt.encode(), b"hunter2", hashlib.sha256).hexdigest()
        # The second entry is doc/rpc.md's example (alice, "secret pass").
        node.start(["-rpcauth=carol:%s$%s" % (salt, digest),
                    "-rpcauth=alice:cb77f0957de88ff388cf817ddbc7273$"
                    "d91de97b04b1151a16ead9b0fac2e30764becd9c3144bf1bcccdfcd7428646cd"])
        # The cookie still exists alongside -rpcauth (as in bitcoind): wait on it.
        node.wait_for_rpc_connection()
        assert_equal(self._login_status("carol", "hunter2"), 200)
        assert_equal(self._login_status("carol", digest), 401)
        assert_equal(self._login_status("carol", "hunter3"), 401)
        assert_equal(self._login_status("dave", "hunter2"), 401)
        assert_equal(self._login_status("alice", "secret pass"), 200)
        assert_equal(self._login_status("alice", "hunter2"), 401)
        assert_equal(self._login_status("carol", "secret pass"), 401)

    @staticmethod
    def _try(fn):
        try:
            return fn()
        except OSError:
            return False


if __name__ == "__main__":
    RPCInterfaceTest().main()

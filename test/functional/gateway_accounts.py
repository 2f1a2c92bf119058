#!/usr/bin/env python3
"""The gateway (-gateway): the web app's files with a strict
Content-Security-Policy and no way out of -webdir; sign-up (the seed words
restore the account's wallet), login, logout, the session cookie's flags,
the same answer for a wrong username and a wrong password, login throttling
(429 with Retry-After, per account and per client address, never a lock
for good), sign-ups per client address, the CSRF header, session expiry (on the node's clock, and the
sweeper locking a wallet whose user walked away), password change (the old
password and old sessions stop working, the wallet opens with the new one),
account deletion (the wallet directory moved aside, not destroyed), the
/api/rpc allowlist, no way to reach another account's wallet, and the
1 MiB body cap; off by default, and a start that cannot bind its port
fails. doc/gateway.md describes all of it."""

import glob
import http.client
import http.cookiejar
import json
import os
import shutil
import socket
import time
import urllib.error
import urllib.request

from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, to_units, wait_until

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
       "form-action 'self'")
MATURITY = 100
ADMIN = ["stop", "generatetoaddress", "generateblock", "addnode", "setban", "loadwallet",
         "unloadwallet", "createwallet", "listwallets", "dumpseed", "dumpmnemonic",
         "importprivkey", "backupwallet", "walletpassphrase", "walletpassphrasechange",
         "walletlock", "encryptwallet", "rescanblockchain", "invalidateblock", "setmocktime",
         "submitblock", "help", "walletcreatetransaction", "sendrawtransaction", "gateway.refuse"]


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        return self.headers.get(name)


class Client:
    """One browser: a cookie jar and the CSRF token the API handed out."""

    def __init__(self, port):
        self.base = "http://127.0.0.1:%d" % port
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = None

    def request(self, method, path, body=None, headers=None, csrf=True, raw=None):
        h = dict(headers or {})
        data = None
        if raw is not None:
            data = raw
            h.setdefault("Content-Type", "application/json")
        elif body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        if csrf and self.csrf is not None:
            h.setdefault("X-CSRF-Token", self.csrf)
        req = urllib.request.Request(self.base + path, data=data, headers=h, method=method)
        try:
            with self.opener.open(req, timeout=60) as r:
                return Reply(r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:
            return Reply(e.code, e.headers, e.read())

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def signup(self, username, password):
        r = self.post("/api/signup", {"username": username, "password": password})
        if r.status == 200:
            self.csrf = r.json()["csrf"]
        return r

    def login(self, username, password):
        r = self.post("/api/login", {"username": username, "password": password})
        if r.status == 200:
            self.csrf = r.json()["csrf"]
        return r

    def rpc(self, method, params=None):
        r = self.post("/api/rpc", {"jsonrpc": "2.0", "id": 1, "method": method,
                                   "params": params if params is not None else []})
        assert r.status in (200, 401, 403), (r.status, r.body)
        return r

    def call(self, method, *params):
        r = self.rpc(method, list(params))
        assert_equal(r.status, 200)
        reply = r.json()
        if "error" in reply:
            raise AssertionError("%s: %s" % (method, reply["error"]))
        return reply["result"]

    def rpc_error(self, method, params=None):
        r = self.rpc(method, params)
        assert_equal(r.status, 200)
        return r.json()["error"]


def raw_get(port, path):
    """A GET with the path sent exactly as given (urllib would tidy it)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.putrequest("GET", path, skip_accept_encoding=True)
    conn.endheaders()
    r = conn.getresponse()
    reply = Reply(r.status, r.headers, r.read())
    conn.close()
    return reply


class GatewayAccountsTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def setup_network(self):
        # A web directory of the test's own, with a file beside it that
        # must never be served.
        self.site = os.path.join(self.options.tmpdir, "site")
        os.makedirs(os.path.join(self.site, "js"))
        with open(os.path.join(self.site, "index.html"), "w") as f:
            f.write("<!doctype html><title>shop</title>")
        with open(os.path.join(self.site, "js", "app.mjs"), "w") as f:
            f.write("export const x = 1;\n")
        with open(os.path.join(self.site, "style.css"), "w") as f:
            f.write("body{}\n")
        with open(os.path.join(self.site, "notes.txt"), "w") as f:
            f.write("not a served kind\n")
        with open(os.path.join(self.options.tmpdir, "secret.html"), "w") as f:
            f.write("operator secret\n")
        self.args = ["-gateway", "-webdir=" + self.site]
        self.add_nodes(1, [self.args])
        self.start_nodes()

    def run_test(self):
        self.node = self.nodes[0]
        self.port = self.node.gateway_port
        self.netdir = self.node.netdir
        self.test_static()
        self.test_signup()
        self.test_session_and_logout()
        self.test_wrong_login_and_throttle()
        self.test_csrf()
        self.test_rpc_allowlist()
        self.test_isolation()
        self.test_expiry()
        self.test_password_change()
        self.test_delete()
        self.test_body_cap()
        self.test_signup_throttle()
        self.test_sweeper()
        self.test_off_and_bad_port()

    # ---------------------------------------------------------------- static
    def test_static(self):
        self.log.info("Static files: types, security headers, 404s, no traversal")
        r = raw_get(self.port, "/")
        assert_equal(r.status, 200)
        assert_equal(r.body, b"<!doctype html><title>shop</title>")
        assert_equal(r.header("Content-Type"), "text/html; charset=utf-8")
        assert_equal(r.header("Content-Security-Policy"), CSP)
        assert_equal(r.header("X-Content-Type-Options"), "nosniff")
        assert_equal(r.header("Referrer-Policy"), "no-referrer")
        assert_equal(raw_get(self.port, "/js/app.mjs").header("Content-Type"),
                     "text/javascript; charset=utf-8")
        assert_equal(raw_get(self.port, "/style.css?v=3").header("Content-Type"),
                     "text/css; charset=utf-8")
        for path in ["/missing.html", "/notes.txt", "/js/", "/../secret.html",
                     "/%2e%2e/secret.html", "/js/..%2f..%2fsecret.html", "/js/../../secret.html",
                     "/.%2e/secret.html", "/%2E%2E%2Fsecret.html", "//etc/passwd",
                     "/..\\secret.html"]:
            r = raw_get(self.port, path)
            assert_equal(r.status, 404)
            assert b"operator secret" not in r.body
            # Every reply carries the policy, refusals included.
            assert_equal(r.header("Content-Security-Policy"), CSP)
        r = Client(self.port).post("/index.html", {})
        assert_equal(r.status, 405)
        # HEAD: the headers of GET, no body.
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        sock.sendall(b"HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        raw = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            raw += chunk
        sock.close()
        head, _, rest = raw.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head
        assert b"Content-Security-Policy: " + CSP.encode() in head
        assert b"Content-Length: 34\r\n" in head + b"\r\n", head
        assert_equal(rest, b"")
        # The gateway is not the RPC server: POST / is no JSON-RPC here.
        r = Client(self.port).post("/", raw=b'{"method":"getblockcount"}')
        assert_equal(r.status, 405)

    # ---------------------------------------------------------------- accounts
    def test_signup(self):
        self.log.info("Sign-up: the account, its wallet, the seed words once, the cookie")
        self.alice = Client(self.port)
        r = self.alice.signup("Alice", "correct horse battery")
        assert_equal(r.status, 200)
        body = r.json()
        assert_equal(body["username"], "alice")
        assert body["address"].startswith("rsouk1")
        words = body["seed"].split(" ")
        assert_equal(len(words), 24)
        self.alice_addr = body["address"]
        self.alice_seed = body["seed"]
        cookie = r.header("Set-Cookie")
        for flag in ["souk_session=", "Path=/", "HttpOnly", "SameSite=Strict"]:
            assert flag in cookie, cookie
        assert "Secure" not in cookie  # only with -gatewaysecurecookie
        assert_equal(r.header("Cache-Control"), "no-store")

        # The wallet is encrypted and the gateway's table holds no seed.
        info = self.node.wallet_rpc("gw-alice").getwalletinfo()
        assert info["encrypted"]
        with open(os.path.join(self.netdir, "gateway.sqlite"), "rb") as f:
            assert self.alice_seed.encode() not in f.read()

        # Funds for later, mined to the account's address.
        _, miner = self.new_key()
        self.node.generatetoaddress(1, self.alice_addr)
        self.node.generatetoaddress(MATURITY, miner)
        assert_equal(to_units(self.alice.call("getbalance")), 50 * 10**8)

        # The seed words restore the same wallet anywhere.
        self.node.createwallet("restored", "", "", self.alice_seed)
        restored = [a["address"] for a in self.node.wallet_rpc("restored").listaddresses()]
        assert self.alice_addr in restored
        self.node.unloadwallet("restored")

        self.log.info("Sign-up refusals")
        c = Client(self.port)
        r = c.signup("ALICE", "another password")
        assert_equal(r.status, 409)
        assert "taken" in r.json()["error"]
        assert_equal(c.signup("al ice", "long enough").status, 400)
        assert_equal(c.signup("ab", "long enough").status, 400)
        assert_equal(c.signup("bob", "short").status, 400)
        assert_equal(c.post("/api/signup", raw=b"not json").status, 400)
        r = c.post("/api/signup", raw=b'{"username":"bob","password":"long enough"}',
                   headers={"Content-Type": "text/plain"})
        assert_equal(r.status, 415)
        assert_equal(c.post("/api/signup", {"username": "bob"}).status, 400)
        assert_equal(c.request("GET", "/api/signup").status, 405)
        assert_equal(c.request("GET", "/api/nothing").status, 404)

        self.bob = Client(self.port)
        r = self.bob.signup("bob", "bobs password")
        assert_equal(r.status, 200)
        self.bob_addr = r.json()["address"]

    def test_session_and_logout(self):
        self.log.info("Session, logout, login")
        r = self.alice.request("GET", "/api/session")
        assert_equal(r.status, 200)
        assert_equal(r.json(), {"username": "alice", "address": self.alice_addr,
                                "csrf": self.alice.csrf})
        assert_equal(Client(self.port).request("GET", "/api/session").status, 401)

        r = self.alice.post("/api/logout")
        assert_equal(r.status, 204)
        assert "Max-Age=0" in r.header("Set-Cookie")
        assert_equal(self.alice.request("GET", "/api/session").status, 401)
        # Its wallet is locked and unloaded once no session of it is left.
        assert "gw-alice" not in self.node.listwallets()
        # A copy of the old cookie is worth nothing either.
        stale = Client(self.port)
        r = stale.login("alice", "correct horse battery")
        assert_equal(r.status, 200)
        assert_equal(r.json()["address"], self.alice_addr)
        token = [c.value for c in stale.jar if c.name == "souk_session"][0]
        stale.post("/api/logout")
        replay = Client(self.port)
        replay.csrf = stale.csrf
        r = replay.request("GET", "/api/session", headers={"Cookie": "souk_session=" + token})
        assert_equal(r.status, 401)

        r = self.alice.login("ALICE", "correct horse battery")
        assert_equal(r.status, 200)
        assert "gw-alice" in self.node.listwallets()
        assert_equal(to_units(self.alice.call("getbalance")), 50 * 10**8)

    def test_wrong_login_and_throttle(self):
        self.log.info("Wrong username and wrong password: the same answer")
        c = Client(self.port)
        r1 = c.login("alice", "wrong password")
        r2 = c.login("nobody", "wrong password")
        assert_equal(r1.status, 401)
        assert_equal(r2.status, 401)
        assert_equal(r1.json(), r2.json())
        assert_equal(c.login("alice", "wrong password 2").status, 401)

        self.log.info("Throttling per account: 5 failures, then 429 with Retry-After")
        carol = Client(self.port)
        assert_equal(carol.signup("carol", "carols password").status, 200)
        carol.post("/api/logout")
        for i in range(5):
            assert_equal(c.login("carol", "guess %d" % i).status, 401)
        r = c.login("carol", "guess 5")
        assert_equal(r.status, 429)
        assert int(r.header("Retry-After")) >= 1
        # While it waits, even the right password is not tried.
        assert_equal(carol.login("carol", "carols password").status, 429)
        # Another account is not slowed by carol's.
        other = Client(self.port)
        assert_equal(other.login("bob", "bobs password").status, 200)
        assert_equal(other.post("/api/logout").status, 204)
        # The wait ends: the real user gets in, which clears the count.
        time.sleep(int(r.header("Retry-After")) + 0.2)
        assert_equal(carol.login("carol", "carols password").status, 200)
        assert_equal(c.login("carol", "guess again").status, 401)

        self.log.info("Throttling per client address: 20 failures over any usernames")
        # carol's login cleared this address's count; "guess again" is one.
        for i in range(18):
            assert_equal(c.login("user%d" % i, "wrong password").status, 401)
        r = c.login("user19", "wrong password")
        assert_equal(r.status, 401)
        r = c.login("someone", "wrong password")
        assert_equal(r.status, 429)
        # Not for good: on the node's clock the wait passes.
        self.node.setmocktime(int(time.time()) + int(r.header("Retry-After")) + 5)
        r = carol.login("carol", "carols password")
        assert_equal(r.status, 200)
        self.node.setmocktime(0)

    def test_csrf(self):
        self.log.info("CSRF: state changes need the session's token in X-CSRF-Token")
        r = self.alice.rpc("getbalance")
        assert_equal(r.status, 200)
        for headers in [{"X-CSRF-Token": ""}, {"X-CSRF-Token": "0" * 64},
                        {"X-CSRF-Token": self.bob.csrf}]:
            r = self.alice.post("/api/rpc", {"method": "getbalance"}, headers=headers)
            assert_equal(r.status, 403)
        r = self.alice.post("/api/rpc", {"method": "getbalance"}, csrf=False)
        assert_equal(r.status, 403)
        r = self.alice.post("/api/logout", csrf=False)
        assert_equal(r.status, 403)
        assert_equal(self.alice.request("GET", "/api/session").status, 200)  # still in
        r = self.alice.post("/api/password", {"old": "correct horse battery", "new": "x" * 10},
                            csrf=False)
        assert_equal(r.status, 403)
        # A form post from another site cannot even be JSON.
        r = Client(self.port).post("/api/login", raw=b"username=alice&password=x",
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert_equal(r.status, 415)

    def test_rpc_allowlist(self):
        self.log.info("/api/rpc: the allowlist, JSON-RPC 1.0 and 2.0, batches")
        assert_equal(self.alice.call("getblockcount"), MATURITY + 1)
        r = self.alice.post("/api/rpc", {"method": "getblockcount", "params": [], "id": 9})
        assert_equal(r.json(), {"result": MATURITY + 1, "error": None, "id": 9})
        for method in ADMIN:
            err = self.alice.rpc_error(method, [])
            assert_equal(err["code"], -32601)
            assert "not available through the gateway" in err["message"], err
        # JSON-RPC 1.0 answers a refusal like an unknown method.
        r = self.alice.post("/api/rpc", {"method": "stop", "params": [], "id": 1})
        assert_equal(r.status, 404)
        assert_equal(r.json()["error"]["code"], -32601)
        assert_equal(self.node.getblockcount(), MATURITY + 1)  # still running
        r = self.alice.post("/api/rpc", [
            {"jsonrpc": "2.0", "id": 1, "method": "getbalance"},
            {"jsonrpc": "2.0", "id": 2, "method": "dumpseed"},
            {"jsonrpc": "2.0", "id": 3, "method": "market_addmedia", "params": ["/etc/passwd"]},
            {"jsonrpc": "2.0", "id": 4, "method": "chat_sendfile",
             "params": {"address": self.bob_addr, "path_or_base64": "/etc/hostname"}}])
        replies = r.json()
        assert_equal([x["id"] for x in replies], [1, 2, 3, 4])
        assert_equal(to_units(replies[0]["result"]), 50 * 10**8)
        assert_equal(replies[1]["error"]["code"], -32601)
        assert_equal(replies[2]["error"]["code"], -8)
        assert "base64" in replies[2]["error"]["message"]
        assert_equal(replies[3]["error"]["code"], -8)
        r = self.alice.post("/api/rpc", raw=b"{not json")
        assert_equal(r.status, 500)
        assert_equal(r.json()["error"]["code"], -32700)
        # A photo sent as base64 goes through.
        png = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                            "1f15c4890000000d49444154789c6300010000000500010d0a2db40000"
                            "000049454e44ae426082")
        import base64
        media = self.alice.call("market_addmedia", base64.b64encode(png).decode())
        assert_equal(len(media["id"]), 64)

    def test_isolation(self):
        self.log.info("One account cannot reach another's wallet by any parameter")
        # A send from alice to bob, then each sees only their own side.
        txid = self.alice.call("sendtoaddress", self.bob_addr, 1)
        self.node.generatetoaddress(1, self.new_key()[1])
        assert_equal(to_units(self.bob.call("getbalance")), 10**8)
        assert txid in [t["txid"] for t in self.bob.call("listtransactions")]
        bob_addrs = [a["address"] for a in self.bob.call("listaddresses")]
        assert self.alice_addr not in bob_addrs
        # A wallet named in the params, the path or the query string.
        err = self.bob.rpc_error("getbalance", {"wallet": "gw-alice"})
        assert_equal(err["code"], -8)
        assert "Unknown named parameter" in err["message"]
        for path in ["/api/rpc/wallet/gw-alice", "/api/rpc/", "/api/wallet/gw-alice"]:
            r = self.bob.post(path, {"method": "getbalance"})
            assert_equal(r.status, 404)
        r = self.bob.post("/api/rpc?wallet=gw-alice", {"method": "getbalance", "id": 1})
        assert_equal(to_units(r.json()["result"]), 10**8)  # bob's own
        # Signing with alice's address: bob's wallet has no such key.
        err = self.bob.rpc_error("signmessage", [self.alice_addr, "hi"])
        assert err is not None
        # A forged cookie is no session.
        forged = Client(self.port)
        forged.csrf = self.alice.csrf
        r = forged.post("/api/rpc", {"method": "getbalance"},
                        headers={"Cookie": "souk_session=" + "ab" * 32})
        assert_equal(r.status, 401)

    def test_expiry(self):
        self.log.info("Sessions end after 30 idle minutes on the node's clock")
        c = Client(self.port)
        assert_equal(c.login("bob", "bobs password").status, 200)
        now = int(time.time())
        self.node.setmocktime(now + 1700)
        assert_equal(c.request("GET", "/api/session").status, 200)  # used: still idle < 30 min
        self.node.setmocktime(now + 1700 + 1801)
        r = c.request("GET", "/api/session")
        assert_equal(r.status, 401)
        assert "ended" in r.json()["error"]
        assert_equal(c.rpc("getbalance").status, 401)
        # The other sessions of bob ended the same way; with none left the
        # wallet is locked and unloaded.
        assert_equal(self.bob.request("GET", "/api/session").status, 401)
        wait_until(lambda: "gw-bob" not in self.node.listwallets(), timeout=30)
        self.node.setmocktime(0)
        assert_equal(self.bob.login("bob", "bobs password").status, 200)
        # Alice (idle too, on that clock) logs in again.
        self.alice = Client(self.port)
        assert_equal(self.alice.login("alice", "correct horse battery").status, 200)

    def test_password_change(self):
        self.log.info("Password change: re-encrypts the wallet, ends the other sessions")
        other = Client(self.port)
        assert_equal(other.login("alice", "correct horse battery").status, 200)
        r = self.alice.post("/api/password", {"old": "wrong old", "new": "new password 1"})
        assert_equal(r.status, 403)
        r = self.alice.post("/api/password", {"old": "correct horse battery", "new": "short"})
        assert_equal(r.status, 400)
        r = self.alice.post("/api/password", {"old": "correct horse battery",
                                              "new": "new password 1"})
        assert_equal(r.status, 200)
        assert_equal(r.json()["username"], "alice")
        old_csrf = self.alice.csrf
        self.alice.csrf = r.json()["csrf"]
        assert self.alice.csrf != old_csrf
        # This client goes on with its new session; the other is out.
        assert_equal(to_units(self.alice.call("getbalance")) > 0, True)
        assert_equal(other.request("GET", "/api/session").status, 401)
        self.alice.post("/api/logout")
        assert "gw-alice" not in self.node.listwallets()
        assert_equal(Client(self.port).login("alice", "correct horse battery").status, 401)
        assert_equal(self.alice.login("alice", "new password 1").status, 200)
        # The wallet opens with the new password: it can sign.
        self.alice.call("sendtoaddress", self.bob_addr, 1)
        # The operator's disk: the wallet does not open with the old key.
        info = self.node.wallet_rpc("gw-alice").getwalletinfo()
        assert info["encrypted"]

    def test_delete(self):
        self.log.info("Delete: the account goes, its wallet is moved aside, not destroyed")
        r = self.alice.post("/api/delete", {"password": "not it"})
        assert_equal(r.status, 403)
        assert_equal(self.alice.post("/api/delete", {"password": "new password 1"},
                                     csrf=False).status, 403)
        r = self.alice.post("/api/delete", {"password": "new password 1"})
        assert_equal(r.status, 200)
        assert_equal(r.json(), {"deleted": "alice"})
        assert "gw-alice" not in self.node.listwallets()
        assert not os.path.exists(os.path.join(self.netdir, "wallets", "gw-alice"))
        kept = glob.glob(os.path.join(self.netdir, "gateway-deleted", "gw-alice-*",
                                      "wallet.sqlite"))
        assert_equal(len(kept), 1)
        assert_equal(self.alice.request("GET", "/api/session").status, 401)
        assert_equal(Client(self.port).login("alice", "new password 1").status, 401)
        # The name is free again, for a new account with a new wallet.
        fresh = Client(self.port)
        r = fresh.signup("alice", "a new alice here")
        assert_equal(r.status, 200)
        assert r.json()["address"] != self.alice_addr
        # The old wallet is intact: the operator can still open it.
        dest = os.path.join(self.netdir, "wallets", "old-alice")
        shutil.copytree(os.path.dirname(kept[0]), dest)
        self.node.loadwallet("old-alice")
        addrs = [a["address"] for a in self.node.wallet_rpc("old-alice").listaddresses()]
        assert self.alice_addr in addrs
        self.node.unloadwallet("old-alice")

    def test_body_cap(self):
        self.log.info("Bodies over 1 MiB are refused before they are read")
        # The answer comes as soon as the headers announce the size.
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.putrequest("POST", "/api/rpc")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str((1 << 20) + 1))
        conn.endheaders()
        r = conn.getresponse()
        assert_equal(r.status, 413)
        conn.close()
        # Just under the cap is read (and refused for what it is).
        body = b'{"method":"getbalance","params":["' + b"a" * ((1 << 20) - 100) + b'"]}'
        r = self.bob.post("/api/rpc", raw=body)
        assert_equal(r.status, 500)
        assert_equal(r.json()["error"]["code"], -32602)
        assert_equal(self.bob.rpc("getbalance").status, 200)

    def test_signup_throttle(self):
        self.log.info("Sign-ups: 10 per client address, then each further one waits")
        # alice, bob, carol and the new alice so far.
        for i in range(6):
            c = Client(self.port)
            assert_equal(c.signup("shopper%d" % i, "shopper password").status, 200)
            assert_equal(c.post("/api/logout").status, 204)
        r = Client(self.port).signup("shopper6", "shopper password")
        assert_equal(r.status, 429)
        assert int(r.header("Retry-After")) >= 1
        self.node.setmocktime(int(time.time()) + int(r.header("Retry-After")) + 5)
        assert_equal(Client(self.port).signup("shopper6", "shopper password").status, 200)
        self.node.setmocktime(0)

    def test_sweeper(self):
        self.log.info("A user who walks away: the sweeper ends the session and locks the wallet")
        self.restart_node(0, self.args + ["-gatewaysessiontimeout=3"])
        c = Client(self.port)
        assert_equal(c.login("bob", "bobs password").status, 200)
        assert "gw-bob" in self.node.listwallets()
        wait_until(lambda: "gw-bob" not in self.node.listwallets(), timeout=30)
        assert_equal(c.request("GET", "/api/session").status, 401)

    def test_off_and_bad_port(self):
        self.log.info("Off by default; a port it cannot bind stops the start")
        self.restart_node(0, [])
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=5).close()
            raise AssertionError("the gateway port answers without -gateway")
        except ConnectionRefusedError:
            pass
        self.stop_node(0)
        self.node.assert_start_raises_init_error(
            self.args + ["-gatewayport=%d" % self.node.rpc_port],
            "-gatewaybind/-gatewayport %d" % self.node.rpc_port)


if __name__ == "__main__":
    GatewayAccountsTest().main()

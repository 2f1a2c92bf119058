"""JSON-RPC client for soukd over http.client.

    rpc = AuthServiceProxy("127.0.0.1", port, ("__cookie__", "abc..."))
    rpc.getblockcount()                 # positional params
    rpc.getblock(blockhash=h, verbosity=2)   # named params (a JSON object)
    rpc.batch([rpc.request("uptime"), rpc.request("help")])
    rpc.raw_request(b"{not json", headers={...})  # -> (status, headers, body bytes)

Numbers with a fraction come back as Decimal (amounts are exact).
A JSON-RPC error raises JSONRPCException with .code and .message; an HTTP
failure without a JSON error body (401, 503, ...) raises HTTPError.
"""

import base64
import http.client
import itertools
import json
import socket
from decimal import Decimal

__all__ = ["JSONRPCException", "HTTPError", "AuthServiceProxy", "read_cookie"]

DEFAULT_TIMEOUT = 60


class JSONRPCException(Exception):
    def __init__(self, error, http_status=None):
        self.error = error if isinstance(error, dict) else {"code": None, "message": str(error)}
        self.code = self.error.get("code")
        self.message = self.error.get("message")
        self.http_status = http_status
        super().__init__("%s (%s)" % (self.message, self.code))


class HTTPError(Exception):
    def __init__(self, status, reason, body):
        self.status = status
        self.reason = reason
        self.body = body
        super().__init__("HTTP %d %s: %r" % (status, reason, body[:200]))


def read_cookie(path):
    """(user, password) from a .cookie file ("__cookie__:<hex>")."""
    with open(path, "r", encoding="ascii") as f:
        line = f.read().strip()
    user, sep, password = line.partition(":")
    if not sep:
        raise ValueError("malformed cookie file %s" % path)
    return user, password


def _json_default(o):
    if isinstance(o, Decimal):
        return float(o)
    if isinstance(o, (bytes, bytearray)):
        return o.hex()
    raise TypeError("cannot serialize %r" % type(o))


class AuthServiceProxy:
    _ids = itertools.count(1)

    def __init__(self, host, port, auth=None, timeout=DEFAULT_TIMEOUT, path="/", jsonrpc="1.0"):
        """auth: (user, password) or a callable returning it (e.g. re-reading the cookie)."""
        self.host = host
        self.port = port
        self.auth = auth
        self.timeout = timeout
        self.path = path
        self.jsonrpc = jsonrpc

    # -- plumbing -----------------------------------------------------------
    def _credentials(self):
        a = self.auth() if callable(self.auth) else self.auth
        return a

    def auth_header(self, auth=None):
        a = auth if auth is not None else self._credentials()
        if a is None:
            return {}
        token = base64.b64encode(("%s:%s" % a).encode()).decode()
        return {"Authorization": "Basic " + token}

    def raw_request(self, body, headers=None, method="POST", path=None, auth=None, use_auth=True,
                    timeout=None):
        """Send body (bytes/str) as-is; returns (status, headers dict, body bytes).

        headers replace the defaults; auth overrides the proxy's credentials;
        use_auth=False sends no Authorization header at all."""
        if isinstance(body, str):
            body = body.encode()
        h = {"Content-Type": "application/json", "Connection": "close"}
        if use_auth:
            h.update(self.auth_header(auth))
        if headers:
            h.update(headers)
        conn = http.client.HTTPConnection(self.host, self.port,
                                          timeout=timeout if timeout is not None else self.timeout)
        try:
            conn.request(method, path or self.path, body=body, headers=h)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            conn.close()

    def request(self, method, *args, **kwargs):
        """A request object for batch(); named params if kwargs are given."""
        if args and kwargs:
            raise ValueError("use positional or named parameters, not both")
        req = {"method": method, "params": kwargs if kwargs else list(args), "id": next(self._ids)}
        if self.jsonrpc == "2.0":
            req["jsonrpc"] = "2.0"
        else:
            req["jsonrpc"] = "1.0"
        return req

    def _post(self, payload):
        body = json.dumps(payload, default=_json_default)
        try:
            status, _, data = self.raw_request(body)
        except (socket.timeout, TimeoutError) as e:
            raise TimeoutError("RPC to %s:%d timed out after %ss" % (self.host, self.port, self.timeout)) from e
        try:
            reply = json.loads(data.decode(), parse_float=Decimal) if data else None
        except ValueError:
            reply = None
        if reply is None:
            raise HTTPError(status, http.client.responses.get(status, ""), data)
        return status, reply

    def call(self, method, *args, **kwargs):
        req = self.request(method, *args, **kwargs)
        status, reply = self._post(req)
        if not isinstance(reply, dict):
            raise HTTPError(status, "unexpected reply", json.dumps(reply).encode())
        if reply.get("error") is not None:
            raise JSONRPCException(reply["error"], status)
        if "result" not in reply:
            raise JSONRPCException({"code": -343, "message": "missing JSON-RPC result"}, status)
        return reply["result"]

    def batch(self, requests):
        """Send a list of request()s; returns the list of reply objects (not raising)."""
        status, reply = self._post(list(requests))
        if not isinstance(reply, list):
            raise HTTPError(status, "batch reply is not a list", json.dumps(reply).encode())
        return reply

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.call(name, *args, **kwargs)

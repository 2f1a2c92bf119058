#!/usr/bin/env python3
"""The RPC server under attack (doc/rpc.md, "Limits").

- A request with wrong credentials and a 10 MB body: the node stops reading
  after a few KiB (its peak resident memory does not grow by the bodies) and
  closes the connection; the same body with good credentials is served.
- Failed logins are delayed without holding a worker: with one worker and a
  queue of one, a burst of wrong logins is answered 401 each (before: the
  worker slept on each and the rest got 503), and a good call still works.
- A client trickling a request (headers, or a body) a byte at a time is
  disconnected after -rpcservertimeout while other clients are served.
- Request bodies carrying a passphrase or a key are wiped: after
  createwallet, walletpassphrase, walletpassphrasechange and importprivkey,
  neither the passphrases nor the key are anywhere in the node's memory
  (read through /proc/<pid>/mem).
"""

import base64
import json
import os
import re
import select
import socket
import threading
import time
from urllib.parse import quote

from test_framework.authproxy import AuthServiceProxy, read_cookie
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, assert_greater_than_or_equal

BODY_MB = 10
TIMEOUT = 3  # -rpcservertimeout in the trickle test


def proc_status(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no %s in /proc/%d/status" % (field, pid))


def read_reply(sock, timeout=30):
    """Everything the server sends until it closes (or timeout); b'' if nothing."""
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    return data


class RPCDoSTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def auth_header(self, user=None, password=None):
        good = read_cookie(self.nodes[0].cookie_path)
        a = (user or good[0], password if password is not None else good[1])
        return "Basic " + base64.b64encode(("%s:%s" % a).encode()).decode()

    def run_test(self):
        self.test_unauthenticated_body()
        self.test_failed_login_no_worker()
        self.test_trickle()
        self.test_secrets_wiped()

    # ------------------------------------------------------------------ body
    def send_big(self, auth, size, results, i):
        body_head = b'{"method":"uptime","params":[],"id":1}'
        s = socket.create_connection(("127.0.0.1", self.nodes[0].rpc_port))
        head = ("POST / HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Type: application/json\r\n"
                "Content-Length: %d\r\nConnection: close\r\n\r\n" % (auth, size)).encode()
        sent = 0
        try:
            s.sendall(head + body_head)
            sent = len(body_head)
            chunk = b" " * 65536
            while sent < size:
                n = min(len(chunk), size - sent)
                s.sendall(chunk[:n])
                sent += n
        except (BrokenPipeError, ConnectionResetError):
            pass
        results[i] = (sent, read_reply(s))
        s.close()

    def test_unauthenticated_body(self):
        self.log.info("wrong credentials and a %d MB body: not buffered, connection closed", BODY_MB)
        node = self.nodes[0]
        pid = node.process.pid
        node.uptime()
        hwm0 = proc_status(pid, "VmHWM")
        size = BODY_MB * 1000 * 1000
        n = 4
        results = [None] * n
        bad = self.auth_header(password="0" * 64)
        threads = [threading.Thread(target=self.send_big, args=(bad, size, results, i)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        hwm1 = proc_status(pid, "VmHWM")
        self.log.info("peak resident memory grew by %.1f MB for %d x %d MB bodies",
                      (hwm1 - hwm0) / 1e6, n, BODY_MB)
        self.log.info("bytes each client got out before the node closed: %s",
                      [sent for sent, _ in results])
        for sent, reply in results:
            assert not reply.startswith(b"HTTP/1.1 200"), reply[:100]
            # The node stopped reading: the client could not deliver the body.
            assert sent < size, "the whole body was accepted"
        assert hwm1 - hwm0 < 16 * 1000 * 1000, "peak RSS grew by %d bytes" % (hwm1 - hwm0)
        # Good credentials: the same size is read and served.
        results = [None]
        self.send_big(self.auth_header(), size, results, 0)
        sent, reply = results[0]
        assert_equal(sent, size)
        assert reply.startswith(b"HTTP/1.1 200"), reply[:200]
        node.uptime()

    # ------------------------------------------------------------------ delay
    def test_failed_login_no_worker(self):
        self.log.info("failed logins wait on a timer, not on the only worker")
        node = self.nodes[0]
        node.stop_node()
        node.start_and_wait(["-rpcthreads=1", "-rpcworkqueue=1"])
        body = json.dumps({"method": "uptime", "params": [], "id": 1})
        statuses = []
        lock = threading.Lock()
        bad = ("__cookie__", "f" * 64)

        def guess():
            st = node.make_rpc(auth=bad).raw_request(body)[0]
            with lock:
                statuses.append(st)
        threads = [threading.Thread(target=guess) for _ in range(8)]
        for t in threads:
            t.start()
        # A good call while the guesses wait for their answer.
        assert_greater_than_or_equal(node.make_rpc().uptime(), 0)
        for t in threads:
            t.join(60)
        assert_equal(sorted(statuses), [401] * 8)
        assert node.debug_log_contains("incorrect or missing RPC credentials")

    # ------------------------------------------------------------------ trickle
    def test_trickle(self):
        self.log.info("a client trickling its request is closed after -rpcservertimeout=%d", TIMEOUT)
        node = self.nodes[0]
        node.stop_node()
        node.start_and_wait(["-rpcservertimeout=%d" % TIMEOUT])
        body = b'{"method":"uptime","params":[],"id":1}' + b" " * 40
        head = ("POST / HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Length: %d\r\n\r\n"
                % (self.auth_header(), len(body))).encode()
        result = {}
        # Headers a byte at a time; and headers at once, then the body a byte
        # at a time. The gaps (0.25 s) are far below the idle timeout, so
        # only the whole-request deadline can close them.
        s1 = socket.create_connection(("127.0.0.1", node.rpc_port))
        s2 = socket.create_connection(("127.0.0.1", node.rpc_port))
        s2.sendall(head)
        t1 = threading.Thread(target=self.trickle_on, args=(s1, head + body, result, "headers"))
        t2 = threading.Thread(target=self.trickle_on, args=(s2, body, result, "body"))
        t1.start()
        t2.start()
        served = 0
        while t1.is_alive() or t2.is_alive():
            assert_greater_than_or_equal(node.make_rpc().uptime(), 0)
            served += 1
            time.sleep(0.2)
        t1.join()
        t2.join()
        self.log.info("trickle results %s; %d calls of other clients served meanwhile", result, served)
        for key in ("headers", "body"):
            sent, closed, total = result[key]
            assert closed, "%s trickler not disconnected" % key
            assert sent < total, "%s trickler sent its whole request" % key
        assert served > 0
        assert node.debug_log_contains("request not received within %d s" % TIMEOUT)

    def trickle_on(self, s, data, result, key):
        """Sends data a byte every 0.25 s; records how many bytes went out and
        whether the server closed the connection before the end."""
        sent, closed = 0, False
        try:
            for i in range(len(data)):
                r, _, _ = select.select([s], [], [], 0.25)
                if r and not s.recv(4096):
                    closed = True
                    break
                s.send(data[i:i + 1])
                sent += 1
        except (BrokenPipeError, ConnectionResetError):
            closed = True
        if not closed:
            closed = read_reply(s, timeout=5) == b""
        s.close()
        result[key] = (sent, closed, len(data))

    # ------------------------------------------------------------------ secrets
    def scan_memory(self, pid, needles):
        """Which of needles (bytes) occur in the process's writable memory."""
        found = set()
        with open("/proc/%d/maps" % pid) as maps, open("/proc/%d/mem" % pid, "rb", 0) as mem:
            for line in maps:
                m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
                start, end, perms = int(m.group(1), 16), int(m.group(2), 16), m.group(3)
                if not perms.startswith("rw"):
                    continue
                for off in range(start, end, 1 << 24):
                    n = min(1 << 24, end - off)
                    try:
                        mem.seek(off)
                        data = mem.read(n)
                    except OSError:
                        continue
                    for nd in needles:
                        if nd in data:
                            found.add(nd)
        return found

    def test_secrets_wiped(self):
        self.log.info("passphrases and keys sent over RPC do not stay in the node's memory")
        node = self.nodes[0]
        pid = node.process.pid
        try:
            with open("/proc/%d/mem" % pid, "rb", 0):
                pass
        except OSError as e:
            self.skip_test("cannot read /proc/%d/mem: %s" % (pid, e))
        with open("/proc/%d/maps" % pid) as f:
            if "libasan" in f.read():
                # Its shadow and allocator regions reserve terabytes: reading them
                # through /proc takes minutes and can get the node killed.
                self.skip_test("the memory scan is not run under AddressSanitizer "
                               "(the other parts of the test ran)")
        pass1 = "Pass-" + os.urandom(12).hex()
        pass2 = "Pass-" + os.urandom(12).hex()
        kp = node.getnewkeypair()
        key = kp["privkey"]
        node.createwallet("sec", pass1)
        w = AuthServiceProxy("127.0.0.1", node.rpc_port, lambda: read_cookie(node.cookie_path),
                             60, path="/wallet/" + quote("sec"))
        w.walletpassphrase(pass1, 60)
        w.importprivkey(key)
        w.walletpassphrasechange(pass1, pass2)
        w.walletpassphrase(pass2, 60)
        w.walletlock()
        # getnewkeypair's reply carried the key too: the reply is wiped as well.
        needles = [pass1.encode(), pass2.encode(), key.encode()]
        found = self.scan_memory(pid, needles)
        self.log.info("found in memory: %s", sorted(x.decode() for x in found))
        assert_equal(found, set())


if __name__ == "__main__":
    RPCDoSTest().main()

"""A souk P2P peer in Python (doc/protocol.md), for protocol tests.

    peer = node.add_p2p_connection(P2PInterface())   # connect + version/verack
    peer.send_message("ping", msg_ping(7))
    peer.wait_for_message("pong")
    peer.sync_with_ping()                            # everything sent so far was processed
    peer.send_raw(b"junk")                           # anything, byte for byte
    peer.wait_for_disconnect()

Frame: magic(4) | length(4, LE) | checksum(4) = SHA256(body)[:4] | body,
body = msgpack([command: str, payload]). Written from doc/protocol.md with
this package's own msgpack codec, never soukd's code, so a test pits the node
against a second implementation.

Each connection has one reader thread; handlers (on_<command>) run on it and
every shared field is guarded by the connection's condition variable, which
the wait_* helpers wait on. Sending is done from any thread under a lock.
"""

import collections
import hashlib
import logging
import random
import socket
import struct
import threading
import time

from . import msgpack
from .messages import Block, BlockHeader, Tx

__all__ = [
    "MAGIC", "MAX_BODY", "HEADER_SIZE", "PROTOCOL_VERSION", "NODE_NETWORK",
    "MSG_TX", "MSG_BLOCK", "MSG_CHAT", "MAX_INV", "MAX_HEADERS", "MAX_ADDR", "MAX_LOCATOR",
    "checksum", "frame", "message_body", "FrameError",
    "msg_version", "net_addr", "ipv4_mapped", "inv_item", "header_array",
    "P2PConnection", "P2PInterface", "P2PListener",
]

logger = logging.getLogger("TestFramework.p2p")

# doc/protocol.md
MAGIC = {
    "main": bytes.fromhex("534f554b"),
    "test": bytes.fromhex("736f756b"),
    "regtest": bytes.fromhex("72736f6b"),
}
MAX_BODY = 8 * 1024 * 1024
HEADER_SIZE = 12
PROTOCOL_VERSION = 1
NODE_NETWORK = 1
MSG_TX = 1
MSG_BLOCK = 2
MSG_CHAT = 3
MAX_INV = 50_000
MAX_HEADERS = 2_000
MAX_ADDR = 1_000
MAX_LOCATOR = 101


class FrameError(Exception):
    """The node sent something that is not a valid frame or message."""


def checksum(body):
    return hashlib.sha256(body).digest()[:4]


def frame(body, magic=MAGIC["regtest"], length=None, csum=None):
    """One frame around body; length/csum override the true values (negative tests)."""
    if length is None:
        length = len(body)
    if csum is None:
        csum = checksum(body)
    return bytes(magic) + struct.pack("<I", length) + bytes(csum) + bytes(body)


def message_body(command, payload):
    """msgpack([command, payload]); payload may contain msgpack.RawBytes for hand-made encodings."""
    return msgpack.encode([command, payload])


# ---- payloads (doc/protocol.md "Messages") ----------------------------------

def msg_version(nonce, best_height=0, user_agent="/souk-test:0.1/", services=0, timestamp=None,
                listen_port=0, protocol_version=PROTOCOL_VERSION):
    """The version payload: [protocol_version, services, best_height, user_agent, nonce, timestamp, listen_port]."""
    if timestamp is None:
        timestamp = int(time.time())
    return [protocol_version, services, best_height, user_agent, nonce, timestamp, listen_port]


def ipv4_mapped(ip):
    """'1.2.3.4' -> the 16-byte ::ffff:1.2.3.4."""
    return b"\x00" * 10 + b"\xff\xff" + socket.inet_aton(ip)


def net_addr(ip, port, services=NODE_NETWORK, when=None):
    """[time, services, ip: bin(16), port]; ip a dotted IPv4 string or 16 bytes."""
    if isinstance(ip, str):
        ip = ipv4_mapped(ip)
    return [int(time.time()) if when is None else when, services, ip, port]


def inv_item(type_, h):
    """[type, hash]; h as bytes or hex."""
    return [type_, bytes.fromhex(h) if isinstance(h, str) else h]


def header_array(h):
    """A header as its wire array, from a BlockHeader, a Block or an array."""
    if isinstance(h, Block):
        h = h.header
    if isinstance(h, BlockHeader):
        return h.to_array()
    return list(h)


class P2PConnection:
    """A raw framed connection: connect, send frames or bytes, read and decode frames.

    Received messages go to on_message(command, payload); a frame that does not
    decode goes to on_frame_error (recorded in self.frame_errors)."""

    def __init__(self, net="regtest"):
        self.net = net
        self.magic = MAGIC[net]
        self.sock = None
        self.cv = threading.Condition()
        self.connected = False
        self.closed_by = None            # "local" / "remote" / "error: ..."
        self.frame_errors = []
        self.bytes_received = 0
        self._send_lock = threading.Lock()
        self._reader = None
        self.peer_desc = "?"

    # -- connection -----------------------------------------------------------
    def connect(self, host, port, timeout=10):
        s = socket.create_connection((host, port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.settimeout(None)
        self._attach(s, "%s:%d" % (host, port))
        self.on_open()
        return self

    def _attach(self, sock, desc):
        self.sock = sock
        self.peer_desc = desc
        with self.cv:
            self.connected = True
            self.closed_by = None
        self._reader = threading.Thread(target=self._read_loop, name="p2p-reader-%s" % desc, daemon=True)
        self._reader.start()

    def close(self):
        """Close our side (idempotent); waits for the reader thread."""
        s = self.sock
        if s is not None:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass
        with self.cv:
            if self.connected:
                self.connected = False
                self.closed_by = self.closed_by or "local"
            self.cv.notify_all()
        if self._reader is not None and self._reader is not threading.current_thread():
            self._reader.join(timeout=10)

    @property
    def is_connected(self):
        with self.cv:
            return self.connected

    def wait_for_disconnect(self, timeout=10):
        """Wait until the node closes the connection; False on timeout."""
        return self.wait_until(lambda: not self.connected, timeout, raise_on_timeout=False)

    def wait_until(self, predicate, timeout=10, raise_on_timeout=True, what=None):
        """Wait (under self.cv) until predicate() is true; predicate runs with the lock held."""
        deadline = time.monotonic() + timeout
        with self.cv:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    if raise_on_timeout:
                        raise AssertionError("p2p wait_until timed out after %ss: %s (peer %s, connected=%s)"
                                             % (timeout, what or getattr(predicate, "__name__", predicate),
                                                self.peer_desc, self.connected))
                    return False
                self.cv.wait(min(left, 0.2))
        return True

    @property
    def local_addr(self):
        """Our end as "ip:port": the addr the node lists us under in getpeerinfo."""
        ip, port = self.sock.getsockname()[:2]
        return "%s:%d" % (ip, port)

    def shutdown_write(self):
        """Half-close: the node reads everything sent so far, then end of stream; we keep
        reading (to see the node close its side)."""
        with self._send_lock:
            if self.sock is not None:
                self.sock.shutdown(socket.SHUT_WR)

    # -- sending --------------------------------------------------------------
    def send_raw(self, data):
        """Write bytes as they are (malformed frames, partial frames, junk)."""
        with self._send_lock:
            if self.sock is None:
                raise ConnectionError("not connected")
            self.sock.sendall(bytes(data))

    def send_frame(self, body, magic=None, length=None, csum=None):
        self.send_raw(frame(body, self.magic if magic is None else magic, length, csum))

    def send_message(self, command, payload):
        logger.debug("send %s to %s", command, self.peer_desc)
        self.send_frame(message_body(command, payload))

    # -- receiving ------------------------------------------------------------
    def _recv_exact(self, n, buf):
        while len(buf) < n:
            chunk = self.sock.recv(max(65536, n - len(buf)))
            if not chunk:
                return False
            self.bytes_received += len(chunk)
            buf += chunk
        return True

    def _read_loop(self):
        buf = bytearray()
        why = "remote"
        try:
            while True:
                if not self._recv_exact(HEADER_SIZE, buf):
                    break
                magic = bytes(buf[:4])
                length = struct.unpack("<I", buf[4:8])[0]
                csum = bytes(buf[8:12])
                if magic != self.magic:
                    raise FrameError("bad magic %s from node" % magic.hex())
                if length > MAX_BODY:
                    raise FrameError("node sent a frame of %d bytes" % length)
                if not self._recv_exact(HEADER_SIZE + length, buf):
                    break
                body = bytes(buf[HEADER_SIZE:HEADER_SIZE + length])
                del buf[:HEADER_SIZE + length]
                if checksum(body) != csum:
                    raise FrameError("bad checksum from node")
                try:
                    msg = msgpack.decode(body)
                except msgpack.DecodeError as e:
                    raise FrameError("node sent undecodable body: %s" % e)
                if not (isinstance(msg, list) and len(msg) == 2 and isinstance(msg[0], str)):
                    raise FrameError("node sent a body that is not [command, payload]: %r" % (msg,))
                logger.debug("recv %s from %s", msg[0], self.peer_desc)
                self.on_message(msg[0], msg[1])
        except FrameError as e:
            logger.warning("%s: %s", self.peer_desc, e)
            with self.cv:
                self.frame_errors.append(str(e))
            why = "error: %s" % e
        except OSError as e:
            why = "remote" if self.connected else "local"
            logger.debug("%s: socket closed (%s)", self.peer_desc, e)
        except Exception as e:  # a handler bug must not hang the test silently
            logger.exception("%s: handler failed", self.peer_desc)
            with self.cv:
                self.frame_errors.append("handler: %r" % e)
            why = "error: handler %r" % e
        with self.cv:
            if self.connected:
                self.connected = False
                self.closed_by = why
            self.cv.notify_all()
        try:
            self.sock.close()
        except OSError:
            pass
        self.on_close()

    # -- hooks ----------------------------------------------------------------
    def on_open(self):
        pass

    def on_close(self):
        pass

    def on_message(self, command, payload):
        pass


class P2PInterface(P2PConnection):
    """A well-behaved peer: does the handshake, answers ping, records everything.

    It can also play a peer with a chain: put blocks in with add_blocks() (and
    transactions with add_txs()) and it answers getheaders and getdata from
    them like a node would. Handlers on_<command>(payload) may be overridden;
    call the base version to keep the bookkeeping.

    Fields read by tests (under self.cv, or through the wait_* helpers):
    messages (list of (command, payload)), message_count, last_message,
    peer_version (the node's version payload), got_verack."""

    def __init__(self, net="regtest", services=0, best_height=0, user_agent="/souk-test:0.1/",
                 nonce=None, listen_port=0, send_version=True, answer_ping=True):
        super().__init__(net)
        self.services = services
        self.best_height = best_height
        self.user_agent = user_agent
        self.nonce = random.getrandbits(64) if nonce is None else nonce
        self.listen_port = listen_port
        self.send_version = send_version
        self.answer_ping = answer_ping
        self.auto_reply = True   # run the on_<command> handlers (see go_quiet)
        self.outbound = True
        self.messages = []
        self.message_count = collections.Counter()
        self.last_message = {}
        self.peer_version = None
        self.got_verack = False
        self.sent_verack = False
        self.version_sent = False
        self._ping_nonce = random.getrandbits(32) << 16
        # chain played by this peer
        self.blocks = {}         # hash -> Block
        self.block_order = []    # hashes, parents first (best chain last)
        self.txs = {}            # txid -> Tx
        self.getdata_requests = []

    # -- handshake ------------------------------------------------------------
    def on_open(self):
        if self.send_version and self.outbound:
            self.do_send_version()

    def do_send_version(self):
        self.version_sent = True
        self.send_message("version", msg_version(self.nonce, self.best_height, self.user_agent, self.services,
                                                 listen_port=self.listen_port))

    @property
    def handshake_done(self):
        with self.cv:
            return self.peer_version is not None and self.got_verack

    def wait_for_verack(self, timeout=10):
        self.wait_until(lambda: self.peer_version is not None and self.got_verack, timeout,
                        what="version/verack from the node")

    def wait_for_verack_or_close(self, timeout=10):
        """True when the handshake completes, False when the node closes first (or on timeout)."""
        self.wait_until(lambda: (self.peer_version is not None and self.got_verack) or not self.connected,
                        timeout, raise_on_timeout=False)
        with self.cv:
            return self.connected and self.peer_version is not None and self.got_verack

    # -- dispatch -------------------------------------------------------------
    def on_message(self, command, payload):
        with self.cv:
            self.messages.append((command, payload))
            self.message_count[command] += 1
            self.last_message[command] = payload
            self.cv.notify_all()
        if not self.auto_reply and command not in ("version", "verack"):
            return
        handler = getattr(self, "on_" + command, None)
        if handler is not None:
            handler(payload)

    def go_quiet(self):
        """Stop answering anything (ping, getheaders, getdata) after what is in flight is done:
        nothing we write on our own can then land in the middle of a hand-made partial frame."""
        self.sync_with_ping()
        with self.cv:
            self.auto_reply = False

    def on_version(self, payload):
        with self.cv:
            self.peer_version = payload
        if not self.outbound and self.send_version and not self.version_sent:
            self.do_send_version()
        if not self.sent_verack:
            self.sent_verack = True
            self.send_message("verack", [])

    def on_verack(self, payload):
        with self.cv:
            self.got_verack = True

    def on_ping(self, payload):
        if self.answer_ping:
            self.send_message("pong", payload)

    # -- waiting --------------------------------------------------------------
    def wait_for_message(self, command, timeout=10, predicate=None, since=0):
        """Wait for a `command` message (payload matching predicate) at index >= since; returns its payload.
        `since` is typically len(peer.messages) read before the action being tested."""
        found = []

        def seen():
            for c, p in self.messages[since:]:
                if c == command and (predicate is None or predicate(p)):
                    found.append(p)
                    return True
            return False
        self.wait_until(seen, timeout, what="%s message" % command)
        return found[0]

    def mark(self):
        """Index to pass as wait_for_message(since=...) for messages after now."""
        with self.cv:
            return len(self.messages)

    def sync_with_ping(self, timeout=30):
        """Ping and wait for the pong: the node has processed everything we sent before."""
        with self.cv:
            self._ping_nonce += 1
            n = self._ping_nonce
            start = len(self.messages)
        self.send_message("ping", [n])
        self.wait_for_message("pong", timeout, lambda p: p == [n], since=start)

    def wait_for_inv(self, type_, h, timeout=10, since=0):
        want = inv_item(type_, h)
        return self.wait_for_message("inv", timeout, lambda p: want in p, since)

    def wait_for_getdata(self, type_, h, timeout=10, since=0):
        want = inv_item(type_, h)
        return self.wait_for_message("getdata", timeout, lambda p: want in p, since)

    def wait_for_block_announcement(self, block_hash, timeout=10, since=0):
        """A block announced either by `headers` (after sendheaders) or by `inv`."""
        h = bytes.fromhex(block_hash) if isinstance(block_hash, str) else block_hash
        found = []

        def seen():
            for c, p in self.messages[since:]:
                if c == "headers" and any(BlockHeader.from_array(x).hash() == h for x in p):
                    found.append(c)
                    return True
                if c == "inv" and [MSG_BLOCK, h] in p:
                    found.append(c)
                    return True
            return False
        self.wait_until(seen, timeout, what="announcement of block %s" % h.hex())
        return found[0]

    # -- a chain played by this peer ------------------------------------------
    def add_blocks(self, blocks):
        """Blocks (parents first) this peer has and serves; they extend block_order."""
        with self.cv:
            for b in blocks:
                h = b.hash()
                if h not in self.blocks:
                    self.blocks[h] = b
                    self.block_order.append(h)

    def add_txs(self, txs):
        with self.cv:
            for t in txs:
                self.txs[t.txid()] = t

    def send_headers(self, blocks):
        self.send_message("headers", [header_array(b) for b in blocks])

    def send_block(self, block):
        self.send_message("block", [block.header.to_array(), [t.to_array() for t in block.txs]])

    def send_tx(self, tx):
        self.send_message("tx", tx.to_array())

    def send_inv(self, items):
        self.send_message("inv", [list(i) for i in items])

    def send_getheaders(self, locator, stop=b""):
        self.send_message("getheaders", [[bytes.fromhex(h) if isinstance(h, str) else h for h in locator], stop])

    def send_getdata(self, items):
        self.send_message("getdata", [list(i) for i in items])

    def on_getheaders(self, payload):
        locator, stop = payload
        with self.cv:
            order = list(self.block_order)
        if not order:
            self.send_message("headers", [])
            return
        index = {h: i for i, h in enumerate(order)}
        start = 0
        for h in locator:
            if h in index:
                start = index[h] + 1
                break
        out = []
        for h in order[start:start + MAX_HEADERS]:
            out.append(self.blocks[h].header.to_array())
            if h == stop:
                break
        self.send_message("headers", out)

    def on_getdata(self, payload):
        with self.cv:
            self.getdata_requests.append(payload)
        missing = []
        for type_, h in payload:
            if type_ == MSG_BLOCK and h in self.blocks:
                self.send_block(self.blocks[h])
            elif type_ == MSG_TX and h in self.txs:
                self.send_tx(self.txs[h])
            else:
                missing.append([type_, h])
        if missing:
            self.send_message("notfound", missing)

    # -- decoded views ----------------------------------------------------------
    def received_blocks(self):
        with self.cv:
            return [Block(BlockHeader.from_array(p[0]), [Tx.from_array(t) for t in p[1]])
                    for c, p in self.messages if c == "block"]


class P2PListener:
    """Accepts one inbound connection from the node (e.g. after `addnode 127.0.0.1:<port> onetry`)
    and hands the socket to a P2PInterface, which then answers the node's version."""

    def __init__(self, host="127.0.0.1", port=0):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]

    def accept(self, peer, timeout=30):
        self.sock.settimeout(timeout)
        s, addr = self.sock.accept()
        s.settimeout(None)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        peer.outbound = False
        peer._attach(s, "%s:%d(in)" % addr)
        return peer

    def close(self):
        self.sock.close()

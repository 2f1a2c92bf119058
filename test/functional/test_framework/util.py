"""Assertions, polling and the port scheme shared by functional tests.

Port scheme
-----------
Each test process gets a *port seed* (test_runner.py passes --portseed; a test
started by hand uses its PID). The seed picks one of PORT_SLOTS blocks of
PORTS_PER_TEST consecutive ports in [PORT_MIN, PORT_MIN + PORT_RANGE):

    base        = PORT_MIN + (seed % PORT_SLOTS) * PORTS_PER_TEST
    p2p_port(n) = base + n                    n = node index, < MAX_NODES
    rpc_port(n) = base + MAX_NODES + n
    gateway_port(n) = base + 2 * MAX_NODES + n   (-gatewayport, used with -gateway)

so two tests with different seeds modulo PORT_SLOTS never share a port. The
runner hands out seed = run_offset + i for its i-th test, where run_offset is
derived from the runner's PID, so the tests of one run are always disjoint
and two runs at once are very unlikely to overlap. The range 20000-27999
lies below Linux's ephemeral range (32768+) and below the default regtest
ports (28732/28733), so neither outgoing connections nor a developer's own
regtest node take these ports.
"""

import json
import socket
import time
import logging

from .authproxy import JSONRPCException

__all__ = [
    "PORT_MIN", "PORT_RANGE", "MAX_NODES", "PORTS_PER_TEST", "PORT_SLOTS", "PortSeed",
    "p2p_port", "rpc_port", "gateway_port", "port_is_free",
    "assert_equal", "assert_not_equal", "assert_greater_than", "assert_greater_than_or_equal",
    "assert_raises", "assert_raises_rpc_error", "assert_raises_message", "wait_until",
    "sync_blocks", "sync_mempools", "TestFailure", "satoshi_round", "to_coins", "to_units",
]

PORT_MIN = 20000
PORT_RANGE = 8000
MAX_NODES = 10
PORTS_PER_TEST = 3 * MAX_NODES
PORT_SLOTS = PORT_RANGE // PORTS_PER_TEST

logger = logging.getLogger("TestFramework.util")


class TestFailure(AssertionError):
    pass


class PortSeed:
    n = None


def _base():
    if PortSeed.n is None:
        raise RuntimeError("PortSeed.n is not set")
    return PORT_MIN + (PortSeed.n % PORT_SLOTS) * PORTS_PER_TEST


def p2p_port(n):
    if not 0 <= n < MAX_NODES:
        raise ValueError("node index %d out of range" % n)
    return _base() + n


def rpc_port(n):
    if not 0 <= n < MAX_NODES:
        raise ValueError("node index %d out of range" % n)
    return _base() + MAX_NODES + n


def gateway_port(n):
    if not 0 <= n < MAX_NODES:
        raise ValueError("node index %d out of range" % n)
    return _base() + 2 * MAX_NODES + n


def port_is_free(port, host="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # As a server would: connections in TIME_WAIT from an earlier node on
    # this port do not count, a listener does.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


# ---- assertions -------------------------------------------------------------

def assert_equal(a, b, *more):
    vals = (a, b) + more
    if any(v != vals[0] for v in vals[1:]):
        raise TestFailure("not(%s)" % " == ".join(repr(v) for v in vals))


def assert_not_equal(a, b):
    if a == b:
        raise TestFailure("%r == %r" % (a, b))


def assert_greater_than(a, b):
    if not a > b:
        raise TestFailure("%r <= %r" % (a, b))


def assert_greater_than_or_equal(a, b):
    if not a >= b:
        raise TestFailure("%r < %r" % (a, b))


def assert_raises(exc, fn, *args, **kwargs):
    assert_raises_message(exc, None, fn, *args, **kwargs)


def assert_raises_message(exc, message, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except exc as e:
        if message is not None and message not in str(e):
            raise TestFailure("expected message %r not in %r" % (message, str(e)))
        return e
    except Exception as e:
        raise TestFailure("unexpected exception %s: %s" % (type(e).__name__, e))
    raise TestFailure("%s not raised" % exc.__name__)


def assert_raises_rpc_error(code, message, fn, *args, **kwargs):
    """fn(*args, **kwargs) must raise JSONRPCException with this code (None: any)
    and a message containing `message` (None: any). Returns the exception."""
    try:
        fn(*args, **kwargs)
    except JSONRPCException as e:
        if code is not None and e.code != code:
            raise TestFailure("expected RPC error code %r, got %r (%s)" % (code, e.code, e.message))
        if message is not None and message not in (e.message or ""):
            raise TestFailure("expected RPC error message containing %r, got %r" % (message, e.message))
        return e
    except Exception as e:
        raise TestFailure("unexpected exception %s: %s" % (type(e).__name__, e))
    raise TestFailure("no RPC error raised (expected code %r)" % code)


def wait_until(predicate, timeout=60, poll=0.05, what=None):
    """Poll predicate() until it returns true; TestFailure after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() > deadline:
            raise TestFailure("wait_until timed out after %ss: %s" % (timeout, what or getattr(predicate, "__name__", predicate)))
        time.sleep(poll)


def sync_blocks(nodes, timeout=60):
    """Wait until every node has the same best block."""
    best = []

    def same():
        best[:] = [n.getbestblockhash() for n in nodes]
        return len(set(best)) == 1
    try:
        wait_until(same, timeout=timeout)
    except TestFailure:
        raise TestFailure("sync_blocks timed out: %s" % json.dumps(best))


def sync_mempools(nodes, timeout=60):
    """Wait until every node's mempool holds the same txids."""
    pools = []

    def same():
        pools[:] = [sorted(n.getrawmempool()) for n in nodes]
        return all(p == pools[0] for p in pools)
    try:
        wait_until(same, timeout=timeout)
    except TestFailure:
        raise TestFailure("sync_mempools timed out: %s" % json.dumps(pools))


# ---- amounts ----------------------------------------------------------------

def to_units(coins):
    """JSON coin amount (float/Decimal/str) to integer base units, exactly."""
    from decimal import Decimal
    return int((Decimal(str(coins)) * 100_000_000).to_integral_exact())


def to_coins(units):
    from decimal import Decimal
    return Decimal(units) / Decimal(100_000_000)


def satoshi_round(amount):
    from decimal import Decimal, ROUND_DOWN
    return Decimal(str(amount)).quantize(Decimal("0.00000001"), rounding=ROUND_DOWN)

"""BIP340 Schnorr signatures over secp256k1, in plain Python integers.

Written from the BIP340 specification for tests only: it is slow and not
constant-time, and must never hold real funds. Keys are 32-byte secrets;
public keys are 32-byte x-only coordinates.
"""

import hashlib
import os

__all__ = [
    "P", "N", "G", "tagged_hash", "sha256",
    "generate_secret", "pubkey_from_secret", "sign", "verify", "lift_x", "is_valid_xonly",
    "ECKey",
]

P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)


def sha256(data):
    return hashlib.sha256(data).digest()


def tagged_hash(tag, msg):
    if isinstance(tag, str):
        tag = tag.encode("ascii")
    th = sha256(tag)
    return sha256(th + th + msg)


# Points are affine (x, y) tuples or None for infinity. Scalar multiplication
# runs in Jacobian coordinates so a signature costs milliseconds, not seconds.

def _to_jac(p):
    return None if p is None else (p[0], p[1], 1)


def _from_jac(j):
    if j is None:
        return None
    x, y, z = j
    zi = pow(z, P - 2, P)
    zi2 = zi * zi % P
    return (x * zi2 % P, y * zi2 * zi % P)


def _jdouble(j):
    if j is None:
        return None
    x, y, z = j
    if y == 0:
        return None
    ysq = y * y % P
    s = 4 * x * ysq % P
    m = 3 * x * x % P
    nx = (m * m - 2 * s) % P
    ny = (m * (s - nx) - 8 * ysq * ysq) % P
    nz = 2 * y * z % P
    return (nx, ny, nz)


def _jadd(a, b):
    if a is None:
        return b
    if b is None:
        return a
    x1, y1, z1 = a
    x2, y2, z2 = b
    z1s = z1 * z1 % P
    z2s = z2 * z2 % P
    u1 = x1 * z2s % P
    u2 = x2 * z1s % P
    s1 = y1 * z2s * z2 % P
    s2 = y2 * z1s * z1 % P
    if u1 == u2:
        if s1 != s2:
            return None
        return _jdouble(a)
    h = (u2 - u1) % P
    r = (s2 - s1) % P
    h2 = h * h % P
    h3 = h * h2 % P
    u1h2 = u1 * h2 % P
    nx = (r * r - h3 - 2 * u1h2) % P
    ny = (r * (u1h2 - nx) - s1 * h3) % P
    nz = h * z1 * z2 % P
    return (nx, ny, nz)


def point_mul(p, k):
    k %= N
    acc = None
    add = _to_jac(p)
    while k:
        if k & 1:
            acc = _jadd(acc, add)
        add = _jdouble(add)
        k >>= 1
    return _from_jac(acc)


def point_add(a, b):
    return _from_jac(_jadd(_to_jac(a), _to_jac(b)))


def lift_x(xb):
    """The point with even y whose x is the 32-byte xb, or None."""
    x = int.from_bytes(xb, "big")
    if x >= P:
        return None
    ysq = (pow(x, 3, P) + 7) % P
    y = pow(ysq, (P + 1) // 4, P)
    if y * y % P != ysq:
        return None
    return (x, y if y % 2 == 0 else P - y)


def is_valid_xonly(xb):
    return len(xb) == 32 and lift_x(xb) is not None


def _b32(i):
    return i.to_bytes(32, "big")


def generate_secret():
    while True:
        d = int.from_bytes(os.urandom(32), "big")
        if 0 < d < N:
            return _b32(d)


def pubkey_from_secret(secret):
    d = int.from_bytes(secret, "big")
    if not 0 < d < N:
        raise ValueError("secret key out of range")
    return _b32(point_mul(G, d)[0])


def sign(secret, msg, aux=None):
    """BIP340 signature of the 32-byte msg; aux defaults to fresh randomness."""
    if aux is None:
        aux = os.urandom(32)
    if len(aux) != 32:
        raise ValueError("aux must be 32 bytes")
    d0 = int.from_bytes(secret, "big")
    if not 0 < d0 < N:
        raise ValueError("secret key out of range")
    pt = point_mul(G, d0)
    d = d0 if pt[1] % 2 == 0 else N - d0
    t = d ^ int.from_bytes(tagged_hash("BIP0340/aux", aux), "big")
    k0 = int.from_bytes(tagged_hash("BIP0340/nonce", _b32(t) + _b32(pt[0]) + msg), "big") % N
    if k0 == 0:
        raise ValueError("nonce is zero")
    r = point_mul(G, k0)
    k = k0 if r[1] % 2 == 0 else N - k0
    e = int.from_bytes(tagged_hash("BIP0340/challenge", _b32(r[0]) + _b32(pt[0]) + msg), "big") % N
    sig = _b32(r[0]) + _b32((k + e * d) % N)
    if not verify(_b32(pt[0]), msg, sig):
        raise RuntimeError("freshly made signature does not verify")
    return sig


def verify(pubkey, msg, sig):
    if len(pubkey) != 32 or len(sig) != 64:
        return False
    pt = lift_x(pubkey)
    if pt is None:
        return False
    r = int.from_bytes(sig[:32], "big")
    s = int.from_bytes(sig[32:], "big")
    if r >= P or s >= N:
        return False
    e = int.from_bytes(tagged_hash("BIP0340/challenge", sig[:32] + pubkey + msg), "big") % N
    rp = point_add(point_mul(G, s), point_mul(pt, N - e))
    if rp is None or rp[1] % 2 != 0 or rp[0] != r:
        return False
    return True


class ECKey:
    """A secret key with its x-only public key."""

    def __init__(self, secret=None):
        self.secret = secret if secret is not None else generate_secret()
        self.pubkey = pubkey_from_secret(self.secret)

    def sign(self, msg, aux=None):
        return sign(self.secret, msg, aux)

    def __repr__(self):
        return "ECKey(pub=%s)" % self.pubkey.hex()

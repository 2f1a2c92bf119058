"""bech32m (BIP350) and souk addresses (doc/consensus.md section 9).

A souk address is bech32m(hrp, the 32 key bytes regrouped into 52 five-bit
words), with no version word. HRPS maps network names to prefixes.
"""

from .key import is_valid_xonly

__all__ = ["CHARSET", "HRPS", "Bech32Error", "bech32m_encode", "bech32m_decode",
           "convertbits", "encode_address", "decode_address"]

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
BECH32M_CONST = 0x2bc830a3
BECH32_CONST = 1
HRPS = {"main": "souk", "test": "tsouk", "regtest": "rsouk"}


class Bech32Error(ValueError):
    pass


def _polymod(values):
    gen = (0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = ((chk & 0x1ffffff) << 5) ^ v
        for i in range(5):
            if (top >> i) & 1:
                chk ^= gen[i]
    return chk


def _hrp_expand(hrp):
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _checksum(hrp, data):
    pm = _polymod(_hrp_expand(hrp) + list(data) + [0] * 6) ^ BECH32M_CONST
    return [(pm >> 5 * (5 - i)) & 31 for i in range(6)]


def bech32m_encode(hrp, data):
    s = hrp + "1" + "".join(CHARSET[d] for d in list(data) + _checksum(hrp, data))
    if len(s) > 90:
        raise Bech32Error("too long")
    return s


def bech32m_decode(s, allow_bech32=False):
    """Returns (hrp, data words). Raises Bech32Error."""
    if len(s) > 90:
        raise Bech32Error("too long")
    if any(ord(c) < 33 or ord(c) > 126 for c in s):
        raise Bech32Error("invalid character")
    if s.lower() != s and s.upper() != s:
        raise Bech32Error("mixed case")
    s = s.lower()
    pos = s.rfind("1")
    if pos < 1:
        raise Bech32Error("missing or empty hrp")
    if pos + 7 > len(s):
        raise Bech32Error("checksum too short")
    hrp = s[:pos]
    try:
        data = [CHARSET.index(c) for c in s[pos + 1:]]
    except ValueError:
        raise Bech32Error("invalid data character")
    pm = _polymod(_hrp_expand(hrp) + data)
    if pm != BECH32M_CONST and not (allow_bech32 and pm == BECH32_CONST):
        raise Bech32Error("bad checksum")
    return hrp, data[:-6]


def convertbits(data, frombits, tobits, pad):
    acc = 0
    bits = 0
    out = []
    maxv = (1 << tobits) - 1
    for v in data:
        if v < 0 or v >> frombits:
            raise Bech32Error("bad value")
        acc = (acc << frombits) | v
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (tobits - bits)) & maxv)
    elif bits >= frombits or ((acc << (tobits - bits)) & maxv):
        raise Bech32Error("non-zero padding")
    return out


def encode_address(pubkey, network="regtest"):
    if len(pubkey) != 32:
        raise ValueError("x-only key must be 32 bytes")
    return bech32m_encode(HRPS.get(network, network), convertbits(pubkey, 8, 5, True))


def decode_address(addr, network="regtest"):
    hrp, words = bech32m_decode(addr)
    want = HRPS.get(network, network)
    if len(words) != 52:
        raise Bech32Error("wrong length")
    key = bytes(convertbits(words, 5, 8, False))
    if not is_valid_xonly(key):
        raise Bech32Error("key not on the curve")
    if hrp != want:
        raise Bech32Error("address of another network")
    return key

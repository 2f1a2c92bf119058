"""Canonical msgpack, the subset souk uses (doc/consensus.md section 2).

encode() writes the one canonical encoding of a Python value:
    int >= 0  -> uint (shortest form)        int < 0 -> shortest signed form
    bytes     -> bin                         str     -> str (UTF-8)
    list/tuple-> array                       None/False/True -> nil/false/true
decode() accepts only canonical input and raises DecodeError naming the rule
it broke. The raw_* helpers build deliberately NON-canonical byte strings for
negative tests (a uint in a wider form, a length prefix in a wider form, ...).
"""

import struct

__all__ = [
    "DecodeError", "encode", "decode", "decode_prefix",
    "raw_uint", "raw_int", "raw_bin_header", "raw_str_header", "raw_array_header",
    "RawBytes", "MAX_DEPTH",
]

MAX_DEPTH = 16


class DecodeError(ValueError):
    pass


class RawBytes(bytes):
    """Bytes spliced verbatim into an encoding (for hand-made negative tests)."""


# Format byte for each width of each kind; used by both the canonical encoder
# and the raw helpers so a non-canonical form is "the same value, wider box".
_UINT = {1: 0xcc, 2: 0xcd, 4: 0xce, 8: 0xcf}
_INT = {1: 0xd0, 2: 0xd1, 4: 0xd2, 8: 0xd3}
_BIN = {1: 0xc4, 2: 0xc5, 4: 0xc6}
_STR = {1: 0xd9, 2: 0xda, 4: 0xdb}
_ARR = {2: 0xdc, 4: 0xdd}
_FMT = {1: ">B", 2: ">H", 4: ">I", 8: ">Q"}


def _be(value, width, signed=False):
    fmt = _FMT[width]
    if signed:
        fmt = fmt.lower()
    return struct.pack(fmt, value)


def _uint(v):
    if v < 0:
        raise ValueError("negative")
    if v <= 0x7f:
        return bytes([v])
    for w in (1, 2, 4, 8):
        if v < (1 << (8 * w)):
            return bytes([_UINT[w]]) + _be(v, w)
    raise OverflowError("uint larger than 64 bits")


def _negint(v):
    if v >= -32:
        return bytes([v & 0xff])
    for w in (1, 2, 4, 8):
        if v >= -(1 << (8 * w - 1)):
            return bytes([_INT[w]]) + _be(v, w, signed=True)
    raise OverflowError("int smaller than -2^63")


def _len_header(n, small_base, small_max, table):
    if small_base is not None and n <= small_max:
        return bytes([small_base + n])
    for w in sorted(table):
        if n < (1 << (8 * w)):
            return bytes([table[w]]) + _be(n, w)
    raise OverflowError("length too large")


def bin_header(n):
    return _len_header(n, None, 0, _BIN)


def str_header(n):
    return _len_header(n, 0xa0, 31, _STR)


def array_header(n):
    return _len_header(n, 0x90, 15, _ARR)


def encode(obj):
    out = bytearray()
    _enc(obj, out)
    return bytes(out)


def _enc(obj, out):
    if isinstance(obj, RawBytes):
        out += obj
    elif obj is None:
        out.append(0xc0)
    elif obj is False:
        out.append(0xc2)
    elif obj is True:
        out.append(0xc3)
    elif isinstance(obj, int):
        out += _uint(obj) if obj >= 0 else _negint(obj)
    elif isinstance(obj, (bytes, bytearray)):
        out += bin_header(len(obj)) + bytes(obj)
    elif isinstance(obj, str):
        b = obj.encode("utf-8")
        out += str_header(len(b)) + b
    elif isinstance(obj, (list, tuple)):
        out += array_header(len(obj))
        for item in obj:
            _enc(item, out)
    else:
        raise TypeError("cannot encode %r" % type(obj))


# ---- non-canonical builders -------------------------------------------------

def raw_uint(v, width):
    """v as a uint in the given width (1, 2, 4, 8 bytes), canonical or not."""
    return RawBytes(bytes([_UINT[width]]) + _be(v, width))


def raw_int(v, width):
    """v in a signed form (d0..d3) of the given width, e.g. raw_int(5, 1) = d0 05."""
    return RawBytes(bytes([_INT[width]]) + _be(v, width, signed=True))


def raw_bin_header(n, width):
    return RawBytes(bytes([_BIN[width]]) + _be(n, width))


def raw_str_header(n, width):
    """width 0 means the fixstr form."""
    if width == 0:
        return RawBytes(bytes([0xa0 + n]))
    return RawBytes(bytes([_STR[width]]) + _be(n, width))


def raw_array_header(n, width):
    """width 0 means the fixarray form."""
    if width == 0:
        return RawBytes(bytes([0x90 + n]))
    return RawBytes(bytes([_ARR[width]]) + _be(n, width))


# ---- strict decoder ---------------------------------------------------------

def decode(data):
    """Decode exactly one canonical object from data (no trailing bytes)."""
    obj, end = decode_prefix(data, 0)
    if end != len(data):
        raise DecodeError("trailing bytes after the object")
    return obj


def decode_prefix(data, pos=0):
    """Decode one canonical object starting at pos; returns (obj, end)."""
    data = bytes(data)
    return _dec(data, pos, 1)


def _take(data, pos, n):
    if n > len(data) - pos:
        raise DecodeError("truncated input")
    return data[pos:pos + n], pos + n


def _read_be(data, pos, width, signed=False):
    raw, pos = _take(data, pos, width)
    return int.from_bytes(raw, "big", signed=signed), pos


def _check_utf8(b):
    # Python's strict decoder already refuses overlong forms, surrogates and
    # anything above U+10FFFF, which is exactly section 2.3.
    try:
        return b.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        raise DecodeError("invalid UTF-8 in str") from e


def _dec(data, pos, depth):
    if pos >= len(data):
        raise DecodeError("truncated input")
    b = data[pos]
    pos += 1
    if b <= 0x7f:
        return b, pos
    if b >= 0xe0:
        return b - 0x100, pos
    if 0x80 <= b <= 0x8f or b in (0xde, 0xdf):
        raise DecodeError("maps are not allowed (objects are arrays)")
    if 0x90 <= b <= 0x9f:
        return _dec_array(data, pos, b - 0x90, depth)
    if 0xa0 <= b <= 0xbf:
        return _dec_str(data, pos, b - 0xa0)
    if b == 0xc0:
        return None, pos
    if b == 0xc1:
        raise DecodeError("malformed msgpack (reserved byte 0xc1)")
    if b == 0xc2:
        return False, pos
    if b == 0xc3:
        return True, pos
    if b in (0xca, 0xcb):
        raise DecodeError("floats are not allowed")
    if b in (0xc7, 0xc8, 0xc9) or 0xd4 <= b <= 0xd8:
        raise DecodeError("ext types are not allowed")
    for table, kind in ((_UINT, "uint"), (_INT, "int"), (_BIN, "bin"), (_STR, "str"), (_ARR, "array")):
        for width, fmt in table.items():
            if fmt != b:
                continue
            if kind == "uint":
                v, pos = _read_be(data, pos, width)
                if _uint(v) != data[pos - width - 1:pos]:
                    raise DecodeError("non-canonical: integer not in shortest form")
                return v, pos
            if kind == "int":
                v, pos = _read_be(data, pos, width, signed=True)
                if v >= 0 or _negint(v) != data[pos - width - 1:pos]:
                    raise DecodeError("non-canonical: integer not in shortest form")
                return v, pos
            n, pos = _read_be(data, pos, width)
            header = data[pos - width - 1:pos]
            if kind == "bin":
                if bin_header(n) != header:
                    raise DecodeError("non-canonical: str/bin/array length prefix not in shortest form")
                raw, pos = _take(data, pos, n)
                return raw, pos
            if kind == "str":
                if str_header(n) != header:
                    raise DecodeError("non-canonical: str/bin/array length prefix not in shortest form")
                return _dec_str(data, pos, n)
            if array_header(n) != header:
                raise DecodeError("non-canonical: str/bin/array length prefix not in shortest form")
            return _dec_array(data, pos, n, depth)
    raise DecodeError("malformed msgpack")  # unreachable: every byte is covered


def _dec_str(data, pos, n):
    raw, pos = _take(data, pos, n)
    return _check_utf8(raw), pos


def _dec_array(data, pos, n, depth):
    if depth > MAX_DEPTH:
        raise DecodeError("arrays nested too deeply")
    # Each element takes at least one byte: refuse absurd counts before looping.
    if n > len(data) - pos:
        raise DecodeError("truncated input")
    items = []
    for _ in range(n):
        item, pos = _dec(data, pos, depth + 1)
        items.append(item)
    return items, pos

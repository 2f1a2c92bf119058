"""souk transactions and blocks (doc/consensus.md sections 3-5, 8, 9).

Built on this package's own msgpack and BIP340 code, never on soukd's, so a
test that compares the two checks the C implementation against a second one.
Hashes are bytes in hashing order; .hex() gives the form soukd displays.
"""

import hashlib

from . import msgpack
from .key import tagged_hash, ECKey

__all__ = [
    "COIN", "AMOUNT_MAX", "TX_MAX_SIZE", "BLOCK_MAX_SIZE", "TX_COINBASE", "TX_TRANSFER",
    "GENESIS", "genesis_block", "genesis_hash", "Tx", "BlockHeader", "Block",
    "merkle_root", "sha256", "sha256d", "coinbase_tx", "transfer_tx", "bits_to_target",
    "MARKET_TYPES", "market_tx", "profile_set", "listing_create", "listing_update", "listing_close",
    "order_place", "order_accept", "order_ship", "order_complete", "order_cancel", "order_dispute",
    "order_resolve", "REVIEW_TYPES", "REVIEW_ASPECTS", "review_tx", "review_post", "review_reply",
]

COIN = 100_000_000
AMOUNT_MAX = 2_100_000_000_000_000_000
TX_MAX_SIZE = 65536
BLOCK_MAX_SIZE = 4 * 1024 * 1024
TX_COINBASE = 0
TX_TRANSFER = 1
SIGHASH_TAG = "souk/tx"


def sha256(b):
    return hashlib.sha256(b).digest()


def sha256d(b):
    return sha256(sha256(b))


class Tx:
    """tx = [version, type, sender, nonce, fee, payload, sig]."""

    def __init__(self, type_=TX_TRANSFER, sender=b"", nonce=0, fee=0, payload=None, sig=b"", version=1):
        self.version = version
        self.type = type_
        self.sender = sender
        self.nonce = nonce
        self.fee = fee
        self.payload = list(payload) if payload is not None else []
        self.sig = sig

    def unsigned_array(self):
        return [self.version, self.type, self.sender, self.nonce, self.fee, self.payload]

    def to_array(self):
        return self.unsigned_array() + [self.sig]

    def serialize(self):
        return msgpack.encode(self.to_array())

    def hex(self):
        return self.serialize().hex()

    def txid(self):
        return sha256(self.serialize())

    def sighash(self, genesis):
        return tagged_hash(SIGHASH_TAG, genesis + msgpack.encode(self.unsigned_array()))

    def sign(self, key, genesis, aux=None):
        """Sets sender to key's pubkey and sig to a BIP340 signature; returns self."""
        if not isinstance(key, ECKey):
            key = ECKey(key)
        self.sender = key.pubkey
        self.sig = key.sign(self.sighash(genesis), aux)
        return self

    @classmethod
    def deserialize(cls, data):
        arr = msgpack.decode(data)
        return cls.from_array(arr)

    @classmethod
    def from_array(cls, arr):
        if not isinstance(arr, list) or len(arr) != 7:
            raise ValueError("tx must be an array of 7")
        t = cls(arr[1], arr[2], arr[3], arr[4], arr[5], arr[6], version=arr[0])
        return t

    def __repr__(self):
        return "Tx(type=%d nonce=%d fee=%d txid=%s)" % (self.type, self.nonce, self.fee, self.txid().hex())


def coinbase_tx(height, recipient, amount, extra=b""):
    return Tx(TX_COINBASE, b"", height, 0, [recipient, amount, extra], b"")


def transfer_tx(key, genesis, nonce, to, amount, fee, memo=b"", aux=None):
    """A signed transfer from key (ECKey or 32-byte secret) to the 32-byte key `to`."""
    tx = Tx(TX_TRANSFER, b"", nonce, fee, [to, amount, memo])
    return tx.sign(key, genesis, aux)


# The market plugin's types (doc/market.md): name -> id. Each payload encoder
# below returns the payload array in the order of the type's field table;
# ids are 32-byte txids, accounts 32-byte keys (b"" for "no arbiter").
MARKET_TYPES = {
    "profile_set": 16, "listing_create": 17, "listing_update": 18, "listing_close": 19,
    "order_place": 20, "order_accept": 21, "order_ship": 22, "order_complete": 23,
    "order_cancel": 24, "order_dispute": 25, "order_resolve": 26,
}


def market_tx(key, genesis, nonce, type_name, payload, fee):
    """A signed market tx of type `type_name` with a payload from the encoders below."""
    return Tx(MARKET_TYPES[type_name], b"", nonce, fee, payload).sign(key, genesis)


def profile_set(name, about=""):
    return [name, about]


def listing_create(title, price, quantity, description="", category="", media=(), expires_at_height=0):
    return [title, description, category, price, quantity, list(media), expires_at_height]


def listing_update(listing_id, title, price, quantity, description="", category=""):
    return [listing_id, title, description, category, price, quantity]


def listing_close(listing_id):
    return [listing_id]


def order_place(listing_id, quantity, max_total, arbiter=b"", arbiter_fee_bps=0, note=b""):
    return [listing_id, quantity, max_total, arbiter, arbiter_fee_bps, note]


def order_accept(order_id):
    return [order_id]


def order_ship(order_id, note=b""):
    return [order_id, note]


def order_complete(order_id):
    return [order_id]


def order_cancel(order_id):
    return [order_id]


def order_dispute(order_id, reason=""):
    return [order_id, reason]


def order_resolve(order_id, buyer_amount):
    return [order_id, buyer_amount]


# The review plugin's types (doc/reviews.md): name -> id.
REVIEW_TYPES = {"review_post": 32, "review_reply": 33}
# The aspects of a review_post, in payload order.
REVIEW_ASPECTS = ("quality", "description", "delivery", "communication")


def review_tx(key, genesis, nonce, type_name, payload, fee):
    """A signed review tx of type `type_name` with a payload from the encoders below."""
    return Tx(REVIEW_TYPES[type_name], b"", nonce, fee, payload).sign(key, genesis)


def review_post(order_id, rating, text="", aspects=(0, 0, 0, 0)):
    """aspects: four small integers in REVIEW_ASPECTS order (0: not rated), or a dict of some of
    them by name. The array is encoded as given (any length), for tests of its bounds."""
    if isinstance(aspects, dict):
        aspects = [aspects.get(name, 0) for name in REVIEW_ASPECTS]
    return [order_id, rating, list(aspects), text]


def review_reply(review_id, text=""):
    return [review_id, text]


def merkle_root(txids):
    """RFC 6962-style root: leaves H(0x00||txid), nodes H(0x01||l||r), odd node promoted."""
    if not txids:
        return sha256(b"")
    level = [sha256(b"\x00" + t) for t in txids]
    while len(level) > 1:
        nxt = [sha256(b"\x01" + level[i] + level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


class BlockHeader:
    """header = [version, prev_hash, merkle_root, time, bits, nonce]."""

    def __init__(self, prev_hash=b"\x00" * 32, merkle=b"\x00" * 32, time=0, bits=0x207fffff, nonce=0, version=1):
        self.version = version
        self.prev_hash = prev_hash
        self.merkle_root = merkle
        self.time = time
        self.bits = bits
        self.nonce = nonce

    def to_array(self):
        return [self.version, self.prev_hash, self.merkle_root, self.time, self.bits, self.nonce]

    def serialize(self):
        return msgpack.encode(self.to_array())

    def hash(self):
        return sha256d(self.serialize())

    @classmethod
    def from_array(cls, arr):
        if not isinstance(arr, list) or len(arr) != 6:
            raise ValueError("header must be an array of 6")
        return cls(arr[1], arr[2], arr[3], arr[4], arr[5], version=arr[0])


def bits_to_target(bits):
    size = bits >> 24
    mant = bits & 0x007fffff
    if size <= 3:
        return mant >> (8 * (3 - size))
    return mant << (8 * (size - 3))


class Block:
    """block = [header, txs]."""

    def __init__(self, header=None, txs=None):
        self.header = header if header is not None else BlockHeader()
        self.txs = list(txs) if txs is not None else []

    def update_merkle_root(self):
        self.header.merkle_root = merkle_root([t.txid() for t in self.txs])

    def serialize(self):
        return msgpack.encode([self.header.to_array(), [t.to_array() for t in self.txs]])

    def hex(self):
        return self.serialize().hex()

    def hash(self):
        return self.header.hash()

    def meets_target(self):
        return int.from_bytes(self.hash(), "big") <= bits_to_target(self.header.bits)

    def solve(self, max_tries=1 << 32):
        """Increment the nonce until the header meets its own target."""
        for _ in range(max_tries):
            if self.meets_target():
                return True
            self.header.nonce += 1
        return False

    @classmethod
    def deserialize(cls, data):
        arr = msgpack.decode(data)
        if not isinstance(arr, list) or len(arr) != 2:
            raise ValueError("block must be an array of 2")
        return cls(BlockHeader.from_array(arr[0]), [Tx.from_array(t) for t in arr[1]])


# doc/consensus.md section 9.1
GENESIS_RECIPIENT = bytes.fromhex("50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0")
GENESIS_TIME = 1795564800
GENESIS = {
    "main": (b"souk genesis 2026-11-25: every trade signed, every review earned", 666399, 0x1e0fffff,
             "0000027c6085420c46cb15bbe12dc30f57fae1e32a901140d1e77e9069632e65"),
    "test": (b"souk testnet genesis 2026-11-25", 4739385, 0x1e0fffff,
             "000001fa6edac4d0a880f8a8a1910521dd2d145dafa41b67826b07b58f7c0c3a"),
    "regtest": (b"souk regtest genesis", 3, 0x207fffff,
                "0f3f3c5bb8ecd9329bed463583cc45e4a9b72d268e9198d9edfcd5de8a896432"),
}


def genesis_block(network="regtest"):
    """Rebuild the network's genesis block from its documented inputs."""
    extra, nonce, bits, _ = GENESIS[network]
    cb = coinbase_tx(0, GENESIS_RECIPIENT, 50 * COIN, extra)
    blk = Block(BlockHeader(b"\x00" * 32, b"", GENESIS_TIME, bits, nonce), [cb])
    blk.update_merkle_root()
    return blk


def genesis_hash(network="regtest"):
    """The documented genesis hash (bytes); framework_codecs checks it equals genesis_block().hash()."""
    return bytes.fromhex(GENESIS[network][3])

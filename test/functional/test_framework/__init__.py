"""souk functional test framework.

Pure-Python, standard-library-only tools for testing soukd from the outside:
codecs written independently of the C code (msgpack, BIP340, bech32m, souk
transactions and blocks), a JSON-RPC client, node process management and the
SoukTestFramework base class every functional test derives from.
"""

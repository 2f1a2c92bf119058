#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_review (test/fuzz/corpus/fuzz_review/):
a type selector byte (0 review_post, 1 review_reply) and a payload built
with the functional tests' codec — each type's valid payloads, the bounds
themselves, and near misses just outside them. Run from the repository
root; the output is committed."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "functional"))

from test_framework import msgpack  # noqa: E402
from test_framework.messages import review_post, review_reply  # noqa: E402
from test_framework.msgpack import RawBytes, str_header  # noqa: E402

OID, RID = b"\x22" * 32, b"\x44" * 32


def seeds():
    post = {
        "post_all_aspects": review_post(OID, 5, "Sturdy, as described", [5, 4, 5, 3]),
        "post_no_aspects": review_post(OID, 1, "never again"),
        "post_seller": review_post(OID, 4, "paid at once", {"communication": 4}),
        "post_text_bound": review_post(OID, 3, "t" * 2048),
        "post_utf8": review_post(OID, 2, "tr\u00e8s \u2014 \U0001F44D"),
        # near misses
        "post_rating_zero": review_post(OID, 0),
        "post_rating_six": review_post(OID, 6),
        "post_aspect_six": review_post(OID, 5, "", [0, 0, 6, 0]),
        "post_aspect_byte": review_post(OID, 5, "", [0, 0, 0, 256]),
        "post_three_aspects": review_post(OID, 5, "", [1, 2, 3]),
        "post_five_aspects": review_post(OID, 5, "", [1, 2, 3, 4, 5]),
        "post_text_long": review_post(OID, 3, "t" * 2049),
        "post_short_id": review_post(OID[:31], 3),
        "post_bad_utf8": [OID, 3, [0, 0, 0, 0], RawBytes(str_header(3) + b"ok\xff")],
    }
    reply = {
        "reply": review_reply(RID, "Sorry: a new one is on its way"),
        "reply_empty": review_reply(RID),
        "reply_text_bound": review_reply(RID, "r" * 2048),
        "reply_text_long": review_reply(RID, "r" * 2049),
        "reply_extra_field": review_reply(RID, "x") + [1],
    }
    for name, payload in post.items():
        yield name, b"\x00" + msgpack.encode(payload)
    for name, payload in reply.items():
        yield name, b"\x01" + msgpack.encode(payload)
    # a non-canonical rating (a uint8 encoding of 5)
    canon = msgpack.encode(review_post(OID, 5))
    yield "post_noncanonical_rating", b"\x00" + canon.replace(b"\x05\x94", b"\xcc\x05\x94", 1)


def main():
    d = os.path.join(HERE, "corpus", "fuzz_review")
    os.makedirs(d, exist_ok=True)
    for name, data in seeds():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()

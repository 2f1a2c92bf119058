"""A key's reputation recomputed in Python from reviews as review_list shows
them (doc/reviews.md, "Reputation"), written from the document and not from
src/, so a test can compare review_getreputation with a second computation."""
from decimal import Decimal

from .messages import REVIEW_ASPECTS
from .util import to_units


def average(total, n):
    """An average to the hundredth, rounded down, as the node shows it; None for nothing."""
    return None if n == 0 else Decimal(total * 100 // n) / 100


def reputation(reviews):
    """The figures of one subject in one role from its reviews (review_list entries): reviews,
    average, weighted_average (by order total), score (each author's latest review — greatest
    height, then greatest id — counted once), reviewers, and each aspect's reviews and average
    (null aspects are not rated)."""
    n = len(reviews)
    ratings = sum(r["rating"] for r in reviews)
    weights = sum(to_units(r["order_total"]) for r in reviews)
    weighted = sum(r["rating"] * to_units(r["order_total"]) for r in reviews)
    latest = {}
    for r in reviews:
        mine = latest.get(r["author"])
        if mine is None or (r["height"], r["id"]) > (mine["height"], mine["id"]):
            latest[r["author"]] = r
    aspects = {}
    for name in REVIEW_ASPECTS:
        rated = [r["aspects"][name] for r in reviews if r["aspects"][name] is not None]
        aspects[name] = {"reviews": len(rated), "average": average(sum(rated), len(rated))}
    return {
        "reviews": n,
        "average": average(ratings, n),
        "weighted_average": average(weighted, weights),
        "score": average(sum(r["rating"] for r in latest.values()), len(latest)),
        "reviewers": len(latest),
        "aspects": aspects,
    }


def summary(full):
    """The part of a role's reputation that market results carry."""
    return {k: full[k] for k in ("reviews", "average", "weighted_average", "score", "reviewers")}


def check_against_list(node, address, assert_equal):
    """review_getreputation of address equals, in each role, the recomputation from every review
    review_list returns for it as subject; returns the reputation."""
    rep = node.review_getreputation(address)
    listed = node.review_list({"subject": address, "limit": 1000})
    assert_equal(listed["total"], len(listed["reviews"]))
    for role in ("seller", "buyer"):
        mine = [r for r in listed["reviews"] if r["subject_role"] == role]
        got = {k: v for k, v in rep["as_" + role].items() if k != "trades"}
        assert_equal(got, reputation(mine))
    return rep

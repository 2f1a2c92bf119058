#!/usr/bin/env python3
"""-rest: GET /rest/{block,tx,account,listing,order,review,media}/<id>.json on
the RPC port, without credentials, answers exactly what the matching RPC
method answers (getblock verbosity 2, getrawtransaction verbose,
getaccount, market_getlisting, market_getorder, review_get), for a
confirmed trade with a review and for a tx still in the mempool.

Refusals, each with its status and message: an id that is not 64 hex
digits or not an address of this network (400), an unknown object (404),
a format other than .json or none (404, "output format not found"), an
unknown resource (404), another method than GET (405; a JSON-RPC body
POSTed there without credentials runs nothing), and a node without -rest
(404 for every /rest/ path, while its RPC still wants credentials)."""

import base64
import json
from decimal import Decimal

from test_framework.bech32m import encode_address
from test_framework.messages import COIN
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal

OPT = {"fee": "0.0001"}


class RpcRestTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 2
        self.extra_args = [["-rest"], []]

    def get(self, node, path, method="GET", body=b"", auth=False, credentials=None):
        proxy = node.make_rpc()
        return proxy.raw_request(body, method=method, path=path, use_auth=auth,
                                 auth=credentials)

    def rest(self, node, path):
        status, headers, body = self.get(node, path)
        assert_equal(status, 200)
        assert_equal(headers["content-type"], "application/json")
        return json.loads(body.decode(), parse_float=Decimal)

    def refused(self, node, path, status, text, method="GET", body=b""):
        got, headers, data = self.get(node, path, method=method, body=body)
        assert_equal(got, status)
        assert_equal(headers.get("content-type"), "text/plain")
        assert text in data.decode(), "%r not in %r" % (text, data)
        return headers

    def run_test(self):
        n0, n1 = self.nodes
        self.miner_key, self.miner_address = self.new_key()
        self.generate(n0, 110, sync=False)
        n0.createwallet("seller")
        n0.createwallet("buyer")
        seller, buyer = n0.wallet_rpc("seller"), n0.wallet_rpc("buyer")
        s_addr, b_addr = seller.getnewaddress(), buyer.getnewaddress()
        for i, addr in enumerate((s_addr, b_addr)):
            n0.sendrawtransaction(self.make_transfer(self.miner_key, i, addr, 100 * COIN, 10000))
        self.generate(n0, 1, sync=False)

        self.log.info("a trade: listing, order, completion and a review")
        photo = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
        media = n0.market_addmedia(base64.b64encode(photo).decode())["id"]
        listing = seller.market_createlisting({"title": "Oak chair", "price": 3, "quantity": 5,
                                               "media": [media]}, OPT)["txid"]
        self.generate(n0, 1, sync=False)
        order = buyer.market_placeorder(listing, 2, OPT)["txid"]
        self.generate(n0, 1, sync=False)
        seller.market_acceptorder(order, OPT)
        self.generate(n0, 1, sync=False)
        buyer.market_completeorder(order, OPT)
        self.generate(n0, 1, sync=False)
        review = buyer.review_post(order, 5, "Sturdy", dict(OPT, quality=5))["txid"]
        block = self.generate(n0, 1, sync=False)[0]

        self.log.info("each resource is its RPC method's answer")
        assert_equal(self.rest(n0, "/rest/block/%s.json" % block), n0.getblock(block, 2))
        assert_equal(self.rest(n0, "/rest/tx/%s.json" % review), n0.getrawtransaction(review, True))
        assert_equal(self.rest(n0, "/rest/account/%s.json" % b_addr), n0.getaccount(b_addr))
        assert_equal(self.rest(n0, "/rest/listing/%s.json" % listing), n0.market_getlisting(listing))
        assert_equal(self.rest(n0, "/rest/order/%s.json" % order), n0.market_getorder(order))
        assert_equal(self.rest(n0, "/rest/review/%s.json" % review), n0.review_get(review))
        assert_equal(self.rest(n0, "/rest/review/%s.json" % review)["text"], "Sturdy")
        # a listing photo as itself, under its own content type, or as JSON
        status, headers, data = self.get(n0, "/rest/media/%s.bin" % media)
        assert_equal((status, headers.get("content-type"), data), (200, "image/png", photo))
        assert_equal(headers.get("x-content-type-options"), "nosniff")
        assert_equal(self.rest(n0, "/rest/media/%s.json" % media), n0.market_getmedia(media))
        # Upper-case hex names the same object; a query string is ignored.
        assert_equal(self.rest(n0, "/rest/block/%s.json?x=1" % block.upper()),
                     n0.getblock(block, 2))
        pending = seller.sendtoaddress(b_addr, 1)
        assert_equal(self.rest(n0, "/rest/tx/%s.json" % pending), n0.getrawtransaction(pending, True))
        # Wrong credentials do not matter on a public route.
        status, _, _ = self.get(n0, "/rest/block/%s.json" % block, auth=True,
                                credentials=("__cookie__", "wrong"))
        assert_equal(status, 200)

        self.log.info("bad ids are 400, unknown objects 404")
        self.refused(n0, "/rest/block/xyz.json", 400, "Invalid hash: xyz")
        self.refused(n0, "/rest/tx/%s.json" % ("0" * 63), 400, "Invalid hash: ")
        self.refused(n0, "/rest/listing/%s.json" % ("g" * 64), 400, "Invalid hash: ")
        self.refused(n0, "/rest/order/.json", 400, "Invalid hash: ")
        self.refused(n0, "/rest/block/%s.json" % ("a" * 500), 400, "...")
        self.refused(n0, "/rest/account/souk1notanaddress.json", 400, "Invalid address: ")
        key, _ = self.new_key()
        self.refused(n0, "/rest/account/%s.json" % encode_address(key.pubkey, "souk"), 400,
                     "Invalid address: souk1")
        missing = "ab" * 32
        self.refused(n0, "/rest/block/%s.json" % missing, 404, "Block not found")
        self.refused(n0, "/rest/tx/%s.json" % missing, 404, "No such mempool or blockchain transaction")
        self.refused(n0, "/rest/listing/%s.json" % missing, 404, "no listing with this id")
        self.refused(n0, "/rest/order/%s.json" % missing, 404, "no order with this id")
        self.refused(n0, "/rest/review/%s.json" % listing, 404, "no review with this id")
        self.refused(n0, "/rest/media/%s.bin" % missing, 404, "media not held by this node")
        self.refused(n0, "/rest/media/xyz.bin", 400, "Invalid hash: xyz")

        self.log.info("formats, resources and methods")
        height = n0.getblockcount()
        self.refused(n0, "/rest/block/%s.bin" % block, 404, "output format not found (available: .json)")
        self.refused(n0, "/rest/block/%s" % block, 404, "output format not found")
        self.refused(n0, "/rest/block/%s.json.xml" % block, 404, "output format not found")
        self.refused(n0, "/rest/blocks/%s.json" % block, 404,
                     "unknown REST resource \"blocks\" (available: block, tx, account, listing, "
                     "order, review, media)")
        self.refused(n0, "/rest/", 404, "unknown REST resource")
        headers = self.refused(n0, "/rest/block/%s.json" % block, 405, "only GET", method="POST")
        assert_equal(headers["allow"], "GET")
        # A JSON-RPC call POSTed to a public path is not run.
        self.refused(n0, "/rest/block/x.json", 405, "only GET", method="POST",
                     body=b'{"method": "stop", "params": [], "id": 1}')
        self.refused(n0, "/rest/", 405, "only GET", method="POST",
                     body=b'{"method": "getblockcount", "params": [], "id": 1}')
        # Neither ran: the node is up, at the same height.
        assert_equal(n0.getblockcount(), height)

        self.log.info("without -rest: 404, and the RPC still wants credentials")
        self.connect_nodes(0, 1)
        self.sync_blocks()
        status, _, _ = self.get(n1, "/rest/block/%s.json" % block)
        assert_equal(status, 404)
        status, _, _ = self.get(n1, "/rest/block/%s.json" % block, auth=True)
        assert_equal(status, 404)
        status, _, _ = self.get(n1, "/", method="POST",
                                body=b'{"method": "getblockcount", "params": [], "id": 1}')
        assert_equal(status, 401)


if __name__ == "__main__":
    RpcRestTest().main()

#!/usr/bin/env python3
"""A whole trade through the web app, in headless Chromium.

Two nodes, each running the gateway. The seller and the arbiter sign up on
node 0's gateway, the buyer on node 1's, in a phone-sized window. Checks:
sign-up shows 24 seed words once; the seller sets a shop name and lists an
item with a photo (uploaded through the page) whose title is HTML, shown
as text; the buyer finds it by search on the other node, sees the photo
byte for byte and the listing's title as the characters it holds, orders
with the arbiter and its fee, and sends the seller a text and an image;
the seller reads both, accepts and ships with a note; the buyer completes
and reviews with aspect stars; the seller replies. Each page updates
itself when the other side acts (server-sent events through
/api/events), with no reload. A screenshot of every page visited is saved
under the test's directory (screenshots/)."""
import base64
import os
import struct
import zlib

from test_framework.browser import Browser, missing
from test_framework.messages import COIN
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, wait_until

TITLE = "Brass lamp <img src=x onerror=alert(1)>"


def png(width, height, seed):
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    rows = b"".join(b"\0" + b"".join(bytes([(seed * 50 + x * 7) % 256, (y * 9) % 256, 90])
                                      for x in range(width)) for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


class WebTradeTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 2
        self.extra_args = [["-gateway"], ["-gateway"]]

    def setup_network(self):
        self.setup_nodes()
        self.connect_nodes(0, 1)

    def mine(self):
        self.sync_mempools()
        self.generate(self.nodes[0], 1)

    def url(self, node):
        return "http://127.0.0.1:%d/" % node.gateway_port

    def signup(self, b, node, name):
        b.open(self.url(node) + "#/signup")
        b.shot("signup")
        return b.signup(self.url(node), name, "pass-" + name + "-123")

    def run_test(self):
        why = missing()
        if why:
            self.skip_test(why)
        n0, n1 = self.nodes
        self.miner_key, self.miner_address = self.new_key()
        self.generate(n0, 110)
        tmp = self.options.tmpdir
        self.photo = png(64, 48, 3)
        self.photo_path = os.path.join(tmp, "lamp.png")
        with open(self.photo_path, "wb") as f:
            f.write(self.photo)
        with Browser(tmp, "seller") as s, Browser(tmp, "buyer", 390, 844) as b, \
                Browser(tmp, "arbiter") as a:
            self.s, self.b, self.a = s, b, a
            self.log.info("three people sign up: the seed words are shown once")
            self.s_addr = self.signup(s, n0, "oakworks")
            self.b_addr = self.signup(b, n1, "bea")
            self.a_addr = self.signup(a, n0, "carol")
            for i, addr in enumerate((self.s_addr, self.b_addr, self.a_addr)):
                n0.sendrawtransaction(self.make_transfer(self.miner_key, i, addr, 100 * COIN, 2000))
            self.mine()
            self.log.info("the balance arrives on the open page without a reload")
            s.wait_text("#balance", "100")
            b.wait_text("#balance", "100")
            s.shot("home")
            b.shot("home")
            self.listing()
            self.order_and_chat()
            self.ship_complete_review()
            self.dispute()
            self.errors_in_words()
            # No script error and nothing the CSP refused (the 401s of a
            # guest's session check and of the wrong password are expected).
            for br in (s, b, a):
                assert_equal([e for e in br.errors() if "status of 401" not in e], [])

    def listing(self):
        s, b = self.s, self.b
        self.log.info("the seller names the shop and lists an item with a photo")
        s.click("a[href='#/account']")
        s.type("#profile-name", "oak-works")
        s.click_text("button", "Save profile")
        s.wait_text(".notice.ok", "Saved")
        s.shot("account")
        self.mine()
        s.click("a[href='#/sell']")
        s.type("#sell-title", TITLE)
        s.type("#sell-description", "Polished brass, 40 cm.\nWorks with any bulb.")
        s.type("#sell-category", "lighting")
        s.type("#sell-price", "2.5")
        s.type("#sell-quantity", "3")
        s.find("#sell-photos").send_keys(self.photo_path)
        s.find("#sell-photo-list img")
        s.shot("sell")
        s.click_text("button", "Publish listing")
        link = s.find("#new-listing")
        self.listing_id = link.get_attribute("href").rsplit("/", 1)[1]
        self.mine()
        self.log.info("the buyer finds it by search on the other node, photo and all")
        b.click("a[href='#/shop']")
        b.type("#q", "brass lamp")
        b.click("#search-form button[type=submit]")
        b.wait_text("#result-count", "1 listing")
        b.shot("search")
        b.click(".tile[data-listing='%s']" % self.listing_id)
        assert_equal(b.find("#listing-title").text, TITLE)
        assert_equal(b.js("return document.querySelectorAll('#listing-title img').length"), 0)
        img = b.find("#listing-photos img", timeout=30)
        src = img.get_attribute("src")
        assert_equal(base64.b64decode(src.split(",", 1)[1]), self.photo)
        b.wait_text("#listing-stock", "3 in stock")
        b.shot("listing")

    def order_and_chat(self):
        s, b = self.s, self.b
        self.log.info("the buyer orders with an arbiter and sees the fee")
        b.type("#order-arbiter", self.a_addr)
        b.type("#order-fee", "2")
        b.wait_text("#order-total", "the arbiter gets 0.05 SOUK")
        b.type("#order-note", "Please wrap it well")
        b.click_text("button", "Place order")
        b.find("#order-state")
        self.order_id = b.driver.current_url.rsplit("/", 1)[1]
        self.mine()
        b.wait_text("#order-timeline", "Ordered")
        b.wait_text("#order-timeline", "If nothing happens by block")
        b.shot("order-placed")
        self.log.info("the buyer writes to the seller about the order, with an image")
        b.click("#order-chat")
        b.type("#chat-text", "Is the shade included?")
        b.find("#chat-file").send_keys(self.photo_path)
        b.click_text("button", "Send")
        b.wait_text("#thread", "Is the shade included?")
        b.find("#thread .msg.out img")
        b.shot("chat")
        self.log.info("the seller's badge counts the messages; the thread shows the image")
        s.wait_text("#badge", "2", timeout=60)
        s.click("a[href='#/messages']")
        s.click(".card[data-counterparty='%s']" % self.b_addr)
        s.wait_text("#thread", "Is the shade included?")
        img = s.find("#thread .msg img")
        assert_equal(base64.b64decode(img.get_attribute("src").split(",", 1)[1]), self.photo)
        s.shot("chat")

    def ship_complete_review(self):
        s, b = self.s, self.b
        self.log.info("the seller accepts and ships; the buyer's open page follows")
        s.open(self.url(self.nodes[0]) + "#/order/" + self.order_id)
        s.wait_text("#order-timeline", "Note: Please wrap it well")
        s.act("Accept order", "Sent. It takes effect")
        b.open(self.url(self.nodes[1]) + "#/order/" + self.order_id)
        b.wait_text("#order-state", "Waiting for the seller")
        self.mine()
        b.wait_text("#order-state", "Accepted")
        s.wait_text("#order-state", "Accepted")
        s.type("#ship-note", "Tracking 42")
        s.act("Mark as shipped", "Sent. It takes effect")
        self.mine()
        b.wait_text("#order-state", "Shipped")
        b.wait_text("#order-timeline", "Note: Tracking 42")
        b.shot("order-shipped")
        self.log.info("the buyer completes and reviews with aspects; the seller replies")
        b.act("I received it", "Sent. It takes effect")
        self.mine()
        b.wait_text("#order-state", "Completed")
        s.wait_text("#order-state", "Completed")
        b.find("#review-form")
        b.click("#review-rating input[value='5']")
        b.click("#review-quality input[value='5']")
        b.click("#review-delivery input[value='3']")
        b.type("#review-text", "Lovely lamp, slow post")
        b.act("Publish review", "Published with the next block")
        self.mine()
        b.wait_text("#reviewed", "You reviewed this order")
        b.shot("reviewed")
        s.open(self.url(self.nodes[0]) + "#/profile/" + self.s_addr)
        s.wait_text(".reviews", "Lovely lamp, slow post")
        s.type("textarea[id^='reply-']", "Thank you! Faster next time.")
        s.act("Reply", "Your reply shows with the next block")
        self.mine()
        b.open(self.url(self.nodes[1]) + "#/profile/" + self.s_addr)
        b.wait_text(".reviews", "Thank you! Faster next time.")
        b.wait_text(".reputation", "5.0")
        b.shot("profile")
        s.shot("profile")

    def dispute(self):
        s, b, a = self.s, self.b, self.a
        self.log.info("a second order goes to the arbiter, who splits it with the slider")
        b.open(self.url(self.nodes[1]) + "#/listing/" + self.listing_id)
        b.type("#order-arbiter", self.a_addr)
        b.type("#order-fee", "2")
        b.click_text("button", "Place order")
        b.find("#order-state")
        order = b.driver.current_url.rsplit("/", 1)[1]
        self.mine()
        s.open(self.url(self.nodes[0]) + "#/order/" + order)
        s.act("Accept order", "Sent. It takes effect")
        self.mine()
        b.wait_text("#order-state", "Accepted")
        b.type("#dispute-reason", "It arrived dented")
        b.act("Ask the arbiter", "The dispute opens with the next block")
        self.mine()
        b.wait_text("#order-state", "In dispute")
        a.open(self.url(self.nodes[0]) + "#/orders")
        a.wait_text("#order-list", "arbiter")
        a.click("#order-list a")
        a.find("#split")
        # total 2.5, fee 0.05: the buyer gets 60% of the 2.45 left
        a.js("const r = document.getElementById('split'); r.value = 60; r.dispatchEvent(new Event('input'))")
        a.wait_text("#split-text", "Buyer gets 1.47 SOUK")
        a.shot("dispute")
        a.act("Settle", "Settled with the next block")
        self.mine()
        b.wait_text("#order-state", "Resolved")
        a.wait_text("#order-state", "Resolved")
        order_info = self.nodes[0].market_getorder(order)
        assert_equal(order_info["state"], "RESOLVED")

    def errors_in_words(self):
        b = self.b
        self.log.info("errors in words; logging in again with the keyboard alone")
        b.open(self.url(self.nodes[1]) + "#/")
        b.type("#send-to", self.s_addr)
        b.type("#send-amount", "5000")
        b.click_text("button", "Send")
        b.wait_text(".notice.error", "You do not have enough coins for this")
        b.type("#send-to", "rsouk1notanaddress")
        b.type("#send-amount", "1")
        b.click_text("button", "Send")
        b.wait_text(".notice.error", "address")
        b.shot("error")
        b.click("a[href='#/account']")
        b.click_text("button", "Log out")
        b.find("a[href='#/login']:not([hidden])")
        b.open(self.url(self.nodes[1]) + "#/login")
        from selenium.webdriver.common.keys import Keys
        user = b.find("#login-form input[name=username]")
        user.send_keys("bea" + Keys.TAB + "wrong password" + Keys.ENTER)
        b.wait_text("#login-form .notice.error", "Wrong username or password")
        b.type("#login-form input[name=password]", "pass-bea-123" + Keys.ENTER)
        b.wait_text("#balance", "SOUK")


if __name__ == "__main__":
    WebTradeTest().main()

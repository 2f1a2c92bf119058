#!/usr/bin/env python3
"""Stored XSS through every text that reaches a page, and uploads the web
app refuses, in headless Chromium.

One node with the gateway; mallory writes HTML and script into every field
a page shows — her profile, a listing's title, description and category, a
review and a reply, a chat text and an attachment's file name — and the
victim opens every page that shows them: the shop, the listing, mallory's
profile, the order, the conversation. Each time the characters show as
text, no element comes from them and no script ran (a marker only the
payloads would set stays unset). A "photo" that is no image and one over
512 KB are refused with a message in words, and nothing is stored."""
import os

from test_framework.browser import Browser, missing
from test_framework.messages import COIN
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal

P = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>'


class WebSecurityTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.extra_args = [["-gateway"]]

    def mine(self):
        self.generate(self.nodes[0], 1)

    def signup(self, b, name):
        return b.signup(self.url, name, "pass-" + name + "-123")

    def clean(self, b, where):
        """No element came from a payload and no payload script ran."""
        b.shot(where)
        assert_equal(b.js("return window.__xss === undefined"), True)
        assert_equal(b.js("return document.querySelectorAll('img[src=\"x\"], main script').length"), 0)

    def run_test(self):
        why = missing()
        if why:
            self.skip_test(why)
        node = self.nodes[0]
        self.url = "http://127.0.0.1:%d/" % node.gateway_port
        self.miner_key, self.miner_address = self.new_key()
        self.generate(node, 110)
        tmp = self.options.tmpdir
        with Browser(tmp, "mallory") as m, Browser(tmp, "victim") as v:
            m_addr = self.signup(m, "mallory")
            v_addr = self.signup(v, "victim")
            for i, addr in enumerate((m_addr, v_addr)):
                node.sendrawtransaction(self.make_transfer(self.miner_key, i, addr, 50 * COIN, 2000))
            self.mine()

            self.log.info("uploads: no image and too large are refused in words, nothing stored")
            m.open(self.url + "#/sell")
            fake = os.path.join(tmp, "photo.png")
            with open(fake, "w") as f:
                f.write("<html>not a picture</html>")
            big = os.path.join(tmp, "big.png")
            with open(big, "wb") as f:
                f.write(b"\x89PNG\r\n\x1a\n" + os.urandom(512 * 1024))
            m.find("#sell-photos").send_keys(fake)
            m.wait_text(".notice.error", "Not an image a listing can show")
            m.find("#sell-photos").send_keys(big)
            m.wait_text(".notice.error", "too large")
            assert_equal(node.market_getmediainfo()["blobs"], 0)

            self.log.info("mallory writes HTML and script into every field a page shows")
            m.open(self.url + "#/account")
            m.type("#profile-name", "mallory")
            m.type("#profile-about", "About " + P)
            m.click_text("button", "Save profile")
            m.wait_text(".notice.ok", "Saved")
            m.open(self.url + "#/sell")
            m.type("#sell-title", "Title " + P[:120])
            m.type("#sell-description", "Description " + P)
            m.type("#sell-category", "cat" + P[:50])
            m.type("#sell-price", "1")
            m.click_text("button", "Publish listing")
            listing = m.find("#new-listing").get_attribute("href").rsplit("/", 1)[1]
            self.mine()

            self.log.info("the victim sees them as text: shop, listing, profile")
            v.open(self.url + "#/shop?q=title")
            v.wait_text("#result-count", "1 listing")
            v.wait_text("#results", "Title <img src=x")
            self.clean(v, "shop")
            v.open(self.url + "#/listing/" + listing)
            assert_equal(v.find("#listing-title").text, "Title " + P[:120])
            v.wait_text("#listing-description", "Description " + P)
            self.clean(v, "listing")
            v.open(self.url + "#/profile/" + m_addr)
            v.wait_text("main", "About " + P)
            self.clean(v, "profile")

            self.log.info("an order, then a review and a reply with payloads")
            v.open(self.url + "#/listing/" + listing)
            v.click_text("button", "Place order")
            v.find("#order-state")
            order = v.driver.current_url.rsplit("/", 1)[1]
            self.mine()
            m.open(self.url + "#/order/" + order)
            m.act("Accept order", "Sent. It takes effect")
            self.mine()
            v.open(self.url + "#/order/" + order)
            v.act("I received it", "Sent. It takes effect")
            self.mine()
            m.open(self.url + "#/order/" + order)
            m.find("#review-form")
            m.click("#review-rating input[value='1']")
            m.type("#review-text", "Review " + P)
            m.act("Publish review", "Published with the next block")
            self.mine()
            v.open(self.url + "#/profile/" + v_addr)
            v.wait_text(".reviews", "Review " + P)
            self.clean(v, "review")
            v.type("textarea[id^='reply-']", "Reply " + P)
            v.act("Reply", "Your reply shows with the next block")
            self.mine()
            m.open(self.url + "#/profile/" + v_addr)
            m.wait_text(".reviews", "Reply " + P)
            self.clean(m, "reply")

            self.log.info("chat: a text and a file whose name is HTML")
            m.open(self.url + "#/messages/" + v_addr)
            m.type("#chat-text", "Chat " + P)
            named = os.path.join(tmp, "<img src=x onerror=window.__xss=1>.txt")
            with open(named, "w") as f:
                f.write("hello")
            m.find("#chat-file").send_keys(named)
            m.click_text("button", "Send")
            m.wait_text("#thread", "Chat " + P)
            v.open(self.url + "#/messages/" + m_addr)
            v.wait_text("#thread", "Chat " + P)
            v.wait_text("#thread", "Download <img src=x onerror=window.__xss=1>.txt")
            self.clean(v, "chat")
            assert_equal([e for e in v.errors() if "status of 401" not in e], [])


if __name__ == "__main__":
    WebSecurityTest().main()

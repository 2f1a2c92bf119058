#!/usr/bin/env python3
"""Changing the password and deleting the account in the web app, in
headless Chromium.

Alice signs up in one browser and logs in from a second. On her account
page a wrong current password and a too-short new one are refused in
words; the right change ends the other browser's session (its next page
asks it to log in), the old password no longer logs in and the new one
does. Deleting asks for a tick and the password (each refusal in words),
then ends the session and says so on the start page; the username logs in
no more and is free for a new account with a new wallet, while the old
wallet's file is kept, set aside, with the coins it received."""
import glob
import os
import shutil

from test_framework.browser import Browser, missing
from test_framework.messages import COIN
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal

OLD, NEW = "pass-alice-123", "a new secret 456"


class WebAccountTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.extra_args = [["-gateway"]]

    def login(self, b, password, error=None):
        b.open(self.url + "#/login")
        b.type("#login-form input[name=username]", "alice")
        b.type("#login-form input[name=password]", password)
        b.click("#login-form button[type=submit]")
        if error:
            b.wait_text("#login-form .notice.error", error)
        else:
            b.find("a[href='#/account']:not([hidden])")

    def run_test(self):
        why = missing()
        if why:
            self.skip_test(why)
        node = self.nodes[0]
        self.url = "http://127.0.0.1:%d/" % node.gateway_port
        self.miner_key, self.miner_address = self.new_key()
        self.generate(node, 110)
        tmp = self.options.tmpdir
        with Browser(tmp, "alice") as a, Browser(tmp, "alice2") as a2:
            self.log.info("sign up in one browser, log in from another")
            address = a.signup(self.url, "Alice", OLD)
            node.sendrawtransaction(self.make_transfer(self.miner_key, 0, address, 7 * COIN, 2000))
            self.generate(node, 1)
            self.login(a2, OLD)
            a2.wait_text("#balance", "7")

            self.log.info("password change: refusals in words, then the change")
            a.open(self.url + "#/account")
            a.wait_text("h1", "Your account")
            old_in, new_in = a.find_all("input[autocomplete=current-password]")[0], \
                a.find("input[autocomplete=new-password]")
            old_in.send_keys("not my password")
            new_in.send_keys(NEW)
            a.click_text("button", "Change password")
            a.wait_text(".notice.error", "The password is wrong")
            old_in.clear()
            old_in.send_keys(OLD)
            new_in.clear()
            new_in.send_keys("short")
            a.click_text("button", "Change password")
            a.wait_text(".notice.error", "at least 8 characters")
            new_in.clear()
            new_in.send_keys(NEW)
            a.click_text("button", "Change password")
            a.wait_text(".notice.ok", "Your password is changed")
            a.shot("password-changed")
            # This browser's session lives on (a new token) ...
            a.open(self.url + "#/")
            a.wait_text("#balance", "7")
            # ... the other's ended: its next page asks it to log in, and
            # after it, goes back to the page it was on.
            a2.open(self.url + "#/account")
            a2.wait_text(".notice.ok", "Your session has ended")
            a2.find("#login-form")
            a2.shot("logged-out-elsewhere")
            a2.type("#login-form input[name=username]", "alice")
            a2.type("#login-form input[name=password]", OLD)
            a2.click("#login-form button[type=submit]")
            a2.wait_text("#login-form .notice.error", "Wrong username or password")
            a2.type("#login-form input[name=password]", NEW)
            a2.click("#login-form button[type=submit]")
            a2.wait_text("h1", "Your account")

            self.log.info("delete: a tick and the password, then the account is gone")
            a.open(self.url + "#/account")
            a.type("#delete-password", NEW)
            a.click_text("button", "Delete my account")
            a.wait_text(".notice.error", "Tick the box")
            a.click("#delete-sure")
            a.type("#delete-password", OLD)
            a.click_text("button", "Delete my account")
            a.wait_text(".notice.error", "The password is wrong")
            a.type("#delete-password", NEW)
            a.click_text("button", "Delete my account")
            a.wait_text(".notice.ok", "Your account is deleted")
            a.find("a[href='#/login']:not([hidden])")
            a.shot("deleted")
            # Every session of it ended, the other browser's too.
            a2.open(self.url + "#/orders")
            a2.wait_text(".notice.ok", "Your session has ended")
            a2.find("#login-form")
            self.login(a, NEW, "Wrong username or password")
            kept = glob.glob(os.path.join(node.datadir, "regtest", "gateway-deleted", "gw-alice-*"))
            assert_equal(len(kept), 1)

            self.log.info("the username is free again, with a new wallet")
            again = a.signup(self.url, "alice", OLD)
            assert again != address
            a.wait_text("#balance", "0")
            # The old wallet's coins are where its file is: an operator who
            # puts it back among the wallets finds them there.
            shutil.copytree(kept[0], os.path.join(node.datadir, "regtest", "wallets", "restored"))
            node.loadwallet("restored")
            assert_equal(node.wallet_rpc("restored").getbalances()["mine"]["trusted"], 7)
            # Refusals show in the console as failed loads; nothing else may.
            for b in (a, a2):
                assert_equal([e for e in b.errors() if "Failed to load resource" not in e], [])


if __name__ == "__main__":
    WebAccountTest().main()

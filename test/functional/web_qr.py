#!/usr/bin/env python3
"""The web app's QR codes read back as what they encode.

web/js/qr.js draws receive addresses as QR codes in the page (byte mode,
level M, versions 1 to 10). Headless Chromium loads the module from the
repository's web/ (served here by Python's http.server on a port the OS
picks), draws texts of every version's size — an address, the longest
text version 10 holds, non-ASCII text — and zbarimg, an independent
decoder, must read each back exactly; a text too long for version 10
draws nothing."""
import base64
import functools
import http.server
import os
import shutil
import subprocess
import threading

from test_framework.browser import Browser, missing
from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal, wait_until

WEB = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "web"))
PAGE = b"""<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body><script type="module">
import {qrCanvas, qrMatrix} from "/js/qr.js";
window.draw = (t) => qrCanvas(t, 4).toDataURL("image/png");
window.size = (t) => { const m = qrMatrix(t); return m ? m.length : 0; };
window.ready = true;
</script></body></html>"""


class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/qr-test.html":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(PAGE)
            return
        super().do_GET()

    def log_message(self, *args):
        pass


class WebQrTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 0

    def run_test(self):
        why = missing() or (None if shutil.which("zbarimg") else
                            "zbarimg is not installed (contrib/install_deps.sh --test installs zbar-tools)")
        if why:
            self.skip_test(why)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=WEB))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with Browser(self.options.tmpdir, "qr") as b:
                b.open("http://127.0.0.1:%d/qr-test.html" % server.server_address[1])
                wait_until(lambda: b.js("return window.ready === true"), timeout=20, what="qr.js loaded")
                texts = ["souk:rsouk1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9ccrydpk8qarc0jqq9z7hq"]
                texts += ["v" * n for n in (1, 14, 26, 42, 62, 84, 106, 122, 152, 180, 213)]
                texts.append("Zahlung für Ünïcode ✓")
                sizes = set()
                for t in texts:
                    sizes.add(b.js("return window.size(arguments[0])", t))
                    png = base64.b64decode(b.js("return window.draw(arguments[0])", t).split(",", 1)[1])
                    path = os.path.join(self.options.tmpdir, "qr.png")
                    with open(path, "wb") as f:
                        f.write(png)
                    r = subprocess.run(["zbarimg", "-q", "--raw", path], capture_output=True)
                    assert_equal((r.returncode, r.stdout.decode("utf-8").rstrip("\n")), (0, t))
                # versions 1 to 10: 21 to 57 modules a side
                assert_equal(sorted(sizes), [21 + 4 * v for v in range(10)])
                assert_equal(b.js("return window.size(arguments[0])", "w" * 214), 0)
                assert_equal(b.errors(), [])
        finally:
            server.shutdown()
            server.server_close()


if __name__ == "__main__":
    WebQrTest().main()

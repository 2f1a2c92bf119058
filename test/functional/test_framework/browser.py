"""A headless Chromium driven through Selenium (Debian's chromium,
chromium-driver and python3-selenium), for the web app's tests.

Browser(tmpdir, name) opens one browser profile (its own cookies: one
person); shot(label) saves a screenshot of the page under
<tmpdir>/screenshots/; the wait helpers poll the page without fixed sleeps.
The browser is quit (and its processes with it) by quit() or at exit of
the with block."""
import os
import shutil
import time


def missing():
    """Why browser tests cannot run here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "python3-selenium is not installed (contrib/install_deps.sh --test installs it)"
    for exe in ("chromium", "chromedriver"):
        if shutil.which(exe) is None:
            return "%s is not installed (contrib/install_deps.sh --test installs it)" % exe
    return None


class Browser:
    def __init__(self, tmpdir, name, width=1100, height=900):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        self.name = name
        self.dir = os.path.join(tmpdir, "screenshots")
        os.makedirs(self.dir, exist_ok=True)
        self.count = 0
        opts = webdriver.ChromeOptions()
        opts.binary_location = shutil.which("chromium")
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--window-size=%d,%d" % (width, height), "--user-data-dir=" +
                  os.path.join(tmpdir, "chromium-" + name)):
            opts.add_argument(a)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)
        self.driver.set_page_load_timeout(30)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.quit()

    def quit(self):
        if self.driver is not None:
            self.driver.quit()
            self.driver = None

    def open(self, url):
        self.driver.get(url)

    def shot(self, label):
        self.count += 1
        path = os.path.join(self.dir, "%s-%02d-%s.png" % (self.name, self.count, label))
        self.driver.save_screenshot(path)
        return path

    def find(self, css, timeout=20):
        """The first element matching css, waiting until it is there."""
        from selenium.webdriver.common.by import By
        end = time.time() + timeout
        while True:
            els = self.driver.find_elements(By.CSS_SELECTOR, css)
            if els:
                return els[0]
            if time.time() > end:
                raise AssertionError("%s: no element %r on %s" % (self.name, css, self.driver.current_url))
            time.sleep(0.1)

    def find_all(self, css):
        from selenium.webdriver.common.by import By
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def wait_text(self, css, text, timeout=30):
        """Waits until the element's text contains text; returns the element."""
        end = time.time() + timeout
        last = None
        while time.time() < end:
            from selenium.webdriver.common.by import By
            for el in self.driver.find_elements(By.CSS_SELECTOR, css):
                try:
                    last = el.text
                    if text in last:
                        return el
                except Exception:
                    pass
            time.sleep(0.2)
        notices = [n.text for n in self.find_all(".notice")]
        raise AssertionError("%s: %r never showed %r (last %r) on %s; notices on the page: %r" %
                             (self.name, css, text, last, self.driver.current_url, notices))

    def type(self, css, text, clear=True):
        el = self.find(css)
        if clear:
            el.clear()
        el.send_keys(text)
        return el

    def click(self, css):
        el = self.find(css)
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", el)
        el.click()
        return el

    def click_text(self, css, text, timeout=20):
        """Clicks the first element matching css whose text contains text."""
        el = self.wait_text(css, text, timeout)
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", el)
        el.click()
        return el

    def act(self, label, done, timeout=30):
        """Clicks the button labelled label and waits for the page's notice
        saying the action was sent (text done): only then is its transaction
        in the node's mempool, ready to be mined."""
        self.click_text("button", label)
        return self.wait_text(".notice.ok", done, timeout)

    def signup(self, url, username, password):
        """Signs up at the gateway at url, through the seed words page, to
        the start page; returns the new account's address."""
        self.open(url + "#/signup")
        self.type("#signup-form input[name=username]", username)
        self.type("#signup-form input[name=password]", password)
        self.type("#signup-form input[name=password2]", password)
        self.click("#signup-form button[type=submit]")
        words = self.find("#seed").text.split()
        if len(words) != 24:
            raise AssertionError("%s: the seed shows %d words, not 24" % (self.name, len(words)))
        addr = self.find("#signup-address").text
        self.shot("seed")
        self.click("#seed-saved")
        self.click("#seed-continue")
        self.find("#balance")
        return addr

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def errors(self):
        """Severe messages of the page's console (script errors, CSP refusals)."""
        try:
            return [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]
        except Exception:
            return []

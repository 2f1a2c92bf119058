#!/usr/bin/env python3
"""Checks test_runner.py itself on dummy tests in a temp dir: a pass, a
failure, a skip with a reason (printed by hand and by the framework's
skip_test), skips without one (exit 77 alone, a blank reason, skip_test("")),
a "SKIP:" line from a test that then passed, and a test that outlives
--timeout. The per-test lines, the summary block, the last line
"N passed, N failed" and the exit status must say exactly what happened:
a skip with a reason counts as passed and is listed with its reason; a
skip without one fails. Needs no node."""

import os
import re
import subprocess
import sys

from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(HERE, "test_runner.py")

PLAIN = "import sys\n%s\nsys.exit(%d)\n"
FRAMEWORK = """import sys
sys.path.insert(0, %r)
from test_framework.test_framework import SoukTestFramework


class T(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 0

    def run_test(self):
        self.skip_test(%r)


T().main()
"""

# name -> (source, status the runner must give, reason it must quote)
DUMMIES = {
    "dummy_pass.py": (PLAIN % ("", 0), "PASS", None),
    "dummy_fail.py": (PLAIN % ("print('boom: the dummy failed')", 1), "FAIL", None),
    "dummy_skip_reason.py": (PLAIN % ("print('working...')\nprint('SKIP: no widget on this machine')", 77),
                             "SKIP", "no widget on this machine"),
    "dummy_skip_bare.py": (PLAIN % ("print('leaving')", 77), "FAIL", None),
    "dummy_skip_blank.py": (PLAIN % ("print('SKIP:   ')", 77), "FAIL", None),
    "dummy_skip_pass.py": (PLAIN % ("print('SKIP: not really')", 0), "PASS", None),
    "dummy_framework_skip.py": (FRAMEWORK % (HERE, "the framework\nsays why"), "SKIP", "the framework says why"),
    "dummy_framework_blank.py": (FRAMEWORK % (HERE, "  "), "FAIL", None),
    # Blocks until the runner's timeout signals it: what is tested is that timeout.
    "dummy_hang.py": ("import signal\nsignal.pause()\n", "FAIL", None),
}
LINE = re.compile(r"^(dummy_\w+\.py) +(PASS|FAIL|SKIP) +[0-9.]+s(?:  \((.*)\))?$")


class FrameworkRunnerTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 0

    def run_test(self):
        self.test_dir = os.path.join(self.options.tmpdir, "tests")
        os.makedirs(self.test_dir)
        for name, (source, _, _) in DUMMIES.items():
            with open(os.path.join(self.test_dir, name), "w", encoding="utf-8") as f:
                f.write(source)

        self.log.info("every kind of ending, in one run")
        rc, out = self.run_runner("all", "--timeout=3")
        lines = self.per_test_lines(out)
        assert_equal(sorted(lines), sorted(DUMMIES))
        for name, (_, status, reason) in DUMMIES.items():
            assert_equal((name, lines[name][0]), (name, status))
            if status == "SKIP":
                assert_equal(lines[name][1], reason)
        assert_equal(lines["dummy_hang.py"][1], "timed out after 3s")
        assert "without a \"SKIP: <reason>\" line" in lines["dummy_skip_bare.py"][1], lines
        assert "boom: the dummy failed" in out, "a failing test's output is not shown"
        summary = out[out.rindex("\nfailed (") + 1:].splitlines()
        failed = sorted(n for n, d in DUMMIES.items() if d[1] == "FAIL")
        skipped = sorted(n for n, d in DUMMIES.items() if d[1] == "SKIP")
        assert_equal(summary[0], "failed (%d): %s" % (len(failed), " ".join(failed)))
        assert_equal(summary[1], "skipped, counted as passed (%d):" % len(skipped))
        assert_equal(summary[2:-1], ["  %s: %s" % (n, DUMMIES[n][2]) for n in skipped])
        passed = len(DUMMIES) - len(failed)
        assert_equal(summary[-1], "%d passed, %d failed" % (passed, len(failed)))
        assert_equal(rc, 1)

        self.log.info("a run whose only non-pass is a skip with a reason succeeds and still lists it")
        rc, out = self.run_runner("skip", "dummy_pass", "dummy_skip_reason.py")
        assert_equal(out.splitlines()[-3:], ["skipped, counted as passed (1):",
                                             "  dummy_skip_reason.py: no widget on this machine",
                                             "2 passed, 0 failed"])
        assert_equal(rc, 0)

        self.log.info("a skip without a reason alone fails the run")
        rc, out = self.run_runner("bare", "dummy_skip_bare")
        assert_equal(out.splitlines()[-1], "0 passed, 1 failed")
        assert_equal(rc, 1)

        self.log.info("an unknown test name fails the run")
        rc, out = self.run_runner("unknown", "dummy_nosuch")
        assert_equal(out.splitlines()[-1], "0 passed, 1 failed")
        assert_equal(rc, 1)

    def run_runner(self, label, *args):
        cmd = [sys.executable, RUNNER, "--testdir=" + self.test_dir,
               "--tmpdir=" + os.path.join(self.options.tmpdir, "run_" + label)] + list(args)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        self.log.debug("runner %s exited %d:\n%s%s", label, r.returncode, r.stdout, r.stderr)
        return r.returncode, r.stdout

    def per_test_lines(self, out):
        """{test: (status, note)} from the runner's one line per test."""
        found = {}
        for line in out.splitlines():
            m = LINE.match(line)
            if m:
                assert m.group(1) not in found, "two lines for %s" % m.group(1)
                found[m.group(1)] = (m.group(2), m.group(3))
        return found


if __name__ == "__main__":
    FrameworkRunnerTest().main()

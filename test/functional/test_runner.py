#!/usr/bin/env python3
"""Runs souk's functional tests, in parallel.

    test/functional/test_runner.py [-j N] [--tmpdir DIR] [--nocleanup] [test ...]

Tests are the files test/functional/<area>_<what>.py; giving names (with or
without .py) runs only those. Each test runs as its own process with a
distinct --portseed (see test_framework/util.py for the port scheme) and its
own --tmpdir under one run directory.

A test passes by exiting 0 and fails by exiting with anything else, except
77, the skip status: a test that exits 77 has skipped only if its output
holds a line "SKIP: <reason>" with a non-empty reason (the framework's
skip_test(reason) prints it; the last such line counts). Exit 77 without a
reason is a failure, so nothing is skipped silently.

One line per test: PASS, FAIL or SKIP, its time, and for a SKIP its reason
(for a FAIL, why when it is not the exit status). Then the output of every
failing test, a summary block listing the failed tests and each skipped
test with its reason, and last exactly the line "N passed, N failed". A
skip counts as passed there (it did not fail, and the summary above shows
it), so passed + failed is the number of tests run. Exit status is non-zero
if any test failed.
Environment: SOUK_BUILD_DIR (where soukd and souk-cli are), passed through.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from test_framework.util import PORT_SLOTS  # noqa: E402

TEST_NAME = re.compile(r"^[a-z0-9]+_[a-z0-9_]+\.py$")
EXCLUDE = {"test_runner.py"}
EXIT_SKIPPED = 77
# What a skipping test prints (test_framework.py's skip_test); the reason
# must hold more than blanks.
SKIP_LINE = re.compile(r"^SKIP: *(\S.*?)\s*$", re.M)
DEFAULT_TIMEOUT = 20 * 60


def discover(test_dir):
    return sorted(f for f in os.listdir(test_dir)
                  if TEST_NAME.match(f) and f not in EXCLUDE and os.path.isfile(os.path.join(test_dir, f)))


def skip_reason(output):
    """The reason of the last "SKIP: <reason>" line of a test's output, or None."""
    found = SKIP_LINE.findall(output)
    return found[-1] if found else None


class Job:
    def __init__(self, test_dir, name, seed, tmpdir, extra):
        self.name = name
        self.out = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")
        self.tmpdir = tmpdir
        cmd = [sys.executable, os.path.join(test_dir, name), "--portseed=%d" % seed, "--tmpdir=" + tmpdir] + extra
        self.start = time.monotonic()
        # Own session so a timed-out test and everything it started can be
        # signalled as one group without touching anything else.
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     cwd=test_dir, start_new_session=True)
        self.timed_out = False

    def elapsed(self):
        return time.monotonic() - self.start

    def stop(self):
        """Timeout: SIGTERM the test (it cleans up its nodes), then SIGKILL its group."""
        self.timed_out = True
        try:
            os.kill(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
        except ProcessLookupError:
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()

    def output(self):
        self.out.seek(0)
        return self.out.read()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-j", "--jobs", type=int, default=2, help="tests run at once (default 2)")
    parser.add_argument("--tmpdir", help="run directory (default: a new one under $TMPDIR)")
    parser.add_argument("--nocleanup", action="store_true", help="keep every test's datadirs")
    parser.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT, help="seconds per test")
    parser.add_argument("--loglevel", default=None, help="passed on to each test")
    parser.add_argument("--testdir", default=HERE,
                        help="where the tests are (default: this directory; framework_runner.py points it "
                             "at dummy tests)")
    parser.add_argument("tests", nargs="*", help="tests to run (default: all)")
    args = parser.parse_args()
    test_dir = os.path.abspath(args.testdir)

    all_tests = discover(test_dir)
    if args.tests:
        tests = []
        for t in args.tests:
            t = os.path.basename(t)
            t = t if t.endswith(".py") else t + ".py"
            if t not in all_tests:
                print("unknown test %s (known: %s)" % (t, " ".join(all_tests)))
                print("0 passed, 1 failed")
                return 1
            tests.append(t)
    else:
        tests = all_tests

    if args.tmpdir:
        run_dir = os.path.abspath(args.tmpdir)
        os.makedirs(run_dir, exist_ok=True)
    else:
        run_dir = tempfile.mkdtemp(prefix="souk_test_runner_")
    extra = []
    if args.nocleanup:
        extra.append("--nocleanup")
    if args.loglevel:
        extra.append("--loglevel=" + args.loglevel)

    # A run-wide offset from our PID keeps two runs at once apart; adding the
    # test's index keeps the tests of this run apart (fewer tests than slots).
    offset = (os.getpid() * 37) % PORT_SLOTS
    pending = list(enumerate(tests))
    running = []
    results = []
    jobs = max(1, args.jobs)

    def finish(job, rc):
        job.reason = None
        note = ""
        if job.timed_out:
            status, note = "FAIL", "timed out after %ds" % args.timeout
        elif rc == 0:
            status = "PASS"
        elif rc == EXIT_SKIPPED:
            job.reason = skip_reason(job.output())
            if job.reason is not None:
                status, note = "SKIP", job.reason
            else:
                status, note = "FAIL", "exit %d (skip) without a \"SKIP: <reason>\" line" % rc
        else:
            status = "FAIL"
        print("%-32s %s %6.1fs%s" % (job.name, status, job.elapsed(), "  (%s)" % note if note else ""),
              flush=True)
        results.append((job, status))

    try:
        while pending or running:
            while pending and len(running) < jobs:
                i, name = pending.pop(0)
                tdir = os.path.join(run_dir, name[:-3])
                if os.path.exists(tdir):
                    shutil.rmtree(tdir)
                running.append(Job(test_dir, name, offset + i, tdir, extra))
            # The runner's own scheduling: it polls its children (no test
            # waits on this).
            time.sleep(0.05)
            for job in list(running):
                rc = job.proc.poll()
                if rc is None and job.elapsed() > args.timeout:
                    job.stop()
                    rc = job.proc.returncode
                if rc is not None:
                    running.remove(job)
                    finish(job, rc)
    except KeyboardInterrupt:
        for job in running:
            job.stop()
            finish(job, 1)
        print("interrupted")

    failed = [j for j, s in results if s == "FAIL"]
    skipped = [j for j, s in results if s == "SKIP"]
    passed = [j for j, s in results if s in ("PASS", "SKIP")]
    for job in failed:
        print("\n======== %s output ========" % job.name)
        print(job.output().rstrip())
    if not failed and not args.nocleanup and not args.tmpdir:
        shutil.rmtree(run_dir, ignore_errors=True)
    elif failed:
        print("\nrun directory kept: %s" % run_dir)
    if failed or skipped:
        print()
    if failed:
        print("failed (%d): %s" % (len(failed), " ".join(sorted(j.name for j in failed))))
    if skipped:
        print("skipped, counted as passed (%d):" % len(skipped))
        for job in sorted(skipped, key=lambda j: j.name):
            print("  %s: %s" % (job.name, job.reason))
    print("%d passed, %d failed" % (len(passed), len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

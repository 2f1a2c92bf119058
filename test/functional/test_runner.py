#!/usr/bin/env python3
"""Runs souk's functional tests, in parallel.

    test/functional/test_runner.py [-j N] [--tmpdir DIR] [--nocleanup] [test ...]

Tests are the files test/functional/<area>_<what>.py; giving names (with or
without .py) runs only those. Each test runs as its own process with a
distinct --portseed (see test_framework/util.py for the port scheme) and its
own --tmpdir under one run directory. One line per test with PASS, FAIL or
SKIP and its time; failing tests' output follows; the last line is exactly
"N passed, N failed". Exit status is non-zero if any test failed.
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
DEFAULT_TIMEOUT = 20 * 60


def discover():
    return sorted(f for f in os.listdir(HERE)
                  if TEST_NAME.match(f) and f not in EXCLUDE and os.path.isfile(os.path.join(HERE, f)))


class Job:
    def __init__(self, name, seed, tmpdir, extra):
        self.name = name
        self.out = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")
        self.tmpdir = tmpdir
        cmd = [sys.executable, os.path.join(HERE, name), "--portseed=%d" % seed, "--tmpdir=" + tmpdir] + extra
        self.start = time.monotonic()
        # Own session so a timed-out test and everything it started can be
        # signalled as one group without touching anything else.
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     cwd=HERE, start_new_session=True)
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
    parser.add_argument("tests", nargs="*", help="tests to run (default: all)")
    args = parser.parse_args()

    all_tests = discover()
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
        status = "PASS" if rc == 0 else "SKIP" if rc == EXIT_SKIPPED else "FAIL"
        if job.timed_out:
            status = "FAIL"
        note = " (timed out after %ds)" % args.timeout if job.timed_out else ""
        print("%-32s %s %6.1fs%s" % (job.name, status, job.elapsed(), note), flush=True)
        results.append((job, status))

    try:
        while pending or running:
            while pending and len(running) < jobs:
                i, name = pending.pop(0)
                tdir = os.path.join(run_dir, name[:-3])
                if os.path.exists(tdir):
                    shutil.rmtree(tdir)
                running.append(Job(name, offset + i, tdir, extra))
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
    passed = [j for j, s in results if s == "PASS"]
    for job in failed:
        print("\n======== %s output ========" % job.name)
        print(job.output().rstrip())
    if skipped:
        print("\nskipped: %s" % " ".join(j.name for j in skipped))
    if not failed and not args.nocleanup and not args.tmpdir:
        shutil.rmtree(run_dir, ignore_errors=True)
    elif failed:
        print("\nrun directory kept: %s" % run_dir)
    print("%d passed, %d failed" % (len(passed), len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The docs' walk-throughs run as written. Every ```sh block of README.md
and of doc/*.md is run, in the order of its file, in one bash session per
file, with only the data directory and ports substituted: HOME is a
temporary directory (so ~/.souk is the test node's), `souk-cli` stands for
`souk-cli -regtest` with this test's RPC port, the default regtest ports
28732/28733 in the text become this test's ports, and the quick start's
directory and ports come from its SOUK_QUICKSTART_* variables. A command
that fails fails the test; `# => text` after a command means its output
contains text (whitespace aside), `# fails: text` that it is refused with
text in its error.

README.md (the quick start, which starts and stops its own node) runs twice:
from the repository, then again from another directory after its own
`stop`, as a newcomer would. Each doc/*.md with blocks gets a fresh node."""

import os
import re
import shutil
import subprocess

from test_framework.test_framework import SoukTestFramework
from test_framework.util import gateway_port, p2p_port, rpc_port, wait_until

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RUN_TIMEOUT = 600

PREAMBLE = r'''set -eo pipefail
souk-cli() { "$SOUK_DOC_CLI" -regtest ${SOUK_DOC_DATADIR:+"-datadir=$SOUK_DOC_DATADIR"} "-rpcport=$SOUK_DOC_RPCPORT" "$@"; }
__squash() { printf '%s' "$1" | tr -d ' \t\n\r'; }
__expect() {
  case "$(__squash "$1")" in
    *"$(__squash "$2")"*) ;;
    *) printf 'doc-test: expected "%s" in the output of: %s\n' "$2" "$3" >&2; exit 1 ;;
  esac
}
'''


def sh_blocks(text):
    """The bodies of the ```sh fenced blocks of a markdown text, in order."""
    return re.findall(r"^```sh\n(.*?)^```\s*$", text, re.M | re.S)


def quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


def to_script(blocks):
    """bash for the blocks: each command echoed, checked as its comment says."""
    lines = []
    for block in blocks:
        pending = ""
        for raw in block.splitlines():
            if raw.rstrip().endswith("\\"):
                pending += raw.rstrip()[:-1] + " "
                continue
            line = (pending + raw).strip()
            pending = ""
            if not line or line.startswith("#"):
                continue
            m = re.match(r"(.*?)\s+#\s*(=>|fails:)\s*(.*)$", line)
            cmd = m.group(1) if m else line
            lines.append("printf 'doc> %%s\\n' %s >&2" % quote(cmd))
            if m is None:
                lines.append(cmd)
            elif m.group(2) == "=>":
                lines.append("__out=$(%s)" % cmd)
                lines.append('printf "%s\\n" "$__out"')
                lines.append("__expect \"$__out\" %s %s" % (quote(m.group(3)), quote(cmd)))
            else:
                lines.append("if __out=$(%s 2>&1); then printf 'doc-test: expected a refusal "
                             "from: %%s\\n' %s >&2; exit 1; fi" % (cmd, quote(cmd)))
                lines.append('printf "%s\\n" "$__out"')
                lines.append("__expect \"$__out\" %s %s" % (quote(m.group(3)), quote(cmd)))
    return PREAMBLE + "\n".join(lines) + "\n"


class DocWalkthroughsTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 0

    def substitute(self, text, index):
        return (text.replace("28732", str(rpc_port(index))).replace("28733", str(p2p_port(index)))
                .replace("28734", str(gateway_port(index))))

    def run_script(self, name, script, cwd, env):
        path = os.path.join(self.options.tmpdir, name + ".sh")
        with open(path, "w") as f:
            f.write(script)
        r = subprocess.run(["bash", path], cwd=cwd, env=env, capture_output=True, text=True,
                           timeout=RUN_TIMEOUT)
        self.log.debug("%s exited %d\n--- stdout\n%s--- stderr\n%s", name, r.returncode, r.stdout,
                       r.stderr)
        if r.returncode != 0:
            raise AssertionError("%s failed (exit %d):\n%s%s" % (name, r.returncode,
                                                                  r.stdout[-3000:], r.stderr[-3000:]))
        return r

    def env_for(self, home, index, datadir=None):
        env = dict(os.environ)
        env.update({
            "HOME": home,
            "SOUK_DOC_CLI": self.binaries.cli,
            "SOUK_DOC_RPCPORT": str(rpc_port(index)),
        })
        env.pop("SOUK_DOC_DATADIR", None)
        if datadir is not None:
            env["SOUK_DOC_DATADIR"] = datadir
        return env

    def run_test(self):
        self.binaries.check()
        self.readme()
        docs = sorted(f for f in os.listdir(os.path.join(REPO, "doc")) if f.endswith(".md"))
        ran = 0
        for name in docs:
            with open(os.path.join(REPO, "doc", name)) as f:
                blocks = sh_blocks(f.read())
            if blocks:
                # a port slot per walk-through (0 is the README's), not per file
                self.walkthrough("doc/" + name, blocks, 1 + ran)
                ran += 1
        assert ran >= 1, "no doc/*.md has a walk-through"

    def readme(self):
        with open(os.path.join(REPO, "README.md")) as f:
            blocks = sh_blocks(f.read())
        text = "\n".join(blocks)
        assert "contrib/quickstart.sh stop" in text, "README's quick start does not stop its node"
        home = os.path.join(self.options.tmpdir, "readme-home")
        os.makedirs(home)
        qs = os.path.join(home, "quickstart")
        env = self.env_for(home, 0, qs)
        env.update({"SOUK_QUICKSTART_DIR": qs, "SOUK_QUICKSTART_RPCPORT": str(rpc_port(0)),
                    "SOUK_QUICKSTART_PORT": str(p2p_port(0)),
                    "SOUK_QUICKSTART_GATEWAYPORT": str(gateway_port(0)),
                    "SOUK_QUICKSTART_BLOCK_SECONDS": "2"})
        try:
            self.log.info("README.md's quick start, from the repository")
            self.run_script("readme-1", to_script([self.substitute(b, 0) for b in blocks]), REPO, env)
            self.log.info("README.md's quick start again, from another directory")
            elsewhere = [self.substitute(b, 0).replace("contrib/", REPO + "/contrib/") for b in blocks]
            self.run_script("readme-2", to_script(elsewhere), home, env)
        finally:
            self.stop_by_pidfile(os.path.join(qs, "regtest", "soukd.pid"))
            self.stop_by_pidfile(os.path.join(qs, "miner.pid"), b"quickstart-miner")

    def walkthrough(self, name, blocks, index):
        self.log.info("%s: %d blocks", name, len(blocks))
        home = os.path.join(self.options.tmpdir, "home-%d" % index)
        datadir = os.path.join(home, ".souk")
        os.makedirs(datadir)
        node = subprocess.Popen([self.binaries.soukd, "-regtest", "-datadir=" + datadir,
                                 "-port=%d" % p2p_port(index), "-rpcport=%d" % rpc_port(index),
                                 "-bind=127.0.0.1", "-printtoconsole=0"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            env = self.env_for(home, index)
            wait_until(lambda: subprocess.run([self.binaries.cli, "-regtest", "-datadir=" + datadir,
                                               "-rpcport=%d" % rpc_port(index), "getblockcount"],
                                              capture_output=True).returncode == 0,
                       timeout=60, what="the walk-through's node answering")
            self.run_script(name.replace("/", "_"), to_script([self.substitute(b, index) for b in blocks]),
                            home, env)
        finally:
            subprocess.run([self.binaries.cli, "-regtest", "-datadir=" + datadir,
                            "-rpcport=%d" % rpc_port(index), "stop"], capture_output=True)
            try:
                node.wait(timeout=60)
            except subprocess.TimeoutExpired:
                node.kill()
                node.wait()
        shutil.rmtree(os.path.join(home, ".souk"), ignore_errors=True)

    def stop_by_pidfile(self, pidfile, name=b"soukd"):
        """Kills a quick-start node (or its miner) left running by a failed run, by its own pid."""
        try:
            with open(pidfile) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            return
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                if name not in f.read():
                    return
            self.log.warning("stopping the quick start's %s left running (pid %d)", name.decode(), pid)
            os.kill(pid, 9)
        except OSError:
            pass


if __name__ == "__main__":
    DocWalkthroughsTest().main()

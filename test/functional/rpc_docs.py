#!/usr/bin/env python3
"""doc/rpc.md and the node agree: every method `help` lists has a "#### "
heading in doc/rpc.md whose text is the method's usage line as `help
<method>` prints it, and every heading names a method `help` lists; the
test plugin's methods (-testplugin) are named in doc/plugins.md; every error
code of the server's table (enum rpc_code in src/rpc/server.h) has a row in
doc/rpc.md's error table. A method added without its documentation, or a
heading left behind by a removed or renamed one, fails here."""

import os
import re

from test_framework.test_framework import SoukTestFramework
from test_framework.util import assert_equal

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def read(path):
    with open(os.path.join(REPO, path), encoding="utf-8") as f:
        return f.read()


def help_methods(node):
    """The method names `help` lists (its lines other than "== group ==")."""
    return [line.split()[0] for line in node.help().splitlines()
            if line.strip() and not line.startswith("==")]


class RpcDocsTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 2
        self.extra_args = [[], ["-testplugin"]]

    def setup_network(self):
        self.setup_nodes()

    def run_test(self):
        node = self.nodes[0]
        doc = read("doc/rpc.md")
        headings = {}
        for line in doc.splitlines():
            if line.startswith("#### "):
                # "#### name args — *unlocked*": the usage is before the dash.
                usage = line[5:].split(" — ")[0].strip()
                name = usage.split()[0]
                assert name not in headings, "doc/rpc.md documents %s twice" % name
                headings[name] = usage

        self.log.info("every method help lists is documented with help's usage line")
        methods = help_methods(node)
        assert len(methods) > 50, methods
        missing = [m for m in methods if m not in headings]
        assert not missing, "methods help lists but doc/rpc.md lacks: %s" % missing
        for m in methods:
            usage = node.help(m).splitlines()[0].strip()
            assert_equal((m, headings[m]), (m, usage))

        self.log.info("every documented method exists")
        stale = sorted(set(headings) - set(methods))
        assert not stale, "doc/rpc.md documents methods help does not list: %s" % stale

        self.log.info("the test plugin's methods are named in doc/plugins.md")
        plugin_doc = read("doc/plugins.md")
        extra = sorted(set(help_methods(self.nodes[1])) - set(methods))
        assert extra, "-testplugin added no methods"
        for m in extra:
            assert "`%s`" % m in plugin_doc, "doc/plugins.md does not name %s" % m

        self.log.info("every error code of the server has a row in the error table")
        header = read("src/rpc/server.h")
        enum = re.search(r"enum rpc_code \{(.*?)\};", header, re.S).group(1)
        codes = [int(c) for c in re.findall(r"=\s*(-\d+)", enum)]
        assert len(codes) >= 20, codes
        table = doc[doc.index("## Error codes"):doc.index("## Warm-up")]
        rows = {int(m) for m in re.findall(r"^\|\s*(-\d+)\s*\|", table, re.M)}
        assert_equal(sorted(set(codes) - rows), [])
        assert_equal(sorted(rows - set(codes)), [])


if __name__ == "__main__":
    RpcDocsTest().main()

#!/usr/bin/env python3
"""contrib/docker with what Debian 12 ships: Debian's docker.io engine and
docker-compose 1.29 (legacy builder, no BuildKit), and no registry.

The test uses the engine that answers (DOCKER_HOST or the default socket);
when none does, it starts its own dockerd as root, with its pid file, socket
and run directory under the test's tmpdir and its image store in a cache
directory kept between runs ($SOUK_DOCKER_DATA_ROOT, default
~/.cache/souk/docker) so images build from cache the next time, and stops it
by pid at the end. contrib/docker/base-image.sh provides debian:bookworm-slim
(debootstrap + docker import when it cannot be pulled). Then:
  - gen-compose.sh 3 writes a three-node ring that docker-compose 1.29
    accepts; `docker-compose build` builds the image with the legacy builder;
  - `docker-compose up -d` starts the three nodes, which connect in a ring;
  - node0 mines to node1's wallet; the blocks reach node1 and node2;
    node1's wallet sends coins to an address of node2's; the transaction
    reaches node2's mempool, and the block node0 mines next carries it to
    node2, whose view of the recipient's account shows the amount;
  - no container restarted (a node whose libraries are missing exits 127
    and restarts for ever);
  - `docker-compose down -v` leaves no container, network or volume of the
    project;
  - the Dockerfile's runtime stage without libevent-extra fails to build,
    naming the library ldd did not find (the image's own check);
  - the dockerd the test started is gone at the end.
Skips (with the reason) only when this kernel cannot run containers, or when
no engine runs and this user cannot start one."""

import fcntl
import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
from decimal import Decimal

from test_framework.test_framework import SoukTestFramework
from test_framework.util import TestFailure, assert_equal, wait_until

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOCKER_DIR = os.path.join(TOP, "contrib", "docker")
N = 3
AMOUNT = Decimal("1.5")


def kernel_lacks():
    """Why this kernel cannot run containers, or None."""
    for ns in ("mnt", "uts", "ipc", "pid", "net"):
        if not os.path.exists("/proc/self/ns/" + ns):
            return "the kernel has no %s namespaces (/proc/self/ns/%s is missing)" % (ns, ns)
    try:
        with open("/proc/mounts") as f:
            if not any(line.split()[2] in ("cgroup", "cgroup2") for line in f if len(line.split()) > 2):
                return "no cgroup filesystem is mounted (docker needs cgroups)"
    except OSError as e:
        return "cannot read /proc/mounts: %s" % e
    return None


class DockerNetworkTest(SoukTestFramework):
    def set_test_params(self):
        self.num_nodes = 0

    # -- running commands ------------------------------------------------------
    def sh(self, args, check=True, timeout=600, log_output=True, env=None):
        r = subprocess.run(args, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                           env=env or self.env)
        if log_output:
            self.log.debug("%s -> %d\n%s%s", " ".join(args), r.returncode, r.stdout[-4000:], r.stderr[-4000:])
        if check and r.returncode != 0:
            raise AssertionError("%s exited %d:\n%s%s" % (" ".join(args), r.returncode, r.stdout[-3000:],
                                                           r.stderr[-3000:]))
        return r

    def docker(self, *args, **kw):
        return self.sh([self.docker_bin] + list(args), **kw)

    def compose(self, *args, **kw):
        return self.sh([self.compose_bin, "-p", self.project, "-f", self.compose_file,
                         "--project-directory", DOCKER_DIR] + list(args), **kw)

    def cli(self, i, *args):
        """souk-cli inside node i's container, with no options (the entrypoint's souk.conf);
        the reply parsed as JSON where it is JSON."""
        out = self.docker("exec", self.cids[i], "souk-cli", *[str(a) for a in args], timeout=120).stdout.strip()
        try:
            return json.loads(out, parse_float=Decimal)
        except ValueError:
            return out

    def answers(self, i):
        r = self.docker("exec", self.cids[i], "souk-cli", "getblockcount", check=False, timeout=60)
        return r.returncode == 0

    # -- the engine ------------------------------------------------------------
    def engine_answers(self):
        return self.docker("version", "--format", "{{.Server.Version}}", check=False, timeout=30,
                           log_output=False).returncode == 0

    def start_dockerd(self):
        dockerd = shutil.which("dockerd")
        assert dockerd, "no Docker engine runs and dockerd is missing: install docker.io (contrib/install_deps.sh)"
        base = os.path.join(self.options.tmpdir, "dockerd")
        # containerd's sockets live under the run directory; a Unix socket
        # path has at most 107 bytes.
        if len(base) > 60:
            base = tempfile.mkdtemp(prefix="souk-dockerd-")
            self.short_dir = base
        os.makedirs(base, exist_ok=True)
        self.dockerd_exec_root = os.path.join(base, "run")
        sock = os.path.join(base, "docker.sock")
        self.dockerd_pidfile = os.path.join(base, "dockerd.pid")
        self.dockerd_log = os.path.join(self.options.tmpdir, "dockerd.log")
        os.makedirs(self.data_root, exist_ok=True)
        self.log.info("starting dockerd (store %s, socket %s)", self.data_root, sock)
        with open(self.dockerd_log, "w") as log:
            self.dockerd = subprocess.Popen(
                [dockerd, "--data-root", self.data_root, "--exec-root", self.dockerd_exec_root,
                 "--pidfile", self.dockerd_pidfile, "-H", "unix://" + sock],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.env["DOCKER_HOST"] = "unix://" + sock

        def up():
            if self.dockerd.poll() is not None:
                raise AssertionError("dockerd exited %d:\n%s" % (self.dockerd.returncode, self.dockerd_tail()))
            return self.engine_answers()
        wait_until(up, timeout=120, poll=0.5, what="dockerd answering on " + sock)

    def dockerd_tail(self):
        try:
            with open(self.dockerd_log) as f:
                return "".join(f.readlines()[-30:])
        except OSError:
            return ""

    def stop_dockerd(self):
        """SIGTERM our dockerd by pid (it stops its containerd); SIGKILL what is left."""
        containerd_pid = None
        try:
            with open(os.path.join(self.dockerd_exec_root, "containerd", "containerd.pid")) as f:
                containerd_pid = int(f.read().strip())
        except (OSError, ValueError):
            pass
        if self.dockerd.poll() is None:
            self.dockerd.send_signal(signal.SIGTERM)
            try:
                self.dockerd.wait(timeout=90)
            except subprocess.TimeoutExpired:
                self.log.warning("dockerd (pid %d) ignored SIGTERM for 90 s: killing it", self.dockerd.pid)
                self.dockerd.kill()
                self.dockerd.wait()
        if containerd_pid and self.alive(containerd_pid, b"containerd"):
            try:
                wait_until(lambda: not self.alive(containerd_pid, b"containerd"), timeout=30, poll=0.5,
                           what="containerd (pid %d) gone with dockerd" % containerd_pid)
            except TestFailure:
                self.log.warning("killing leftover containerd pid %d", containerd_pid)
                os.kill(containerd_pid, signal.SIGKILL)
        if self.short_dir:
            shutil.rmtree(self.short_dir, ignore_errors=True)
        return containerd_pid

    @staticmethod
    def alive(pid, name):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                return name in f.read()
        except OSError:
            return False

    # -- the network -----------------------------------------------------------
    def free_subnet(self):
        """A /24 in 172.29.0.0/16 that neither a docker network nor a host route uses."""
        taken = []
        ids = self.docker("network", "ls", "-q").stdout.split()
        if ids:
            out = self.docker("network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}} {{end}}", *ids).stdout
            taken += out.split()
        if shutil.which("ip"):
            r = self.sh(["ip", "-4", "route", "show"], check=False)
            taken += [w.split()[0] for w in r.stdout.splitlines() if w and w.split()[0][0].isdigit()]
        nets = []
        for t in taken:
            try:
                nets.append(ipaddress.ip_network(t, strict=False))
            except ValueError:
                pass
        start = os.getpid() % 256
        for k in range(256):
            third = (start + k) % 256
            cand = ipaddress.ip_network("172.29.%d.0/24" % third)
            if not any(cand.overlaps(n) for n in nets if n.version == 4):
                return "172.29.%d" % third
        raise AssertionError("no free /24 in 172.29.0.0/16")

    def project_objects(self):
        label = "label=com.docker.compose.project=" + self.project
        return {
            "containers": self.docker("ps", "-a", "-q", "--filter", label).stdout.split(),
            "networks": self.docker("network", "ls", "-q", "--filter", label).stdout.split(),
            "volumes": self.docker("volume", "ls", "-q", "--filter", label).stdout.split(),
        }

    # -- the test --------------------------------------------------------------
    def run_test(self):
        reason = kernel_lacks()
        if reason:
            self.skip_test(reason)
        self.docker_bin = shutil.which("docker")
        self.compose_bin = shutil.which("docker-compose")
        assert self.docker_bin and self.compose_bin, \
            "docker or docker-compose is missing: install docker.io and docker-compose (contrib/install_deps.sh)"
        self.env = dict(os.environ)
        # docker-compose 1.29 builds through the engine's API (the legacy
        # builder) unless told to use the docker CLI; keep it that way.
        self.env.pop("COMPOSE_DOCKER_CLI_BUILD", None)
        self.env["DOCKER_BUILDKIT"] = "0"
        self.dockerd = None
        self.short_dir = None
        self.project = "souktest%d" % os.getpid()
        self.compose_file = os.path.join(self.options.tmpdir, "docker-compose.yml")
        self.data_root = os.path.abspath(os.environ.get("SOUK_DOCKER_DATA_ROOT") or
                                         os.path.join(os.path.expanduser("~"), ".cache", "souk", "docker"))
        self.up = False

        # One run at a time on this machine: two would share the image store
        # (or start two engines on it).
        os.makedirs(os.path.dirname(self.data_root), exist_ok=True)
        lock = open(self.data_root + ".lock", "w")
        self.log.info("waiting for %s", lock.name)
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if self.engine_answers():
                self.log.info("using the Docker engine that runs (%s)", self.env.get("DOCKER_HOST", "default socket"))
            elif os.geteuid() != 0:
                self.skip_test("no Docker engine answers and only root can start dockerd (uid %d)" % os.geteuid())
            else:
                self.start_dockerd()
            try:
                self.exercise()
            finally:
                if self.up:
                    self.log.info("cleaning up: docker-compose down -v")
                    self.compose("down", "-v", "--timeout", "30", check=False, timeout=300)
        finally:
            if self.dockerd is not None:
                self.log.info("stopping dockerd (pid %d)", self.dockerd.pid)
                containerd_pid = self.stop_dockerd()
                assert self.dockerd.returncode is not None
                assert not os.path.exists(self.dockerd_pidfile), "dockerd left its pid file"
                if containerd_pid:
                    assert not self.alive(containerd_pid, b"containerd"), "containerd still running"
            lock.close()

    def exercise(self):
        self.log.info("base image")
        r = self.sh([os.path.join(DOCKER_DIR, "base-image.sh")], timeout=1200)
        if r.stdout.strip():
            self.log.info("%s", r.stdout.strip())

        self.log.info("gen-compose.sh %d; docker-compose config accepts it", N)
        subnet = self.free_subnet()
        r = self.sh(["bash", os.path.join(DOCKER_DIR, "gen-compose.sh"), "--subnet", subnet,
                      "--host-ports", "none", str(N)])
        with open(self.compose_file, "w") as f:
            f.write(r.stdout)
        self.compose("config", "-q")

        self.log.info("docker-compose build (project %s, subnet %s.0/24)", self.project, subnet)
        self.up = True
        self.compose("build", timeout=1800)
        self.log.info("docker-compose up -d")
        self.compose("up", "-d", timeout=600)
        self.cids = []
        for i in range(N):
            cid = self.compose("ps", "-q", "node%d" % i).stdout.strip()
            assert cid, "no container for node%d" % i
            self.cids.append(cid)
        for i in range(N):
            def answers(i=i):
                st = json.loads(self.docker("inspect", "-f", "{{json .State}}", self.cids[i]).stdout)
                if st["Restarting"] or st.get("ExitCode", 0) != 0:
                    logs = self.compose("logs", "--no-color", "--tail", "20", "node%d" % i, check=False).stdout
                    raise AssertionError("node%d exits (%s):\n%s" % (i, st, logs))
                return st["Running"] and self.answers(i)
            wait_until(answers, timeout=180, poll=1, what="souk-cli answering in node%d" % i)

        self.log.info("the ring: each node keeps its link to the next")
        for i in range(N):
            nxt = "%s.%d:28733" % (subnet, 10 + (i + 1) % N)
            wait_until(lambda i=i, nxt=nxt: any(p["addr"] == nxt and not p["inbound"]
                                                for p in self.cli(i, "getpeerinfo")),
                       timeout=120, poll=1, what="node%d connected to %s" % (i, nxt))

        self.log.info("node0 mines 101 blocks to node1's wallet; both others follow")
        self.cli(1, "createwallet", "docker")
        payee = self.cli(1, "getnewaddress")
        hashes = self.cli(0, "generatetoaddress", 101, payee)
        assert_equal(len(hashes), 101)
        for i in (1, 2):
            wait_until(lambda i=i: self.cli(i, "getbestblockhash") == hashes[-1], timeout=120, poll=1,
                       what="node%d at node0's tip" % i)
        wait_until(lambda: self.cli(1, "getbalance") > AMOUNT, timeout=60, poll=1, what="node1's wallet funded")

        self.log.info("node1 sends %s to node2's address; the tx reaches node2", AMOUNT)
        recipient = self.cli(2, "getnewkeypair")["address"]
        txid = self.cli(1, "sendtoaddress", recipient, str(AMOUNT))
        assert re.fullmatch(r"[0-9a-f]{64}", txid), txid
        wait_until(lambda: txid in self.cli(2, "getrawmempool"), timeout=60, poll=1,
                   what="the tx in node2's mempool")

        self.log.info("node0 mines it; node2 gets the block with the tx")
        wait_until(lambda: txid in self.cli(0, "getrawmempool"), timeout=60, poll=1,
                   what="the tx in node0's mempool")
        block = self.cli(0, "generatetoaddress", 1, payee)[0]
        wait_until(lambda: self.cli(2, "getbestblockhash") == block, timeout=60, poll=1,
                   what="node2 at the new tip")
        assert txid in self.cli(2, "getblock", block)["tx"]
        assert_equal(self.cli(2, "getaccount", recipient)["balance"], AMOUNT)
        assert txid not in self.cli(2, "getrawmempool")

        self.log.info("no node restarted")
        for i in range(N):
            count = self.docker("inspect", "-f", "{{.RestartCount}}", self.cids[i]).stdout.strip()
            assert_equal((i, count), (i, "0"))

        self.log.info("docker-compose down -v leaves nothing of the project")
        self.compose("down", "-v", "--timeout", "60", timeout=300)
        self.up = False
        assert_equal(self.project_objects(), {"containers": [], "networks": [], "volumes": []})

        self.log.info("the image's library check: its runtime stage without libevent-extra does not build")
        # The runtime stage of the Dockerfile as it is, less one package; its
        # binaries come from the image just built, so nothing is compiled again.
        with open(os.path.join(DOCKER_DIR, "Dockerfile")) as f:
            runtime = re.split(r"(?m)^(?=FROM )", f.read())[-1]
        broken = runtime.replace(" libevent-extra-2.1-7", "")
        assert broken != runtime, "the runtime stage no longer installs libevent-extra-2.1-7"
        assert "COPY --from=build /out/soukd /out/souk-cli" in broken, broken
        broken_path = os.path.join(self.options.tmpdir, "Dockerfile.no-libevent-extra")
        with open(broken_path, "w") as f:
            f.write("FROM souk:latest AS build\nUSER root\n"
                    "RUN mkdir /out && cp /usr/local/bin/soukd /usr/local/bin/souk-cli /out/\n\n" + broken)
        r = self.docker("build", "--force-rm", "-f", broken_path, TOP, check=False, timeout=1200)
        out = r.stdout + r.stderr
        assert r.returncode != 0, "the image built without libevent-extra:\n" + out[-2000:]
        assert re.search(r"libevent_extra-2\.1\.so\.7 => not found", out), out[-3000:]
        assert "shared libraries missing from the image" in out, out[-3000:]


if __name__ == "__main__":
    DockerNetworkTest().main()

#!/usr/bin/env bash
# Installs the Debian packages souk needs to build and run its tests.
# Idempotent: prints nothing and changes nothing when every package is present.
set -euo pipefail

packages=(
  build-essential autoconf automake libtool pkg-config
  libsecp256k1-dev libgmp-dev libleveldb-dev libevent-dev libssl-dev libmsgpack-dev
  libsqlite3-dev libjansson-dev check python3 curl
)
# With --test, also what only the test command needs: the Docker network
# test (test/functional/docker_network.py) uses Debian's engine and Compose
# 1.29, and debootstrap for the base image (contrib/docker/base-image.sh)
# when no registry can be reached; the short fuzz run (contrib/fuzz.sh)
# needs clang and its libFuzzer and sanitizer runtimes; the browser tests
# of the web app drive headless Chromium through chromium-driver and
# Selenium, and zbar-tools reads back the QR codes the app draws. The quick
# start does not install them.
if [ "${1:-}" = "--test" ]; then
  packages+=(docker.io docker-compose debootstrap clang libclang-rt-14-dev
             chromium chromium-driver python3-selenium zbar-tools)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "install_deps: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi

echo "install_deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

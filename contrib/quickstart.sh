#!/usr/bin/env bash
# Quick start: installs what is missing, builds souk, starts a regtest node in
# the background with coins mined to a fresh key, and prints commands to try.
#   contrib/quickstart.sh          set up and start
#   contrib/quickstart.sh stop     stop the node it started
# The node's data lives in $SOUK_QUICKSTART_DIR (default ~/.souk-quickstart).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
dir=${SOUK_QUICKSTART_DIR:-$HOME/.souk-quickstart}
port=${SOUK_QUICKSTART_RPCPORT:-28732}
build=$top/build
cli=("$build/souk-cli" -regtest "-datadir=$dir" "-rpcport=$port")

if [ "${1:-}" = "stop" ]; then
  if "${cli[@]}" stop >/dev/null 2>&1; then
    echo "quickstart: node stopping"
  else
    echo "quickstart: no node answering in $dir"
  fi
  exit 0
fi

"$top/contrib/install_deps.sh"
cd "$top"
if [ ! -x "$top/configure" ]; then
  echo "quickstart: generating configure"
  ./autogen.sh >/dev/null 2>&1
fi
if [ -f "$top/config.status" ]; then
  build=$top   # configured in the source tree: use that build
  cli[0]=$build/souk-cli
fi
if [ ! -f "$build/Makefile" ]; then
  echo "quickstart: configuring in $build"
  mkdir -p "$build"
  (cd "$build" && "$top/configure" -q >/dev/null)
fi
echo "quickstart: building (make -j$(nproc))"
make -C "$build" -j"$(nproc)" >/dev/null

mkdir -p "$dir"
if "${cli[@]}" getblockcount >/dev/null 2>&1; then
  echo "quickstart: a node is already running in $dir"
else
  "$build/soukd" -regtest -daemon "-datadir=$dir" "-rpcport=$port"
  "${cli[@]}" -rpcwait getblockcount >/dev/null
fi

keyfile=$dir/quickstart-key.json
if [ ! -f "$keyfile" ]; then
  "${cli[@]}" getnewkeypair >"$keyfile"
  chmod 600 "$keyfile"
fi
addr=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["address"])' "$keyfile")
height=$("${cli[@]}" getblockcount)
if [ "$height" -lt 101 ]; then
  echo "quickstart: mining 101 blocks to $addr (coinbase coins mature after 100 blocks)"
  "${cli[@]}" generatetoaddress 101 "$addr" >/dev/null
fi

cat <<MSG

souk regtest node running (data: $dir, RPC port $port).
Your key (address and private key) is in $keyfile.

Try:
  alias souk-cli='${cli[*]}'
  souk-cli getblockchaininfo
  souk-cli getaccount $addr
  souk-cli getnewkeypair                      # a second key to pay
  souk-cli createrawtransaction '{"type":"transfer","sender":"$addr","fee":0.0001,"payload":{"to":"<address>","amount":1.5,"memo":""}}'
  souk-cli signrawtransactionwithkey <hex> <privkey from $keyfile>
  souk-cli sendrawtransaction <signed hex>
  souk-cli generatetoaddress 1 $addr
  souk-cli getaccount <address>
Stop it with: contrib/quickstart.sh stop
MSG

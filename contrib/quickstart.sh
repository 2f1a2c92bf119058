#!/usr/bin/env bash
# Quick start: installs what is missing, builds souk, starts a regtest node in
# the background with a wallet holding mined coins, and prints commands to try.
#   contrib/quickstart.sh          set up and start
#   contrib/quickstart.sh shop     the same with the gateway: the web app at
#                                  http://127.0.0.1:28734/ and a block mined
#                                  every $SOUK_QUICKSTART_BLOCK_SECONDS (15) s
#   contrib/quickstart.sh stop     stop the node it started (and its miner)
# The node's data lives in $SOUK_QUICKSTART_DIR (default ~/.souk-quickstart), its
# RPC port is $SOUK_QUICKSTART_RPCPORT (28732), its P2P port $SOUK_QUICKSTART_PORT
# (28733); it listens on 127.0.0.1 only. Run it again after `stop`: it loads
# what the first run made (the chain, the wallets "quickstart" and "bob").
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
dir=${SOUK_QUICKSTART_DIR:-$HOME/.souk-quickstart}
port=${SOUK_QUICKSTART_RPCPORT:-28732}
p2pport=${SOUK_QUICKSTART_PORT:-28733}
gwport=${SOUK_QUICKSTART_GATEWAYPORT:-28734}
blocksecs=${SOUK_QUICKSTART_BLOCK_SECONDS:-15}
shop=false
[ "${1:-}" = "shop" ] && shop=true
build=$top/build
cli=("$build/souk-cli" -regtest "-datadir=$dir" "-rpcport=$port")

# Stops the shop's miner loop, by the pid it wrote.
stop_miner() {
  local mpid
  [ -f "$dir/miner.pid" ] || return 0
  mpid=$(tr -dc '0-9' <"$dir/miner.pid" 2>/dev/null || true)
  if [ -n "$mpid" ] && grep -q quickstart "/proc/$mpid/cmdline" 2>/dev/null; then
    kill "$mpid" 2>/dev/null || true
  fi
  rm -f "$dir/miner.pid"
}

if [ "${1:-}" = "stop" ]; then
  stop_miner
  pidfile=$dir/regtest/soukd.pid
  pid=$(tr -dc '0-9' <"$pidfile" 2>/dev/null || true)
  if ! "${cli[@]}" stop >/dev/null 2>&1; then
    echo "quickstart: no node answering in $dir"
    exit 0
  fi
  # Returns once the node has exited, so that a start right after it finds
  # the data directory free.
  for _ in $(seq 600); do
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    echo "quickstart: the node (pid $pid) is still shutting down after 60 s" >&2
    exit 1
  fi
  echo "quickstart: node stopped"
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
gateway=()
if $shop; then
  gateway=(-gateway "-gatewayport=$gwport" "-webdir=$top/web")
  # A node started without the gateway is started again with it.
  if "${cli[@]}" getblockcount >/dev/null 2>&1 &&
     ! curl -s -o /dev/null "http://127.0.0.1:$gwport/"; then
    echo "quickstart: restarting the node with the gateway"
    "$0" stop >/dev/null
  fi
fi
if "${cli[@]}" getblockcount >/dev/null 2>&1; then
  echo "quickstart: a node is already running in $dir"
else
  # Loopback only, as contrib/testnet.sh: a quick start is not a public node.
  "$build/soukd" -regtest -daemon "-datadir=$dir" "-rpcport=$port" "-port=$p2pport" -bind=127.0.0.1 \
    ${gateway[@]+"${gateway[@]}"}
  "${cli[@]}" -rpcwait getblockcount >/dev/null
fi

# ensure_wallet <name>: loads it when it exists, creates it otherwise, so
# that a second run (after `quickstart.sh stop`) finds what the first made.
ensure_wallet() {
  if "${cli[@]}" listwallets | grep -q "\"$1\""; then
    :   # already loaded
  elif [ -f "$dir/regtest/wallets/$1/wallet.sqlite" ]; then
    echo "quickstart: loading the wallet \"$1\""
    "${cli[@]}" loadwallet "$1" >/dev/null
  else
    echo "quickstart: creating the wallet \"$1\""
    "${cli[@]}" createwallet "$1" >/dev/null
  fi
}
wallet=quickstart
wcli=("${cli[@]}" "-rpcwallet=$wallet")
ensure_wallet "$wallet"
ensure_wallet bob
# The encryption example only while Bob's wallet is not encrypted yet.
if "${cli[@]}" -rpcwallet=bob getwalletinfo | grep -q '"encrypted": true'; then
  encrypt="  souk-cli -rpcwallet=bob walletpassphrase \"a passphrase\" 60     # Bob's wallet is encrypted: unlock it"
else
  encrypt="  souk-cli -rpcwallet=bob encryptwallet \"a passphrase\"   # locks the wallet
  souk-cli -rpcwallet=bob walletpassphrase \"a passphrase\" 60"
fi
addrfile=$dir/quickstart-address
if [ ! -s "$addrfile" ]; then
  "${wcli[@]}" getnewaddress mining >"$addrfile"
fi
addr=$(cat "$addrfile")
height=$("${cli[@]}" getblockcount)
if [ "$height" -lt 101 ]; then
  echo "quickstart: mining 101 blocks to $addr (coinbase coins mature after 100 blocks)"
  "${cli[@]}" generatetoaddress 101 "$addr" >/dev/null
fi
balance=$("${wcli[@]}" getbalance)

if $shop; then
  # Regtest mines nothing by itself: a loop mines a block every few seconds
  # so that what people do in the shop confirms; it ends with the node.
  stop_miner
  QS_ADDR=$addr QS_SECS=$blocksecs nohup bash -c 'while "$@" getblockcount >/dev/null 2>&1; do
      "$@" generatetoaddress 1 "$QS_ADDR" >/dev/null 2>&1; sleep "$QS_SECS"; done' \
    quickstart-miner "${cli[@]}" >/dev/null 2>&1 </dev/null &
  echo $! >"$dir/miner.pid"
  cat <<MSG

souk shop running on regtest: open http://127.0.0.1:$gwport/ in a browser.
A block is mined every $blocksecs s, so what you do there confirms within that.
New accounts start with no coins; give one 10 from the quick start's wallet:
  ${cli[*]} -rpcwallet=$wallet sendtoaddress <the account's address> 10
Stop it all with: contrib/quickstart.sh stop
MSG
  exit 0
fi

cat <<MSG

souk regtest node running (data: $dir, RPC port $port).
Wallet "$wallet" (in $dir/regtest/wallets/$wallet/) holds $balance coins, mined to $addr.
A second wallet, "bob", is loaded for the examples.

Try:
  alias souk-cli='${cli[*]}'
  souk-cli getblockchaininfo
  souk-cli -rpcwallet=$wallet getbalances
  souk-cli -rpcwallet=bob getnewaddress                  # Bob's address
  souk-cli -rpcwallet=$wallet sendtoaddress <Bob's address> 1.5
  souk-cli generatetoaddress 1 $addr    # mine a block: confirms the payment
  souk-cli -rpcwallet=bob getbalance
  souk-cli -rpcwallet=$wallet listtransactions
$encrypt
  souk-cli -rpcwallet=$wallet backupwallet /tmp/$wallet-backup-\$(date +%s).sqlite
  souk-cli -rpcwallet=$wallet dumpseed                   # restore: createwallet <name> "" <seed>
Wallets, backups and signing without the wallet: doc/wallet.md.
A bare key pair for scripts (regtest only): souk-cli getnewkeypair
Stop it with: contrib/quickstart.sh stop
MSG

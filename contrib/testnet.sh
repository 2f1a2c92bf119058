#!/usr/bin/env bash
# A local regtest network of N soukd nodes on consecutive ports, connected in a ring.
#   contrib/testnet.sh [--dir DIR] N        start node0..node<N-1> (N from 1 to 50) and print how to reach them
#   contrib/testnet.sh [--dir DIR] status   height, best block and peer count of each node
#   contrib/testnet.sh [--dir DIR] stop     stop every node of the network (stop RPC, then its own pid)
# status and stop work from any directory: without --dir (or SOUK_TESTNET_DIR)
# they use the network the last start recorded. They exit 1 when there is none.
#
# Environment:
#   SOUK_TESTNET_DIR      where the datadirs live (default: <repo>/testnet-data); one dir nodeI per node
#   SOUK_TESTNET_PORT     P2P port of node0; node I listens on PORT+I (default 29000)
#   SOUK_TESTNET_RPCPORT  RPC port of node0; node I answers on RPCPORT+I (default 29500)
#   SOUK_BUILD_DIR        where soukd and souk-cli are (default: <repo>/build, else the repo root)
#   SOUK_TESTNET_ARGS     extra soukd arguments for every node (e.g. "-debug=net")
#   XDG_STATE_HOME        where start records the network's directory
#                         (default ~/.local/state; the file is souk/testnet-dir)
#
# Each datadir gets a souk.conf holding its ports and its one outbound link,
# to the next node of the ring (connect=127.0.0.1:<next node's port>, so a
# node makes no other outbound connection and each neighbouring pair holds
# exactly one), so `souk-cli -datadir=<dir>` and a manual
# `soukd -datadir=<dir>` restart find everything by themselves. Nodes listen
# on 127.0.0.1 only. They run with -daemon and are only ever stopped through
# their own RPC or the pid in their own soukd.pid, never by process name.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
record=${XDG_STATE_HOME:-$HOME/.local/state}/souk/testnet-dir
dir=${SOUK_TESTNET_DIR:-}
if [ "${1:-}" = "--dir" ]; then
  [ $# -ge 2 ] || { echo "testnet.sh: --dir needs a directory" >&2; exit 2; }
  dir=$2
  shift 2
fi
dir_given=${dir:+yes}
dir=${dir:-$top/testnet-data}
p2p_base=${SOUK_TESTNET_PORT:-29000}
rpc_base=${SOUK_TESTNET_RPCPORT:-29500}
extra_args=${SOUK_TESTNET_ARGS:-}

if [ -n "${SOUK_BUILD_DIR:-}" ]; then
  build=$SOUK_BUILD_DIR
elif [ -x "$top/build/soukd" ]; then
  build=$top/build
else
  build=$top
fi
soukd=$build/soukd
cli=$build/souk-cli

usage() {
  sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

# find_network: for status and stop, the directory given, else the one the
# last start recorded, else the default; exit 1 when it holds no network.
find_network() {
  if [ -z "$dir_given" ] && [ -s "$record" ]; then
    dir=$(cat "$record")
  fi
  [ -d "$dir/node0" ] || die "no network in $dir (start one with: $0 N)"
}

die() {
  echo "testnet.sh: $*" >&2
  exit 1
}

# node_dirs: the datadirs of the network, in index order.
node_dirs() {
  local i=0
  while [ -d "$dir/node$i" ]; do
    echo "$dir/node$i"
    i=$((i + 1))
  done
}

# node_pid <datadir>: the pid in soukd.pid when that process is a soukd of this datadir.
node_pid() {
  local d=$1 pid
  [ -f "$d/regtest/soukd.pid" ] || return 1
  pid=$(tr -dc '0-9' <"$d/regtest/soukd.pid")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' '\n' <"/proc/$pid/cmdline" | grep -qxF -- "-datadir=$d" || return 1
  echo "$pid"
}

cmd_stop() {
  local d pids=() names=() pid i
  while read -r d; do
    [ -n "$d" ] || continue
    if pid=$(node_pid "$d"); then
      "$cli" "-datadir=$d" stop >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
      names+=("$(basename "$d")")
    fi
  done < <(node_dirs)
  [ ${#pids[@]} -gt 0 ] || die "no node running in $dir"
  # Wait for each process to exit; a node that ignores stop for 60 s gets
  # SIGTERM, then SIGKILL 10 s later -- always by its own pid.
  for i in "${!pids[@]}"; do
    pid=${pids[$i]}
    local waited=0
    while kill -0 "$pid" 2>/dev/null; do
      if [ $waited -eq 600 ]; then
        echo "testnet.sh: ${names[$i]} (pid $pid) still running after 60 s; SIGTERM" >&2
        kill -TERM "$pid" 2>/dev/null || true
      elif [ $waited -eq 700 ]; then
        echo "testnet.sh: ${names[$i]} (pid $pid) ignored SIGTERM; SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
      fi
      sleep 0.1
      waited=$((waited + 1))
    done
    echo "testnet.sh: ${names[$i]} (pid $pid) stopped"
  done
}

cmd_status() {
  local d
  while read -r d; do
    [ -n "$d" ] || continue
    if node_pid "$d" >/dev/null; then
      printf '%s: height %s, best %s, peers %s\n' "$(basename "$d")" \
        "$("$cli" "-datadir=$d" getblockcount 2>/dev/null || echo '?')" \
        "$("$cli" "-datadir=$d" getbestblockhash 2>/dev/null || echo '?')" \
        "$("$cli" "-datadir=$d" getconnectioncount 2>/dev/null || echo '?')"
    else
      printf '%s: not running\n' "$(basename "$d")"
    fi
  done < <(node_dirs)
}

cmd_start() {
  local n=$1 i d next
  [[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 50 ] || die "N must be a number from 1 to 50"
  [ -x "$soukd" ] || die "no soukd in $build (build first, or set SOUK_BUILD_DIR)"
  if [ -d "$dir" ]; then
    while read -r d; do
      [ -n "$d" ] || continue
      if node_pid "$d" >/dev/null; then
        die "$(basename "$d") in $dir is still running; run 'contrib/testnet.sh stop' first"
      fi
    done < <(node_dirs)
    # A network of a different size: the old datadirs beyond N would be read
    # by a later `stop`/`status`; keep the chains of node0..N-1, drop the rest.
    i=$n
    while [ -d "$dir/node$i" ]; do
      rm -rf "${dir:?}/node$i"
      i=$((i + 1))
    done
  fi
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  mkdir -p "$(dirname "$record")"
  echo "$dir" >"$record"

  for ((i = 0; i < n; i++)); do
    d=$dir/node$i
    mkdir -p "$d"
    {
      echo "regtest=1"
      echo "[regtest]"
      echo "port=$((p2p_base + i))"
      echo "rpcport=$((rpc_base + i))"
      echo "bind=127.0.0.1"
      echo "listen=1"
      # The ring: each node dials the next and nothing else; with two nodes
      # one link is enough, and a node without a link dials nobody.
      if [ "$n" -gt 1 ] && { [ "$n" -gt 2 ] || [ "$i" -eq 0 ]; }; then
        next=$(((i + 1) % n))
        echo "connect=127.0.0.1:$((p2p_base + next))"
      else
        echo "connect=0"
      fi
    } >"$d/souk.conf"
  done

  for ((i = 0; i < n; i++)); do
    d=$dir/node$i
    # shellcheck disable=SC2086
    if ! "$soukd" "-datadir=$d" -daemon $extra_args; then
      echo "testnet.sh: node$i failed to start; see $d/regtest/debug.log" >&2
      cmd_stop >/dev/null || true
      exit 1
    fi
  done

  echo "souk regtest network of $n nodes in $dir (ring: node0 -> node1 -> ... -> node$((n - 1))$([ "$n" -gt 2 ] && echo " -> node0"))"
  for ((i = 0; i < n; i++)); do
    d=$dir/node$i
    printf '  node%-2d P2P 127.0.0.1:%d  RPC %d  pid %s\n' "$i" $((p2p_base + i)) $((rpc_base + i)) \
      "$(node_pid "$d" || echo '?')"
    printf '         %s -datadir=%s getblockchaininfo\n' "$cli" "$d"
  done
  cat <<MSG

Mine on a node:   $cli -datadir=$dir/node0 generatetoaddress 1 \$($cli -datadir=$dir/node0 getnewkeypair | python3 -c 'import json,sys; print(json.load(sys.stdin)["address"])')
Status:           $top/contrib/testnet.sh --dir $dir status
Stop them all:    $top/contrib/testnet.sh --dir $dir stop
(from any directory; without --dir they find the network this start recorded)
MSG
}

case "${1:-}" in
  stop) find_network; cmd_stop ;;
  status) find_network; cmd_status ;;
  ""|-h|--help|help) usage ;;
  *) cmd_start "$1" ;;
esac

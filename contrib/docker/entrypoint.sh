#!/bin/sh
# Container entrypoint: writes souk.conf for a regtest node from the
# environment, so `souk-cli <command>` inside the container needs no options,
# then runs soukd in the foreground (docker stops it with SIGTERM).
#   SOUK_ADDNODE   space-separated ip:port peers to keep connections to
#   SOUK_RPCALLOW  extra -rpcallowip subnet (RPC still binds to localhost unless SOUK_RPCBIND is set)
#   SOUK_RPCBIND   address to serve RPC on as well as localhost (e.g. 0.0.0.0)
set -eu
datadir=/home/souk/.souk
mkdir -p "$datadir"
{
  echo "regtest=1"
  echo "[regtest]"
  echo "port=28733"
  echo "rpcport=28732"
  echo "printtoconsole=1"
  for peer in ${SOUK_ADDNODE:-}; do
    echo "addnode=$peer"
  done
  if [ -n "${SOUK_RPCBIND:-}" ]; then
    echo "rpcbind=127.0.0.1"
    echo "rpcbind=$SOUK_RPCBIND"
  fi
  if [ -n "${SOUK_RPCALLOW:-}" ]; then
    echo "rpcallowip=$SOUK_RPCALLOW"
  fi
} >"$datadir/souk.conf"
exec soukd "-datadir=$datadir" "$@"

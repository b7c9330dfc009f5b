#!/usr/bin/env bash
# Makes Debian's redis-server available for the session store tests (each test starts its own on a
# loopback port with persistence off). Installs it with apt-get when missing and we are root;
# otherwise says why those tests will fail.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's redis-server for the session store tests…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq redis-server >/dev/null
  exit 0
fi
echo "redis-server is missing and cannot be installed here (need root and apt-get): run 'sudo apt-get install redis-server'" >&2
exit 1

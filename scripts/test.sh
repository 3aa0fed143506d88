#!/usr/bin/env bash
# npm test: does its own set-up, then lint + typecheck + stale-dist check + shellcheck + shfmt
# + unit tests + bats + the lab integration/end-to-end tests against real parts.
# The lab needs root (it creates the `deploy` user and starts dockerd, sshd, nginx).
#
# Order, for a fresh machine (docs/ops/ci.md has the timings): the lab comes up and the
# example app's native module builds in the background while the static checks and the
# unit tests run in the foreground; bats runs once dockerd is up (no bats test skips); the
# lab project runs last, alone. `npm test -- <vitest args>` runs the static checks, bats
# and then vitest with those arguments (both projects).
set -euo pipefail
cd "$(dirname "$0")/.."

start=$SECONDS
say() { printf '\n== [%4ds] %s\n' "$((SECONDS - start))" "$*" >&2; }
logs=$(mktemp -d "${TMPDIR:-/tmp}/berth-test.XXXXXX")

# background <name> <command…>: run it with its output in $logs/<name>.log.
declare -A pids=()
background() {
  local name=$1
  shift
  "$@" >"$logs/$name.log" 2>&1 &
  pids[$name]=$!
}
# await <name>: wait for a background step; on failure print its log and stop.
await() {
  local code=0
  wait "${pids[$1]}" || code=$?
  if [ "$code" -ne 0 ]; then
    say "$1 FAILED (exit $code); its output:"
    cat "$logs/$1.log" >&2
    exit "$code"
  fi
  say "$1 done"
}

say "dependencies"
[ -d node_modules ] || npm ci
say "lab up (in the background; log: $logs/lab.log)"
background lab bash test/lab/lab.sh up
# The example app's native SQLite module is built on the host and copied into its image;
# the Rails-style fixture (test/e2e/newcomer.test.ts) reuses that build.
say "example app dependencies (in the background; log: $logs/app-deps.log)"
background app-deps bash scripts/app-deps.sh

say "lint (biome)"
npx biome check .
say "typecheck (tsc --noEmit, strict)"
npx tsc --noEmit -p tsconfig.json
say "dist is fresh"
node scripts/check-dist.mjs
say "shellcheck (every shell file, libraries included)"
bash scripts/lint-shell.sh
say "shell formatting (shfmt -i 2 -ci)"
bash scripts/format-shell.sh

if [ "$#" -eq 0 ]; then
  await app-deps
  say "unit tests (vitest --project unit)"
  npx vitest run --project unit
fi

await lab
say "VPS script libraries (bats)"
bats test/vps

if [ "$#" -eq 0 ]; then
  await app-deps
  say "lab tests (vitest --project lab)"
  npx vitest run --project lab
else
  await app-deps
  say "tests (vitest $*)"
  npx vitest run "$@"
fi
say "all passed"

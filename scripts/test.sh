#!/usr/bin/env bash
# npm test: does its own set-up, then lint + typecheck + stale-dist check + shellcheck + shfmt + bats
# + unit tests + the lab integration/end-to-end tests against real parts.
# The lab needs root (it creates the `deploy` user and starts dockerd, sshd, nginx).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*" >&2; }

say "dependencies"
[ -d node_modules ] || npm ci
# The example app's native SQLite module is built on the host and copied into its image.
[ -d examples/app/node_modules ] || npm ci --prefix examples/app
# The Rails-style fixture (test/e2e/newcomer.test.ts) is built the same way.
[ -d test/fixtures/rails-style/node_modules ] || npm ci --prefix test/fixtures/rails-style

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
say "VPS script libraries (bats)"
bats test/vps

say "lab up"
bash test/lab/lab.sh up
say "tests (unit + lab)"
npx vitest run "$@"

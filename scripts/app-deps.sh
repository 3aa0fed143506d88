#!/usr/bin/env bash
# The node_modules the lab's app images copy in: examples/app's (better-sqlite3 compiled
# on the host, about 80 s on 2 cores: no prebuilt binary can be downloaded here) and the
# Rails-style fixture's, which asks for the same better-sqlite3 and so reuses that build
# instead of compiling it a second time. Each tree is installed only when it is missing.
# Used by npm test (scripts/test.sh); `npm run demo` and `npm run bench` need only the first.
#
# Exit codes: 0 ok; 1 an install or the reused module's load check failed.
set -euo pipefail
cd "$(dirname "$0")/.."

app=examples/app
fixture=test/fixtures/rails-style

[ -d "$app/node_modules" ] || npm ci --prefix "$app"

if [ ! -d "$fixture/node_modules" ]; then
  npm ci --prefix "$fixture" --ignore-scripts
  version() { node -p 'require(process.argv[1]).version' "$PWD/$1/node_modules/better-sqlite3/package.json"; }
  if [ "$(version "$app")" = "$(version "$fixture")" ]; then
    echo "app-deps: $fixture reuses $app's better-sqlite3 $(version "$app") build"
    cp -a "$app/node_modules/better-sqlite3/build" "$fixture/node_modules/better-sqlite3/"
  else
    echo "app-deps: $fixture asks for better-sqlite3 $(version "$fixture"), $app has $(version "$app"): building it"
    npm rebuild --prefix "$fixture" better-sqlite3
  fi
  # The copy must load as the fixture's own would.
  (cd "$fixture" && node -e 'new (require("better-sqlite3"))(":memory:").prepare("select 1").get()')
fi

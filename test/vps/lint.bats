#!/usr/bin/env bats
# The shell lint `npm test` runs (scripts/lint-shell.sh): it covers every shell file,
# the libraries that are only ever sourced included, and a finding in any one of them
# fails it. Run by `npm test` (bats test/vps).

bats_require_minimum_version 1.5.0

setup() {
  REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
}

@test "npm test runs scripts/lint-shell.sh, which lists every library, command and bats file" {
  grep -qxE 'bash scripts/lint-shell\.sh' "$REPO/scripts/test.sh"
  run -0 bash "$REPO/scripts/lint-shell.sh" --list
  local f rel
  for f in "$REPO"/vps-scripts/bin/berth "$REPO"/vps-scripts/lib/*.sh "$REPO"/vps-scripts/commands/*.sh \
    "$REPO"/test/lab/lab.sh "$REPO"/test/lab/lib/*.sh "$REPO"/test/vps/*.bats; do
    rel=${f#"$REPO"/}
    grep -qxF -- "$rel" <<<"$output" || {
      echo "not linted: $rel"
      return 1
    }
  done
}

@test "an unquoted expansion added to any library fails the lint, reported at that line" {
  # A copy of the libraries, laid out as in the repository (their source paths resolve).
  cd "$BATS_TEST_TMPDIR"
  mkdir -p vps-scripts test/lab
  cp -R "$REPO/vps-scripts/lib" vps-scripts/
  cp -R "$REPO/test/lab/lib" test/lab/
  local libs=(vps-scripts/lib/*.sh test/lab/lib/*.sh) f
  declare -A at=()
  for f in "${libs[@]}"; do
    # shellcheck disable=SC2016 # the unquoted $x is the point: it goes into the file as is
    printf '%s\n' 'rm -rf $x/foo' >>"$f"
    at[$f]=$(wc -l <"$f")
  done
  # The same invocation as npm test's; only the output format is changed, to parse it.
  export SHELLCHECK_OPTS=--format=gcc
  run -1 bash "$REPO/scripts/lint-shell.sh" vps-scripts test/lab
  for f in "${libs[@]}"; do
    grep -qE "^$f:${at[$f]}:[0-9]+: .*\[SC2086\]" <<<"$output" || {
      echo "no SC2086 reported at $f:${at[$f]}"
      return 1
    }
  done
}

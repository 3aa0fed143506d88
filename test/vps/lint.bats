#!/usr/bin/env bats
# The shell lint `npm test` runs (scripts/lint-shell.sh): it covers every shell file,
# the libraries that are only ever sourced included, and a finding in any one of them
# fails it. Run by `npm test` (bats test/vps).

bats_require_minimum_version 1.5.0

setup() {
  # shellcheck source=helpers.bash
  . "$BATS_TEST_DIRNAME/helpers.bash"
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

@test "an unquoted expansion added to any library, command or bin/berth fails the lint, reported at that line" {
  # A copy of the scripts, laid out as in the repository (their source paths resolve).
  cd "$BATS_TEST_TMPDIR"
  mkdir -p vps-scripts test/lab
  cp -R "$REPO/vps-scripts/lib" "$REPO/vps-scripts/commands" "$REPO/vps-scripts/bin" vps-scripts/
  cp -R "$REPO/test/lab/lib" test/lab/
  local libs=(vps-scripts/lib/*.sh vps-scripts/commands/*.sh vps-scripts/bin/berth test/lab/lib/*.sh) f
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

@test "npm test checks the formatting (scripts/format-shell.sh, shfmt): the tree is formatted, and a line shfmt would format otherwise in any library fails it" {
  grep -qxE 'bash scripts/format-shell\.sh' "$REPO/scripts/test.sh"
  grep -qF '[shfmt]=shfmt' "$REPO/.ci/run"
  run -0 bash "$REPO/scripts/format-shell.sh"
  cd "$BATS_TEST_TMPDIR"
  mkdir -p vps-scripts
  cp -R "$REPO/vps-scripts/lib" vps-scripts/
  run -0 bash "$REPO/scripts/format-shell.sh" vps-scripts
  local f
  for f in vps-scripts/lib/*.sh; do
    printf '%s\n' 'if true;then   echo  misformatted ;fi' >>"$f"
  done
  run -1 bash "$REPO/scripts/format-shell.sh" vps-scripts
  for f in vps-scripts/lib/*.sh; do
    grep -qF -- "+++ $f" <<<"$output" || {
      echo "no formatting difference reported in $f"
      return 1
    }
  done
  [[ $output == *"run scripts/format-shell.sh --write"* ]]
}

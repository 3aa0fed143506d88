#!/usr/bin/env bats
# The ledger (<env>/releases.log, JSON lines) after a torn write, and a full disk during
# a run: a half-written line is skipped with a warning by every reader (status,
# releases, rollback, pruning, ledger_line_for), the next append starts on a line of
# its own, and a log, state or ledger write that fails never stops a recovery.

bats_require_minimum_version 1.5.0

setup() {
  # shellcheck source=helpers.bash
  . "$BATS_TEST_DIRNAME/helpers.bash"
  runbook_env
  LOG="$ENV_DIR/releases.log"
}

teardown() {
  if [ -n "${FULL:-}" ]; then umount "$FULL" 2>/dev/null || true; fi
}

berth() { bash "$BERTH_SCRIPTS/bin/berth" "$@"; }
# line <sha> <result> [<backup>]: a ledger line as record_run writes it.
line() {
  jq -cn --arg sha "$1" --arg result "$2" --arg backup "${3:-}" \
    '{time: "2026-11-22T10:00:00.000Z", env: "staging", kind: "deploy", sha: $sha, result: $result,
      phase: "record", actor: "t", totalSeconds: 1, migrated: false,
      backup: (if $backup == "" then null else $backup end)}'
}
# A ledger whose last write was cut short: no newline, not JSON.
torn_ledger() {
  {
    line "$A" succeeded
    line "$B" succeeded
  } >"$LOG"
  printf '{"time":"2026-11-22T11:00:00.000Z","env":"stag' >>"$LOG"
}

@test "ledger_append starts on a line of its own after a torn last line" {
  torn_ledger
  ledger_append "$(line "$C" succeeded)"
  [ "$(tail -n 1 "$LOG")" = "$(line "$C" succeeded)" ]
  [ "$(wc -l <"$LOG")" -eq 4 ]
  # A full disk can also leave zeros where the line was.
  printf '\0\0\0' >>"$LOG"
  ledger_append "$(line "$A" failed)"
  [ "$(tail -n 1 "$LOG")" = "$(line "$A" failed)" ]
}

@test "ledger_lines: only JSON objects, as written; each torn line skipped with a warning naming it" {
  torn_ledger
  {
    printf '\n\n'
    line "$C" succeeded
    printf '42\n'
  } >>"$LOG"
  run --separate-stderr ledger_lines
  [ "$status" -eq 0 ]
  [ "$output" = "$(
    line "$A" succeeded
    line "$B" succeeded
    line "$C" succeeded
  )" ]
  # shellcheck disable=SC2154 # run --separate-stderr sets it
  [[ $stderr == *"WARNING: $LOG line 3 is not a JSON object (torn by a crash or a full disk?): skipped"* ]]
  [[ $stderr == *"$LOG line 6 is not a JSON object"* ]]
  [ "$(grep -c WARNING <<<"$stderr")" -eq 2 ]
  # No ledger yet: nothing, quietly.
  rm "$LOG"
  run --separate-stderr ledger_lines
  [ "$status" -eq 0 ] && [ -z "$output" ] && [ -z "$stderr" ]
}

@test "ledger_line_for finds a SHA's latest line past a torn one" {
  torn_ledger
  ledger_append "$(line "$A" failed)"
  [ "$(ledger_line_for "$A" 2>/dev/null | jq -r .result)" = failed ]
  [ "$(ledger_line_for "$B" 2>/dev/null | jq -r .result)" = succeeded ]
}

@test "berth status after a torn last line: exit 0, the last whole line, a warning" {
  torn_ledger
  echo "$B" >"$ENV_DIR/current_release"
  run --separate-stderr berth status staging --json
  [ "$status" -eq 0 ]
  [ "$(jq -r '.last.sha + " " + .last.result' <<<"$output")" = "$B succeeded" ]
  [[ $stderr == *"line 3 is not a JSON object"* ]]
  run berth status staging
  [ "$status" -eq 0 ]
  [[ $output == *"last         2026-11-22T10:00:00.000Z deploy $B succeeded (phase record)"* ]]
  # No engine to ask (dockerd stopped): still a status, with no containers.
  DOCKER_HOST=unix:///nonexistent/docker.sock run --separate-stderr berth status staging --json
  [ "$status" -eq 0 ]
  [ "$(jq -c .containers <<<"$output")" = "[]" ]
}

@test "berth releases keeps the newest lines, the ones appended after a torn one" {
  torn_ledger
  ledger_append "$(line "$C" succeeded)"
  run --separate-stderr berth releases staging --json
  [ "$status" -eq 0 ]
  [ "$(jq -r 'map(.sha[0:1]) | join(" ")' <<<"$output")" = "c b a" ]
  [[ $stderr == *"$LOG line 3 is not a JSON object"* ]]
}

@test "berth rollback reads past a torn line, refuses cleanly and leaves no lock holder" {
  torn_ledger
  echo "$B" >"$ENV_DIR/current_release"
  echo "$A" >"$ENV_DIR/previous_release"
  # The ledger says A served; its bundle is gone: a refusal, exit 2, nothing changed.
  run berth rollback staging
  [ "$status" -eq "$EXIT_REFUSED" ]
  [[ $output == *"line 3 is not a JSON object"* ]]
  [[ $output == *"the bundle of $A is no longer on the server"* ]]
  [ ! -e "$ENV_DIR/lock.holder" ]
  # A SHA the whole lines never name is still refused as never served.
  run berth rollback staging --to "$C"
  [ "$status" -eq "$EXIT_REFUSED" ]
  [[ $output == *"$C never served successfully in staging"* ]]
}

@test "pruning keeps the backups the ledger still names, also past a torn line" {
  mkdir -p "$ENV_DIR/releases/$B" "$ENV_DIR/backups" "$ENV_DIR/runs"
  echo '{"keep": {"releases": 5, "backups": 1}, "images": {}}' >"$ENV_DIR/releases/$B/release.json"
  for name in old mid new; do
    echo "$name" >"$ENV_DIR/backups/$name.db"
    sleep 0.01
  done
  touch -d '-3 hours' "$ENV_DIR/backups/old.db"
  touch -d '-2 hours' "$ENV_DIR/backups/mid.db"
  {
    line "$A" succeeded "$ENV_DIR/backups/old.db"
    line "$B" succeeded
  } >"$LOG"
  printf '{"sha":"%s","resu' "$C" >>"$LOG"
  run prune_releases "$B" "$A"
  [ "$status" -eq 0 ]
  [ -e "$ENV_DIR/backups/old.db" ] # named by A's line: rollback --restore-db may need it
  [ ! -e "$ENV_DIR/backups/mid.db" ]
  [ -e "$ENV_DIR/backups/new.db" ]
}

@test "logging never fails: say, warn and marker go on, fail keeps its exit code, on a full log" {
  run bash -c '
    set -euo pipefail
    . "$BERTH_SCRIPTS/lib/common.sh"
    say "to a full disk" >/dev/full
    warn "to a full disk" >/dev/full
    marker --arg p x "{event: \"phase-start\", phase: \$p}" >/dev/full
    echo survived
    fail 3 "to a full disk" >/dev/full'
  [ "$status" -eq 3 ]
  [ "$output" = survived ]
}

# full_disk <dir>: a tmpfs at <dir>, filled to the last page (needs root; skipped otherwise).
full_disk() {
  mkdir -p "$1"
  mount -t tmpfs -o size=256k tmpfs "$1" || {
    echo "cannot mount a tmpfs: npm test runs as root (the lab needs it too)"
    return 1
  }
  FULL=$1
}
fill() { dd if=/dev/zero of="$FULL/filler" bs=4k status=none 2>/dev/null || true; }

@test "write_atomic on a full disk fails and leaves the file as it was, and no temp file" {
  full_disk "$BATS_TEST_TMPDIR/full"
  echo before >"$FULL/current_release"
  fill
  if write_atomic "$FULL/current_release" after; then
    echo "expected write_atomic to fail on a full disk"
    return 1
  fi
  [ "$(cat "$FULL/current_release")" = before ]
  [ "$(find "$FULL" -name 'current_release.tmp.*' | wc -l)" -eq 0 ]
}

@test "a full disk after maintenance-on: recovery still runs, the lock holder is cleared, the exit code is the recovery's" {
  full_disk "$ENV_DIR"
  mkdir -p "$ENV_DIR/releases/$B" "$ENV_DIR/runs/r1"
  echo '{"images": {"web": {"ref": "r/web:b@sha256:00"}}}' >"$ENV_DIR/releases/$B/release.json"
  echo '{"what":"deploy"}' >"$ENV_DIR/lock.holder"
  ln -s /dev/full "$LOG"
  fill
  # A runbook as the commands write one, its log on the full disk too.
  cat >"$BATS_TEST_TMPDIR/runbook.sh" <<'SH'
set -euo pipefail
. "$BERTH_SCRIPTS/lib/runbook.sh"
ENV_NAME=staging ENV_DIR=$BERTH_ROOT/staging BERTH_RUN_ID=r1 SHA=$1
start_run tester ""
STATE_KIND=deploy STATE_SHA=$SHA STATE_STARTED=$STARTED
failed_unchanged() { exit 99; }
recover() {
  say "recovering from $1"
  phase start true
  phase record record_run deploy "$SHA" "" "$ENV_DIR/releases/$SHA" failed "$1"
  echo "recovered" >&3
  finish_run "$EXIT_ROLLED_BACK"
}
unrecovered() {
  try_record record_run deploy "$SHA" "" "$ENV_DIR/releases/$SHA" failed-unrecovered "$1"
  finish_run "$EXIT_UNRECOVERED"
}
phase maintenance-on false
after_change maintenance-on
SH
  run bash -c "bash '$BATS_TEST_TMPDIR/runbook.sh' $B 3>&1 >/dev/full 2>&1"
  [ "$status" -eq "$EXIT_ROLLED_BACK" ]
  [ "$output" = recovered ]
  [ ! -e "$ENV_DIR/lock.holder" ]
  [ ! -e "$ENV_DIR/deploy.state" ]
  # A ledger writer that fails on a failure path is reported, never fatal.
  run bash -c ". '$BERTH_SCRIPTS/lib/runbook.sh'; set -euo pipefail; ENV_DIR='$ENV_DIR'
    try_record ledger_append '{}'; echo went on"
  [ "$status" -eq 0 ]
  [[ $output == *"WARNING: could not record this run in $LOG"*"went on" ]]
}

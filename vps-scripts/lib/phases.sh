# shellcheck shell=bash
# Running named phases (docs/design.md §3): markers for the action, per-phase seconds, the
# in-flight state file, and errexit that really applies inside each phase.

declare -A DURATIONS=()
PHASE_ORDER=()

# phase <name> <function> [args…]: run the function in a subshell with `set -e` in
# force, report its phase name, seconds and exit code, and leave the code in PHASE_RC.
# Always returns 0, and must be called as a plain command — never under `if`, `||` or
# `&&`: bash ignores errexit in everything run from such a context, subshells included.
# Phases pass results through files in $WORK.
# shellcheck disable=SC2016 # marker takes jq arguments: its $names are jq variables
phase() {
  local name=$1 t0 rc secs
  shift
  PHASE=$name
  state_write "$name" || warn "could not write $ENV_DIR/deploy.state (disk full?): going on without it"
  marker --arg p "$name" --arg t "$(now_iso)" '{event: "phase-start", phase: $p, time: $t}'
  t0=$(now_us)
  set +e
  (
    set -e
    "$@"
  )
  rc=$?
  set -e
  secs=$(seconds_since "$t0")
  if [ -n "${DURATIONS[$name]:-}" ]; then
    DURATIONS[$name]=$(awk -v a="${DURATIONS[$name]}" -v b="$secs" 'BEGIN { printf "%.2f", a + b }')
  else
    DURATIONS[$name]=$secs
    PHASE_ORDER+=("$name")
  fi
  if [ "$rc" -eq 0 ]; then
    marker --arg p "$name" --argjson s "$secs" '{event: "phase-end", phase: $p, status: "ok", seconds: $s, exitCode: 0}'
  else
    say "phase $name failed with exit code $rc"
    marker --arg p "$name" --argjson s "$secs" --argjson c "$rc" '{event: "phase-end", phase: $p, status: "failed", seconds: $s, exitCode: $c}'
  fi
  PHASE_RC=$rc
  return 0
}

durations_json() {
  local p out="{}"
  for p in "${PHASE_ORDER[@]}"; do
    out=$(jq -c --arg p "$p" --argjson s "${DURATIONS[$p]}" '. + {($p): $s}' <<<"$out")
  done
  printf '%s' "$out"
}

# <env>/deploy.state: what is in flight, so a killed run is visible and recoverable.
state_write() {
  [ -n "${STATE_KIND:-}" ] || return 0
  write_atomic "$ENV_DIR/deploy.state" "$(jq -cn --arg kind "$STATE_KIND" --arg sha "${STATE_SHA:-}" --arg phase "$1" \
    --arg runId "${BERTH_RUN_ID:-}" --arg started "${STATE_STARTED:-}" --argjson pid "$$" \
    '{kind: $kind, sha: $sha, phase: $phase, runId: $runId, started: $started, pid: $pid}')"
}

state_clear() { rm -f "$ENV_DIR/deploy.state"; }

# A deploy.state whose pid is gone is an interrupted run: say so (status, next run).
stale_state() {
  local pid
  [ -s "$ENV_DIR/deploy.state" ] || return 1
  pid=$(jq -r .pid "$ENV_DIR/deploy.state" 2>/dev/null || echo 0)
  ! kill -0 "$pid" 2>/dev/null
}

# try_record <ledger writer> [args…]: record a failed or refused run. Run like a phase
# (a subshell with errexit in force); if the ledger or result cannot be written (a full
# disk), say so and return 0: recording must never stop a recovery, nor the lock holder
# and state being cleared after it. Call it as a plain command, like phase().
try_record() {
  local rc
  set +e
  (
    set -e
    "$@"
  )
  rc=$?
  set -e
  if [ "$rc" -ne 0 ]; then warn "could not record this run in $ENV_DIR/releases.log (exit $rc; disk full?): the log above is the only record"; fi
  return 0
}

# The runbook's guards. From `guard_signals` on, TERM/INT/HUP only mark the run as
# interrupted; the next guard acts on it, so a run is never cut between two phases.
# Each command defines `failed_unchanged <phase>` (nothing changed yet: record, refuse)
# and `recover <phase>` (undo after a change). Call the guards as plain commands after
# each phase — never from `||`: see phase() above.
INTERRUPTED=""
guard_signals() { trap 'INTERRUPTED=1' TERM INT HUP; }
before_change() { if [ "$PHASE_RC" -ne 0 ] || [ -n "$INTERRUPTED" ]; then failed_unchanged "$1"; fi; }
after_change() { if [ "$PHASE_RC" -ne 0 ] || [ -n "$INTERRUPTED" ]; then recover "$1"; fi; }

# serve_again <bundle> <sha> <failed phase> <record command…>: after a failure, start the
# release that must serve, wait until it is ready, turn maintenance off and run the
# record command (the run's ledger writer, recording the failure). If the release does
# not come back, calls the command's own `unrecovered <failed phase> <why>`.
serve_again() {
  local bundle=$1 sha=$2 failed=$3
  shift 3
  phase start start_release "$bundle"
  if [ "$PHASE_RC" -ne 0 ]; then unrecovered "$failed" "$sha did not start again"; fi
  phase ready wait_ready "$bundle"
  if [ "$PHASE_RC" -ne 0 ]; then unrecovered "$failed" "$sha did not become ready again"; fi
  phase maintenance-off maintenance_off
  phase record "$@"
}

# start_ready_switch <bundle> <new slot> <live slot>: the maintenance path's start →
# ready in the new slot, then — when that is not the live one (a release without slot
# b's file starts in slot a: lib/swap.sh) — nginx switched to it; each phase guarded
# by after_change (the command's recover).
start_ready_switch() {
  phase start start_release "$1"
  after_change start
  phase ready wait_ready "$1"
  after_change ready
  if [ "$2" != "$3" ]; then
    phase switch swap_switch "$1" "$2"
    after_change switch
  fi
}

# not_recovered <failed phase> <why> <what to do next> <ledger writer…>: putting the
# previous state back failed (rollback, restore): say the state — the maintenance page,
# where the replaced database was saved —, record the run as failed-unrecovered, exit 4.
not_recovered() {
  local failed=$1 why=$2 next=$3
  shift 3
  PHASE=$failed
  say "NOT RECOVERED: $why. The maintenance page is $([ -e "$(maintenance_flag)" ] && echo ON || echo off); the replaced database is $([ -s "$WORK/backup" ] && echo "saved at $(cat "$WORK/backup")" || echo "unchanged"). Check 'berth status $ENV_NAME', fix, then $next."
  try_record "$@"
  finish_run "$EXIT_UNRECOVERED"
}

# refuse_unchanged <kind> <sha> <from> <reason>: refuse before anything changed: no
# ledger line, the lock holder cleared if this run took the lock ($LOCKED), a result
# event for the action, exit 2.
refuse_unchanged() {
  [ -z "${LOCKED:-}" ] || rm -f "$ENV_DIR/lock.holder"
  printf '%s [%s] ERROR: %s\n' "$(now_iso)" "$PHASE" "$4" 2>/dev/null || true
  # shellcheck disable=SC2016 # a jq program: its $names are jq variables
  result_event "$(jq -cn --arg kind "$1" --arg env "$ENV_NAME" --arg sha "$2" --arg from "$3" --arg reason "$4" \
    '{kind: $kind, env: $env, sha: $sha, from: $from, result: "refused", phase: "preflight", reason: $reason}')"
  exit "$EXIT_REFUSED"
}

# finish_run <exit code>: the run is over — clear the in-flight state and the lock
# holder, hand the ledger line to the action as the result event (and to stdout with
# --json), and exit with that code. A result that could not be written (a full disk)
# leaves the action only the exit code, never another one.
finish_run() {
  state_clear
  rm -f "$ENV_DIR/lock.holder"
  result_event "$(cat "$WORK/result.json" 2>/dev/null)"
  exit "$1"
}

# result_event <json>: the run's result, as the action's result marker (and on stdout
# with --json); nothing when it is not a JSON object.
result_event() {
  jq -e 'type == "object"' <<<"$1" >/dev/null 2>&1 || return 0
  printf '@@berth %s\n' "$(jq -c '{event: "result"} + .' <<<"$1")" 2>/dev/null || true
  json_result "$1"
}

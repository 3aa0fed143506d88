#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR/..
# shellcheck disable=SC2317 # the do_* phase functions are invoked through phase(), which shellcheck cannot see
# Usage: berth recover <env> --from-offsite --repository <restic repository> [--offsite-env-file <path>] [--actor <name>] [--run-url <url>] [--json]
# Summary: rebuild a lost environment from its latest offsite snapshot
# Detached: yes
#
# Disaster recovery (docs/ops/disaster-recovery.md): on a server prepared by `berth setup`
# (docker, restic, the deploy user, nginx, the app's env file and <root>/env/offsite.env
# put back from the team's secret store), bring a lost environment back from its latest
# offsite snapshot: preflight (the environment is really lost — no current release —,
# the repository opens, a snapshot exists) → fetch (restic restore, content verified) →
# verify (each database's sha256, integrity_check, row counts against the manifest; the
# bundle's SHA256SUMS, the env file covers the compose file) → place (the bundles, the
# ledger, the release pointers and the database set, each in its place) → pull (the
# release that was current, by digest) → maintenance-on → start → ready →
# maintenance-off → record (a `recover` line in the restored ledger).
# --repository is berth.yml's offsite.repository (the berth CLI passes it): on a lost
# server there is no release.json to read it from.
#
# Exit codes: 0 recovered; 1 error; 2 refused, nothing changed (the environment still
# has a release, no snapshot, a bad argument, a snapshot that fails its checks);
# 4 failed after the files were placed (the log says what is where; the maintenance
# page stays on).
set -euo pipefail
# shellcheck source=lib/runbook.sh
. "$BERTH_SCRIPTS/lib/runbook.sh"
# shellcheck source=lib/offsite.sh
. "$BERTH_SCRIPTS/lib/offsite.sh"

PHASE=preflight
parse_args recover '<env> --from-offsite --repository= --offsite-env-file= --actor= --run-url= --json' "$@"
valid_env "${ARGS[0]}" || fail "$EXIT_REFUSED" "environment $(printf '%q' "${ARGS[0]}") is not a name like production (a-z, 0-9, -)"
ENV_NAME=${ARGS[0]}
ENV_DIR="$BERTH_ROOT/$ENV_NAME"
[ -n "$(opt --from-offsite)" ] || fail "$EXIT_ERROR" "recover needs --from-offsite (the only source it knows); usage: $(verb_usage recover)"
OFFSITE_REPO=$(opt --repository)
OFFSITE_ENV_FILE=$(opt --offsite-env-file)
[ -n "$OFFSITE_REPO" ] || fail "$EXIT_REFUSED" "--repository is missing: give berth.yml's offsite.repository (the berth CLI passes it for you: berth recover $ENV_NAME --from-offsite)"
OFFSITE_KEEP_DAILY=7 OFFSITE_KEEP_WEEKLY=4 OFFSITE_KEEP_MONTHLY=6 OFFSITE_MAX_AGE_HOURS=26
offsite_check_config
command -v restic >/dev/null || fail "$EXIT_REFUSED" "restic is not installed on this server (apt-get install restic; berth setup installs it)"
compose_bin || fail "$EXIT_REFUSED" "$COMPOSE_MISSING"
if [ -n "$(read_release current_release 2>/dev/null || true)" ]; then
  fail "$EXIT_REFUSED" "$ENV_NAME still has a current release ($(read_release current_release)) on this server: recover is for a lost environment. To put data back use 'berth restore' or 'berth rollback'; to rebuild anyway, move $ENV_DIR aside first"
fi
mkdir -p "$ENV_DIR"
chmod 755 "$ENV_DIR"
mkdir -p "$ENV_DIR/releases" "$ENV_DIR/runs"
start_run "$(id -un)" ""

LOCKED=""
refuse() { refuse_unchanged recover "" "" "$1"; }
try_lock offsite recover || refuse "$LOCK_REFUSAL"
LOCKED=1
STATE_KIND=recover STATE_STARTED=$STARTED
offsite_secrets
RESTORED="$WORK/restored"
say "recovering $ENV_NAME from $(offsite_shown "$OFFSITE_REPO") as run $BERTH_RUN_ID by $BERTH_ACTOR"

# --- phases (results pass through files in $WORK: each phase runs in a subshell) --------

do_preflight() {
  local snap app
  # Which app: the snapshot's tags say; this server may hold several apps' repositories.
  snap=$(restic_do snapshots --json --tag "env:$ENV_NAME" --tag berth) ||
    fail "$EXIT_REFUSED" "the repository $(offsite_shown "$OFFSITE_REPO") does not open (reachable as $(id -un)? RESTIC_PASSWORD the repository's?)"
  app=$(jq -r 'sort_by(.time) | last | .tags[]? | select(startswith("app:")) | ltrimstr("app:")' <<<"$snap")
  [ -n "$app" ] || fail "$EXIT_REFUSED" "no berth snapshot of $ENV_NAME in $(offsite_shown "$OFFSITE_REPO")"
  offsite_latest "$app" >"$WORK/snapshot.json"
  say "latest snapshot of $ENV_NAME: $(jq -r '"\(.short) taken \(.time) on \(.host)"' "$WORK/snapshot.json")"
}

do_fetch() { offsite_fetch "$(jq -r .id "$WORK/snapshot.json")" "$RESTORED"; }

do_verify() {
  local m="$RESTORED/$OFFSITE_MANIFEST" current bundle
  [ "$(jq -r .env "$m")" = "$ENV_NAME" ] || fail "$EXIT_REFUSED" "the snapshot is of environment $(jq -r .env "$m"), not $ENV_NAME"
  current=$(jq -r '.current // empty' "$m")
  valid_sha "$current" || fail "$EXIT_REFUSED" "the snapshot names no current release"
  bundle="$RESTORED/releases/$current"
  [ -f "$bundle/release.json" ] || fail "$EXIT_REFUSED" "the snapshot holds no bundle of its current release $current"
  offsite_verify "$RESTORED" >"$WORK/databases.json" || fail "$EXIT_REFUSED" "the snapshot's databases fail their checks (see above)"
  # The bundle as uploaded, for this environment, and this server can run it: the env
  # file (put back from the team's secret store) covers the compose file.
  preflight_release "$bundle" "$ENV_NAME" "$current"
  printf '%s\n' "$current" >"$WORK/current"
  say "snapshot verified: $(jq -c '[.[] | .rows // empty]' "$WORK/databases.json"); release $current"
}

do_place() {
  place_snapshot "$RESTORED" "$(cat "$WORK/current")"
  touch "$WORK/placed"
}

do_pull() { pull_release "$ENV_DIR/releases/$(cat "$WORK/current")"; }
do_maintenance_on() { maintenance_on "$(cat "$WORK/current")"; }
do_start() { start_release "$ENV_DIR/releases/$(cat "$WORK/current")"; }
do_ready() { wait_ready "$ENV_DIR/releases/$(cat "$WORK/current")"; }

# The release runs in slot a: nginx may still route by a live file of the lost
# environment (slot b), so point it at slot a when berth may reload it (lib/swap.sh).
do_switch() {
  local bundle
  bundle="$ENV_DIR/releases/$(cat "$WORK/current")"
  write_slot a "$(manifest "$bundle" .sha)" a
  if swap_why_not "$bundle" a >/dev/null; then switch_nginx "$bundle" a; else say "nginx is not reloaded by berth here: it serves the ports as rendered (slot a)"; fi
}
do_maintenance_off() { maintenance_off; }
do_record() { record_recover recovered record; }

record_recover() {
  local current bundle
  current=$(cat "$WORK/current")
  bundle="$ENV_DIR/releases/$current"
  record_run recover "$current" "$(read_release previous_release)" "$bundle" "$1" "$2" \
    "$(jq -cn --slurpfile s "$WORK/snapshot.json" --slurpfile d "$WORK/databases.json" \
      '{database: "restore", migrated: false, restoredFrom: "offsite:\($s[0].id)", snapshotTime: $s[0].time,
        snapshotHost: $s[0].host, rows: [$d[0][] | .rows // empty]}')"
}

# --- failure handling -------------------------------------------------------------------

# Before `place` nothing of the environment changed: refuse (2), no ledger line.
failed_unchanged() {
  say "recover stopped in phase $1: nothing was placed; $ENV_DIR holds only this run's files"
  state_clear
  rm -f "$ENV_DIR/lock.holder"
  exit "$EXIT_REFUSED"
}

# After `place`: the files are in place but the release does not serve. Say where
# everything is; the maintenance page stays on (nginx answers 503, not 502).
recover() {
  PHASE=$1
  say "NOT RECOVERED: phase $1 failed. The snapshot's files are in place ($ENV_DIR, the database set), the maintenance page is $([ -e "$(maintenance_flag)" ] && echo ON || echo off). Fix the cause (the log above; 'berth logs $ENV_NAME --app'), then 'berth deploy $ENV_NAME $(cat "$WORK/current" 2>/dev/null || echo '<sha>')' starts it again."
  try_record record_recover failed-unrecovered "$1"
  finish_run "$EXIT_UNRECOVERED"
}

# --- the runbook ----------------------------------------------------------------------

# recover_runbook: the phases in order (docs/design.md §3), each followed by its guard.
# Call it as a plain command (phase() and the guards rely on errexit applying).
recover_runbook() {
  phase preflight do_preflight
  before_change preflight
  phase fetch do_fetch
  before_change fetch
  phase verify do_verify
  before_change verify
  phase place do_place
  if [ ! -e "$WORK/placed" ] && [ "$PHASE_RC" -ne 0 ]; then recover place; fi
  after_change place
  phase pull do_pull
  after_change pull
  phase maintenance-on do_maintenance_on
  after_change maintenance-on
  phase start do_start
  after_change start
  phase ready do_ready
  after_change ready
  phase switch do_switch
  after_change switch
  phase maintenance-off do_maintenance_off
  after_change maintenance-off
  phase record do_record
  if [ "$PHASE_RC" -ne 0 ]; then
    fail "$EXIT_ERROR" "$ENV_NAME is recovered and serves, but the ledger could not be written: check disk space under $ENV_DIR"
  fi
  rm -rf -- "$RESTORED"
  say "recovered $ENV_NAME from offsite snapshot $(jq -r .short "$WORK/snapshot.json") in $(seconds_since "$T0")s"
  finish_run "$EXIT_OK"
}

guard_signals
recover_runbook

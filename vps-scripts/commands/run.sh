#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR/..
# berth run <env> <run-id> <verb> [args…]
#
# Start `berth <verb> …` detached from this SSH session (its own session via setsid,
# stdin from /dev/null), so a dropped connection or a cancelled runner cannot stop it
# half-way. Output goes to <env>/runs/<run-id>/log, its pid to …/pid, and its exit
# code to …/exit when it ends. Returns as soon as the pid file exists.
#
# Exit codes: 0 started; 1 error; 2 refused (bad input, run id already used).
set -euo pipefail
# shellcheck source=lib/common.sh
. "$BERTH_SCRIPTS/lib/common.sh"

[ $# -ge 3 ] || fail "$EXIT_ERROR" "usage: berth run <env> <run-id> <verb> [args…]"
# recover rebuilds a lost environment: its directory may be gone with the rest.
if [ "$3" = recover ] && valid_env "$1"; then mkdir -p "$BERTH_ROOT/$1"; fi
need_env "$1"
valid_run_id "$2" || fail "$EXIT_REFUSED" "run id $(printf '%q' "$2") is not [A-Za-z0-9._-]{1,64}"
case "$3" in deploy | rollback | restore | sync | backup | drill | recover) ;; *) fail "$EXIT_REFUSED" "berth run starts deploy, rollback, restore, sync, backup, drill or recover, not $(printf '%q' "$3")" ;; esac
dir="$ENV_DIR/runs/$2"
mkdir -p "$ENV_DIR/runs"
mkdir "$dir" 2>/dev/null || fail "$EXIT_REFUSED" "run id $2 was already used in $ENV_NAME; use a new one"
shift 2

# The wrapper records its own pid (setsid does not fork here), runs the verb, removes
# the run's own registry login (<env>/.registry-auth/<run-id>, written by the action for
# this run's pulls: lib/release.sh), then writes the exit code atomically so `follow`
# sees it complete or not at all.
# shellcheck disable=SC2016 # the script is for the child bash: its $ expand there
BERTH_RUN_ID=$(basename "$dir") setsid bash -c '
  dir=$1 auth=$2; shift 2
  echo $$ > "$dir/pid"
  "$BERTH_SCRIPTS/bin/berth" "$@" > "$dir/log" 2>&1 < /dev/null
  code=$?
  rm -rf -- "$auth"
  echo "$code" > "$dir/exit.tmp" && mv -f "$dir/exit.tmp" "$dir/exit"
' berth-run "$dir" "$ENV_DIR/.registry-auth/$(basename "$dir")" "$@" >/dev/null 2>&1 </dev/null &

for _ in $(seq 1 100); do
  [ -s "$dir/pid" ] && { echo "started $* as run $(basename "$dir") (pid $(cat "$dir/pid"))"; exit 0; }
  sleep 0.05
done
fail "$EXIT_ERROR" "the detached run did not start (no pid file in $dir)"

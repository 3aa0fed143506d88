#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR/..
# Usage: berth logs <env> [--run <run-id> | --app [--service <name>] [--tail <lines>]] [--json]
# Summary: the newest (or that) run's log, or the app's container logs
#
# What happened: the log of the newest detached run of <env> (a deploy, rollback, restore
# or backup started through `berth run` by the actions or the berth CLI), or of --run
# <run-id>, without the `@@berth` marker lines; a run still going is shown as far as it
# got (`berth follow <env> <run-id>` streams it). Its state goes to stderr.
# With --app: the current release's container logs instead (`docker compose logs`, the
# last --tail lines of each service, default 200, or of --service alone).
# With --json (runs only): {env, run, running, exitCode, log} on stdout.
#
# Exit codes: 0 ok; 1 error or bad usage; 2 refused (no such run, no run yet, no
# current release).
set -euo pipefail
# shellcheck source=lib/common.sh
. "$BERTH_SCRIPTS/lib/common.sh"
# shellcheck source=lib/compose.sh
. "$BERTH_SCRIPTS/lib/compose.sh"
# shellcheck source=lib/swap.sh
. "$BERTH_SCRIPTS/lib/swap.sh"

PHASE=logs
parse_args logs '<env> --run= --app --service= --tail= --json' "$@"
need_env "${ARGS[0]}"
RUN=$(opt --run) APP=$(opt --app) SERVICE=$(opt --service) TAIL=$(opt --tail) JSON=$JSON_OUT
if [ -n "${OPTS[--run]+set}" ]; then
  valid_run_id "$RUN" || refuse_usage logs "--run $(printf '%q' "$RUN") is not a run id ([A-Za-z0-9._-]{1,64})"
fi
if [ -n "${OPTS[--service]+set}" ] && [[ ! $SERVICE =~ ^[a-z][a-z0-9_-]{0,62}$ ]]; then
  refuse_usage logs "--service $(printf '%q' "$SERVICE") is not a compose service name"
fi
if [ -n "${OPTS[--tail]+set}" ] && [[ ! $TAIL =~ ^[1-9][0-9]{0,5}$ ]]; then
  refuse_usage logs "--tail $(printf '%q' "$TAIL") is not a number of lines from 1 to 999999"
fi

if [ -n "$APP" ]; then
  if [ -n "$RUN" ] || [ -n "$JSON" ]; then refuse_usage logs "--app shows the containers' logs; it takes neither --run nor --json"; fi
  current=$(read_release current_release)
  [ -n "$current" ] || fail "$EXIT_REFUSED" "$ENV_NAME has no current release; no app logs to show"
  compose_bin || fail "$EXIT_REFUSED" "$COMPOSE_MISSING"
  args=(logs --no-color --tail "${TAIL:-200}")
  [ -z "$SERVICE" ] || args+=("$SERVICE")
  SLOT=$(live_slot) COMPOSE_TIMEOUT=${COMPOSE_TIMEOUT:-120} compose "$ENV_DIR/releases/$current" "${args[@]}"
  exit 0
fi
if [ -n "$SERVICE" ] || [ -n "$TAIL" ]; then refuse_usage logs "--service and --tail go with --app"; fi

if [ -z "$RUN" ]; then
  # The newest run started by `berth run` (its pid file is written when it starts).
  newest=$(find "$ENV_DIR/runs" -mindepth 2 -maxdepth 2 -name pid -printf '%T@ %h\n' 2>/dev/null | sort -rn | head -n 1)
  [ -n "$newest" ] || fail "$EXIT_REFUSED" "no detached run in $ENV_NAME yet (deploys, rollbacks, restores and backups started by the actions or the berth CLI are)"
  RUN=$(basename "${newest#* }")
fi
dir="$ENV_DIR/runs/$RUN"
[ -f "$dir/log" ] || fail "$EXIT_REFUSED" "no run $RUN with a log in $ENV_NAME; 'ls $ENV_DIR/runs' lists them"

running=true exit_code=null
if [ -f "$dir/exit" ]; then
  running=false
  exit_code=$(cat "$dir/exit")
  [[ $exit_code =~ ^[0-9]{1,3}$ ]] || exit_code=null
fi
if [ -n "$JSON" ]; then
  jq -n --arg env "$ENV_NAME" --arg run "$RUN" --argjson running "$running" --argjson exitCode "$exit_code" \
    --rawfile log <(grep -v '^@@berth ' "$dir/log" || true) \
    '{env: $env, run: $run, running: $running, exitCode: $exitCode, log: $log}' >&3
  exit 0
fi
if $running; then
  echo "berth: run $RUN of $ENV_NAME has not ended (yet); 'berth follow $ENV_NAME $RUN' streams it" >&2
else
  echo "berth: run $RUN of $ENV_NAME ended with exit code $exit_code" >&2
fi
grep -v '^@@berth ' "$dir/log" || true

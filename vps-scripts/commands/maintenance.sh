#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR/..
# Usage: berth maintenance on|off|status <env> [--json]
# Summary: the nginx maintenance flag
#
# The nginx maintenance flag <root>/<env>/maintenance/MAINTENANCE_ON: nginx answers
# 503 + Retry-After + the maintenance page while it exists (no reload needed).
#
# Exit codes: 0 ok (status: 0 whether on or off; it prints which); 1 error.
set -euo pipefail
# shellcheck source=lib/common.sh
. "$BERTH_SCRIPTS/lib/common.sh"
# shellcheck source=lib/maintenance.sh
. "$BERTH_SCRIPTS/lib/maintenance.sh"

PHASE=maintenance
parse_args maintenance '<on|off|status> <env> --json' "$@"
case "${ARGS[0]}" in
  on | off | status) ;;
  *) refuse_usage maintenance "$(printf '%q' "${ARGS[0]}") is not on, off or status" ;;
esac
need_env "${ARGS[1]}"
flag=$(maintenance_flag)
case "${ARGS[0]}" in
  on) maintenance_on manual ;;
  off) maintenance_off ;;
  status) [ -n "$JSON_OUT" ] || { if [ -f "$flag" ]; then echo "on $(cat "$flag")"; else echo off; fi; } ;;
esac
# The state after the command: {env, maintenance, release, since}.
if [ -f "$flag" ]; then
  json_result "$(jq -c --arg env "$ENV_NAME" '{env: $env, maintenance: true} + .' "$flag")"
else
  json_result "$(jq -cn --arg env "$ENV_NAME" '{env: $env, maintenance: false}')"
fi

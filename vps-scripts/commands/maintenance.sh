#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR/..
# berth maintenance on|off|status <env>
#
# The nginx maintenance flag <root>/<env>/maintenance/MAINTENANCE_ON: nginx answers
# 503 + Retry-After + the maintenance page while it exists (no reload needed).
#
# Exit codes: 0 ok (status: 0 whether on or off; it prints which); 1 error.
set -euo pipefail
# shellcheck source=lib/common.sh
. "$BERTH_SCRIPTS/lib/common.sh"
# shellcheck source=lib/release.sh
. "$BERTH_SCRIPTS/lib/release.sh"

[ $# -eq 2 ] || fail "$EXIT_ERROR" "usage: berth maintenance on|off|status <env>"
PHASE=maintenance
need_env "$2"
case "$1" in
  on) maintenance_on "${3:-manual}" ;;
  off) maintenance_off ;;
  status) if [ -f "$(maintenance_flag)" ]; then echo "on $(cat "$(maintenance_flag)")"; else echo off; fi ;;
  *) fail "$EXIT_ERROR" "usage: berth maintenance on|off|status <env>" ;;
esac

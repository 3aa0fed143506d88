# shellcheck shell=bash
# The `maintenance-on` and `maintenance-off` phases: the flag nginx tests on every
# request (503 + Retry-After + the page while it exists; no reload needed).

maintenance_flag() { printf '%s/maintenance/MAINTENANCE_ON' "$ENV_DIR"; }

maintenance_on() {
  mkdir -p "$ENV_DIR/maintenance"
  chmod 755 "$ENV_DIR/maintenance"
  write_atomic "$(maintenance_flag)" "$(jq -cn --arg sha "$1" --arg since "$(now_iso)" '{release: $sha, since: $since}')"
  chmod 644 "$(maintenance_flag)"
  say "maintenance page ON"
}

maintenance_off() {
  rm -f "$(maintenance_flag)"
  say "maintenance page OFF"
}

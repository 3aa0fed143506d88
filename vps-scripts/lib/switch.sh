# shellcheck shell=bash
# The `switch` phase: nginx is pointed at a slot — the live file rewritten, nginx -t, a
# graceful reload confirmed by a new worker (docs/design.md §3 nginx). The nginx settings
# and the live file's name are lib/swap.sh's.

# swap_switch <bundle> <slot>: the swap path's switch (remembered, so a failure switches back).
swap_switch() {
  touch "$WORK/switched"
  switch_nginx "$1" "$2"
}

# write_live_conf <bundle> <slot>: point nginx's variables at that slot's host ports.
write_live_conf() {
  local bundle=$1 slot=$2 body a b _ ports
  ports=$(slot_b_ports "$bundle") || return 1
  body="# written by berth: ${ENV_NAME//-/_} serves release $(manifest "$bundle" .sha) from slot $slot"
  while read -r a b _; do
    [ -n "$a" ] || continue
    [ "$slot" = b ] || b=$a
    # shellcheck disable=SC2016 # an nginx variable, written as is
    body+=$'\n''set $berth_'"${ENV_NAME//-/_}_$a 127.0.0.1:$b;"
  done <<<"$ports"
  mkdir -p "$ENV_DIR/nginx"
  chmod 0755 "$ENV_DIR/nginx"
  write_atomic "$(live_conf)" "$body"
  chmod 0644 "$(live_conf)"
}

# switch_nginx <bundle> <slot>: write the live file, test, reload; return once a new
# worker runs (the new configuration is in force). On a failed test or reload the file
# is put back and 1 returned: nginx still serves the old slot.
switch_nginx() {
  local bundle=$1 slot=$2 before after saved="" deadline new
  before=$(nginx_workers)
  [ -f "$(live_conf)" ] && saved=$(cat "$(live_conf)")
  write_live_conf "$bundle" "$slot"
  if ! nginx_run test || ! nginx_run reload; then
    say "nginx refused the switch to slot $slot: the old slot keeps serving"
    if [ -n "$saved" ]; then write_atomic "$(live_conf)" "$saved"; else rm -f "$(live_conf)"; fi
    return 1
  fi
  deadline=$(($(date +%s) + 10))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    after=$(nginx_workers)
    # Workers in `after` that were not in `before` (comm would need lexically sorted pids).
    new=$(grep -vxF -f <(printf '%s\n' "$before") <<<"$after" | grep -c . || true)
    if [ "$new" -gt 0 ]; then
      say "nginx serves slot $slot (reloaded: $new new worker(s))"
      printf '%s\n' "$before" >"$WORK/old_workers"
      return 0
    fi
    sleep 0.1
  done
  say "nginx started no new worker within 10 s of the reload: the switch is not confirmed"
  if [ -n "$saved" ]; then write_atomic "$(live_conf)" "$saved"; else rm -f "$(live_conf)"; fi
  nginx_run reload || true
  return 1
}

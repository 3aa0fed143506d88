# shellcheck shell=bash
# The swap path (docs/design.md §3): when the rehearsal shows the migration changes
# nothing, the new release starts beside the running one in the other slot, becomes
# ready, nginx is switched to it with a graceful reload, the old nginx workers finish
# their requests, the singletons (workers, schedulers) are handed over, and the old slot
# is retired. No maintenance page; no request fails.
#
# Slots: a is the compose project and the ports of the compose file as written; b is
# project <project>_b with slot b's file from the bundle (release.json .swap: every host
# port moved by swap.port_offset, named volumes pinned to slot a's).
#
# <env>/slot holds "<slot> <sha> <from slot>", written just before current_release: if a
# run dies between the two, current_release still names the release serving in <from>.
# <env>/nginx/live.conf is included by the environment's nginx server block (render.sh):
# one `set $berth_<env>_<port> 127.0.0.1:<port>;` per port the live slot publishes.

# live_slot: the slot current_release serves from (a when none was ever recorded).
live_slot() {
  local slot="" sha="" from="" current
  current=$(read_release current_release)
  if [ -s "$ENV_DIR/slot" ]; then read -r slot sha from <"$ENV_DIR/slot" || true; fi
  case "$slot" in a | b) ;; *)
    echo a
    return
    ;;
  esac
  if [ "$sha" = "$current" ]; then echo "$slot"; elif [ "$from" = a ] || [ "$from" = b ]; then echo "$from"; else echo "$slot"; fi
}

other_slot() { if [ "$1" = a ]; then echo b; else echo a; fi; }

# write_slot <slot> <sha> <from slot>: record where <sha> serves (before current_release).
write_slot() { write_atomic "$ENV_DIR/slot" "$1 $2 $3"; }

# slot_project <bundle> <slot>: the compose project of that slot.
slot_project() {
  local project
  project=$(manifest "$1" .compose.project)
  if [ "$2" = b ]; then printf '%s_b' "$project"; else printf '%s' "$project"; fi
}

# slot_runs <bundle> <slot>: 0 when the bundle can run in that slot (b needs slot b's file).
slot_runs() {
  [ "$2" = a ] && return 0
  jq -e '.swap.possible == true and (.swap.file | type == "string")' "$1/release.json" >/dev/null 2>&1
}

# env_value <env file> <name>: the value the env file gives <name> (its last line, quotes
# stripped), as compose reads it for interpolation; empty when it has none.
env_value() {
  [ -r "$1" ] || return 0
  sed -n "s/^[[:space:]]*\(export[[:space:]]\{1,\}\)\{0,1\}$2=//p" "$1" | tail -n 1 | sed "s/^\([\"']\)\(.*\)\1\$/\2/"
}

# slot_b_ports <bundle>: "<slot a port> <slot b port> <variable or ->" per published TCP
# host port: the literal ones from release.json, and those a variable sets (its value
# from the env file, else its default) moved by the port offset.
slot_b_ports() {
  local bundle=$1 env_file offset name from var default a
  jq -r '(.swap.ports // {}) | to_entries[] | "\(.key) \(.value) -"' "$bundle/release.json"
  env_file=$(manifest "$bundle" .envFile)
  offset=$(jq -r '.swap.portOffset // 10000' "$bundle/release.json")
  while IFS=$'\t' read -r name from; do
    [ -n "$name" ] || continue
    [[ $from =~ ^\$\{?([A-Za-z_][A-Za-z0-9_]*)(:?-([0-9]{1,5}))?\}?$ ]] || return 1
    var=${BASH_REMATCH[1]} default=${BASH_REMATCH[3]}
    a=$(env_value "$env_file" "$var")
    a=${a:-$default}
    if ! [[ $a =~ ^[0-9]{1,5}$ ]] || [ $((a + offset)) -gt 65535 ]; then
      say "slot b: $from is $(printf '%q' "$a") in $env_file: not a port berth can move by $offset"
      return 1
    fi
    printf '%s %s %s\n' "$a" $((a + offset)) "$name"
  done < <(jq -r '(.swap.variables // [])[] | "\(.name)\t\(.from)"' "$bundle/release.json")
}

# --- nginx -------------------------------------------------------------------------------

# nginx_setting <key> <default…>: a value of <root>/nginx.json (written by berth setup or
# the lab) as lines: the argv of `reload`/`test`, or the `pid` file and `conf` directory.
nginx_setting() {
  local key=$1 file="$BERTH_ROOT/nginx.json"
  shift
  if [ -f "$file" ] && jq -e --arg k "$key" 'has($k)' "$file" >/dev/null 2>&1; then
    jq -r --arg k "$key" '.[$k] | if type == "array" then .[] else . end' "$file"
  else
    printf '%s\n' "$@"
  fi
}

nginx_run() {
  local what=$1 cmd
  shift
  if [ "$what" = reload ]; then
    mapfile -t cmd < <(nginx_setting reload sudo -n /usr/sbin/nginx -s reload)
  else
    mapfile -t cmd < <(nginx_setting test sudo -n /usr/sbin/nginx -t -q)
  fi
  "${cmd[@]}"
}

live_conf() { printf '%s/nginx/live.conf' "$ENV_DIR"; }

# swap_why_not <bundle> [<slot>]: nothing (0) when the swap path can run for this release
# and environment (into slot a, a release needs no slot b file), else why not on stdout (1).
swap_why_not() {
  local bundle=$1 conf_dir
  if jq -e '.swap.possible == false' "$bundle/release.json" >/dev/null 2>&1; then
    jq -r '.swap.why' "$bundle/release.json"
    return 1
  fi
  if [ "${2:-b}" = b ] && ! slot_runs "$bundle" b; then
    echo "the release was built by a berth without the swap path"
    return 1
  fi
  conf_dir=$(nginx_setting conf /etc/nginx)
  # The site includes it as live.con[f] (a glob: no error while the file is absent).
  if ! grep -rqsF -- "$ENV_DIR/nginx/live.con" "$conf_dir"; then
    printf 'no nginx site under %s includes %s: render the site again with nginx/render.sh (or berth setup) to get zero-downtime deploys\n' "$conf_dir" "$(live_conf)"
    return 1
  fi
  if ! nginx_master >/dev/null; then
    printf 'the pid file %s names no running nginx: set "pid" in %s (berth setup writes it) so berth can see the reload take effect\n' "$(nginx_setting pid /run/nginx.pid)" "$BERTH_ROOT/nginx.json"
    return 1
  fi
  if ! nginx_run test >/dev/null 2>&1; then
    printf 'the deploy user may not test and reload nginx (%s failed): berth setup installs the sudoers line (docs/ops/deploy.md)\n' "$(nginx_setting test sudo -n /usr/sbin/nginx -t -q | paste -sd' ' -)"
    return 1
  fi
}

# nginx_master: the pid in nginx's pid file when it names a running process, else nothing (1).
nginx_master() {
  local master
  master=$(cat "$(nginx_setting pid /run/nginx.pid)" 2>/dev/null || true)
  # (not kill -0: the deploy user may not signal root's nginx; /proc shows it runs)
  [[ $master =~ ^[0-9]+$ ]] && [ -d "/proc/$master" ] || return 1
  printf '%s' "$master"
}

# nginx_workers: the pids of nginx's worker processes (children of the master).
nginx_workers() {
  local master
  master=$(nginx_master) || return 0
  pgrep -P "$master" 2>/dev/null | sort -n || true
}

# --- the slots' containers ---------------------------------------------------------------------

# slot_services <bundle> <singletons|others>: berth.yml's services split by .swap.singletons
# (a bundle from before the swap path: its writers but the ready service).
slot_services() {
  jq -r --arg which "$2" '(.swap.singletons // ((.writers // []) - [.ready.service])) as $s | (.images | keys) as $all
    | if $which == "singletons" then $all - ($all - $s) else $all - $s end | .[]' "$1/release.json"
}

# --- the swap path's phases (deploy, rollback) -------------------------------------------

# swap_undo <new bundle> <new slot> <old bundle> <old slot>: after a failure before the
# record: nginx back on the old slot, its singletons running again, the new slot gone.
swap_undo() {
  local singletons
  if [ -e "$WORK/switched" ]; then
    phase switch switch_nginx "$3" "$4"
    if [ "$PHASE_RC" -ne 0 ]; then warn "nginx could not be switched back to slot $4: check $(live_conf) and reload nginx"; fi
  fi
  if [ -e "$WORK/handover_began" ]; then
    mapfile -t singletons < <(slot_services "$1" singletons)
    phase handover undo_handover "$1" "$2" "$3" "$4" "${singletons[@]}"
  fi
  phase retire retire_slot "$1" "$2"
  if [ "$PHASE_RC" -ne 0 ]; then warn "the containers of slot $2 could not all be removed: 'berth status $ENV_NAME' lists them"; fi
}

# swap_runbook <deploy|rollback> <bundle> <new slot> <current bundle> <live slot>: the
# swap path's phases. The command defines do_record (its ledger line) and
# swap_recover <phase> (undo with swap_undo, record, exit 3).
swap_runbook() {
  local kind=$1 bundle=$2 new_slot=$3 current_bundle=$4 live=$5
  phase start swap_start "$bundle" "$new_slot"
  after_swap_change start
  phase ready swap_ready "$bundle" "$new_slot"
  after_swap_change ready
  phase switch swap_switch "$bundle" "$new_slot"
  after_swap_change switch
  phase drain swap_drain "$bundle"
  after_swap_change drain
  phase handover swap_handover "$current_bundle" "$live" "$bundle" "$new_slot"
  after_swap_change handover
  phase record do_record
  if [ "$PHASE_RC" -ne 0 ]; then swap_recover record; fi
  phase retire retire_slot "$current_bundle" "$live"
  if [ "$PHASE_RC" -ne 0 ]; then warn "the old slot $live could not be retired (the $kind succeeded): 'berth status $ENV_NAME' lists its containers"; fi
}
# A swap phase failed or a signal came: undo (the command's swap_recover).
after_swap_change() { if [ "$PHASE_RC" -ne 0 ] || [ -n "$INTERRUPTED" ]; then swap_recover "$1"; fi; }

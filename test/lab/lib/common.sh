# shellcheck shell=bash
# Log helpers (stderr only: stdout of `env` is JSON), ports, and bounded waiting.

log() { printf '[lab] %s\n' "$*" >&2; }

# The lab's ports and registry user. One command, below a function, so that the
# directive covers these five and nothing else in this file.
# shellcheck disable=SC2034 # read by lab.sh and the other lib/ files
readonly \
  SSH_PORT=2222 \
  REGISTRY_PORT=25000 \
  NGINX_STAGING_PORT=28080 \
  NGINX_PRODUCTION_PORT=28090 \
  REGISTRY_USER=berth

die() {
  printf '[lab] error: %s\n' "$*" >&2
  exit 1
}
require_root() { [ "$(id -u)" -eq 0 ] || die "the lab starts dockerd, sshd and nginx and creates the deploy user: run it as root"; }

# wait_for <seconds> <what> <command…>: poll every 0.2 s until the command succeeds.
wait_for() {
  local seconds=$1 what=$2 i
  shift 2
  for ((i = 0; i < seconds * 5; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  die "$what did not come up within ${seconds}s"
}

# pid_alive <pidfile>: the process recorded there is running.
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# stop_pidfile <pidfile> <what>: TERM, wait (bounded), KILL.
stop_pidfile() {
  local pidfile=$1 what=$2 pid i
  pid_alive "$pidfile" || {
    rm -f "$pidfile"
    return 0
  }
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
  log "stopped $what"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

status_line() { printf '%-12s %-5s %s\n' "$1" "$2" "$3"; }

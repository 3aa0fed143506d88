# shellcheck shell=bash
# dockerd from Debian's docker.io; started only if no daemon answers.

dockerd_up() {
  if docker info >/dev/null 2>&1; then return 0; fi
  command -v dockerd >/dev/null || die "dockerd is missing: apt-get install docker.io"
  log "starting dockerd"
  mkdir -p "$LAB_DIR/dockerd"
  # setsid: the daemon must outlive the shell that started it.
  setsid dockerd --host unix:///var/run/docker.sock >"$LAB_DIR/dockerd/dockerd.log" 2>&1 </dev/null &
  echo $! >"$LAB_DIR/dockerd/pid"
  wait_for 60 dockerd docker info
}

dockerd_status() {
  if docker info >/dev/null 2>&1; then status_line dockerd up "$(docker info --format '{{.ServerVersion}}')"; else
    status_line dockerd down ""
    return 1
  fi
}

dockerd_down() {
  # Only a daemon the lab started is stopped: never someone else's.
  [ -f "$LAB_DIR/dockerd/pid" ] && stop_pidfile "$LAB_DIR/dockerd/pid" dockerd
  return 0
}

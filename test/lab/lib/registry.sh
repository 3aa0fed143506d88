# shellcheck shell=bash
# A real distribution v2 registry (Debian's docker-registry) with htpasswd (bcrypt)
# auth, on loopback: docker talks plain HTTP to 127.0.0.0/8 registries by default.

registry_up() {
  local dir="$LAB_DIR/registry"
  mkdir -p "$dir/storage"
  [ -s "$dir/password" ] || (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$dir/password")
  htpasswd -Bbn "$REGISTRY_USER" "$(cat "$dir/password")" >"$dir/htpasswd"
  cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$REGISTRY_PORT
auth:
  htpasswd:
    realm: berth-lab
    path: $dir/htpasswd
YAML
  pid_alive "$dir/pid" && return 0
  command -v docker-registry >/dev/null || die "docker-registry is missing: apt-get install docker-registry"
  log "starting the registry on 127.0.0.1:$REGISTRY_PORT"
  setsid docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 </dev/null &
  echo $! >"$dir/pid"
  wait_for 30 registry port_open "$REGISTRY_PORT"
}

registry_status() {
  if pid_alive "$LAB_DIR/registry/pid" && port_open "$REGISTRY_PORT"; then
    status_line registry up "127.0.0.1:$REGISTRY_PORT pid $(cat "$LAB_DIR/registry/pid")"
  else
    status_line registry down "127.0.0.1:$REGISTRY_PORT"
    return 1
  fi
}

registry_down() {
  stop_pidfile "$LAB_DIR/registry/pid" registry
  rm -rf "$LAB_DIR/registry"
}

# shellcheck shell=bash
# The `ready` phase: the release answers its readiness check.

# wait_ready <bundle>: poll the ready service's /readyz on its loopback host port until
# N consecutive 2xx, bounded by the manifest's timeout.
wait_ready() {
  local bundle=$1 svc port path interval need timeout_s hostport ok=0 deadline
  svc=$(manifest "$bundle" .ready.service)
  port=$(manifest "$bundle" .ready.port)
  path=$(manifest "$bundle" .ready.path)
  interval=$(manifest "$bundle" .ready.intervalSeconds)
  need=$(manifest "$bundle" .ready.successes)
  timeout_s=$(manifest "$bundle" .ready.timeoutSeconds)
  deadline=$(($(date +%s) + timeout_s))
  hostport=""
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if [ -z "$hostport" ]; then hostport=$(published_port "$bundle" "$svc" "$port"); fi
    if [ -n "$hostport" ] && curl -fsS -o /dev/null --max-time 2 "http://$hostport$path" 2>/dev/null; then
      ok=$((ok + 1))
      [ "$ok" -ge "$need" ] && {
        say "$svc ready at http://$hostport$path ($ok consecutive successes)"
        return 0
      }
    else
      ok=0
    fi
    sleep "$interval"
  done
  say "$svc not ready within ${timeout_s}s (http://${hostport:-?}$path)"
  return 1
}

# published_port <bundle> <service> <container port>: the loopback host:port docker
# published it on (asked of docker directly: a compose invocation costs ~0.5 s of the
# maintenance window). Empty until the container runs.
published_port() {
  local project cid hp
  project=$(slot_project "$1" "${SLOT:-a}")
  cid=$(docker ps -q --filter "label=com.docker.compose.project=$project" \
    --filter "label=com.docker.compose.service=$2" --filter "label=com.docker.compose.oneoff=False" | head -n1)
  [ -n "$cid" ] || return 0
  hp=$(docker port "$cid" "$3/tcp" 2>/dev/null | grep -E '^(127\.0\.0\.1|0\.0\.0\.0):' | head -n1 || true)
  printf '%s' "${hp/0.0.0.0/127.0.0.1}"
}

# swap_ready <bundle> <slot>: the same, for the release starting in the other slot.
swap_ready() { SLOT=$2 wait_ready "$1"; }

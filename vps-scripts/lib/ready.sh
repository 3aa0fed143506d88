# shellcheck shell=bash
# The `ready` phase: the release answers its readiness check.

# wait_ready <bundle>: poll the ready service's /readyz on its loopback host port until
# N consecutive 2xx, bounded by the manifest's timeout. A ready service that has crashed
# for good (see crashed) ends the wait at once: the timeout is for a release that is
# slow to become ready, and on the maintenance path every second of it is downtime.
wait_ready() {
  local bundle=$1 svc port path interval need timeout_s hostport ok=0 deadline why
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
      if why=$(crashed "$bundle" "$svc"); then
        say "$svc will not become ready: $why (not waiting out the ${timeout_s}s timeout)"
        return 1
      fi
    fi
    sleep "$interval"
  done
  say "$svc not ready within ${timeout_s}s (http://${hostport:-?}$path)"
  return 1
}

# Restarts after which a crashing container counts as crashed for good: docker's restart
# back-off (100 ms, doubling) reaches it within about a second, while a service that
# exits once at boot (waiting for something) and then comes up stays below it.
CRASH_RESTARTS=3

# crashed <bundle> <service>: succeeds, printing why, when the service's container has
# exited with no restart coming (exited or dead) or has restarted CRASH_RESTARTS times.
crashed() {
  local cid state status restarts code
  cid=$(service_container "$1" "$2" -a)
  [ -n "$cid" ] || return 1
  state=$(docker inspect -f '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}' "$cid" 2>/dev/null) || return 1
  read -r status restarts code <<<"$state"
  case $status in
    exited | dead)
      printf 'its container %s (exit code %s)' "$status" "$code"
      return 0
      ;;
  esac
  if [ "${restarts:-0}" -ge "$CRASH_RESTARTS" ]; then
    printf 'its container crashed and restarted %s times (last exit code %s)' "$restarts" "$code"
    return 0
  fi
  return 1
}

# service_container <bundle> <service> [-a]: the id of the service's container in the
# current slot (running only; -a: in any state), empty when there is none.
service_container() {
  local project
  project=$(slot_project "$1" "${SLOT:-a}")
  docker ps -q ${3:+"$3"} --filter "label=com.docker.compose.project=$project" \
    --filter "label=com.docker.compose.service=$2" --filter "label=com.docker.compose.oneoff=False" | head -n1
}

# published_port <bundle> <service> <container port>: the loopback host:port docker
# published it on (asked of docker directly: a compose invocation costs ~0.5 s of the
# maintenance window). Empty until the container runs.
published_port() {
  local cid hp
  cid=$(service_container "$1" "$2")
  [ -n "$cid" ] || return 0
  hp=$(docker port "$cid" "$3/tcp" 2>/dev/null | grep -E '^(127\.0\.0\.1|0\.0\.0\.0):' | head -n1 || true)
  printf '%s' "${hp/0.0.0.0/127.0.0.1}"
}

# swap_ready <bundle> <slot>: the same, for the release starting in the other slot.
swap_ready() { SLOT=$2 wait_ready "$1"; }

#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR/..
# Usage: berth drill <env> [--json]
# Summary: restore the latest offsite snapshot aside, verify it and boot it
# Detached: yes
#
# A restore drill with proof (docs/ops/offsite.md): restore the environment's latest
# offsite snapshot into a scratch directory (<env>/runs/<run>/drill), check each database
# against the snapshot's manifest (sha256, PRAGMA integrity_check, row counts per table),
# then boot the CURRENT release's ready service in a throwaway one-off container whose
# database mounts are the restored copies, published on a scratch loopback port, and
# wait for its readiness check. The live containers, nginx, the ledger and the data are
# not touched (the one-off container has no network alias and no published service
# ports; any other volume of the service is still mounted, as in a deploy's rehearsal).
# The container and the scratch directory are removed at the end, whatever happened.
#
# Prints {ok, seconds, env, release, snapshot, snapshotTime, backupTime, bytes,
# databases: [{path, bytes, sha256Match, integrity, rows, rowsMatch}], ready, reason?}
# (with --json as one JSON object on stdout) and appends it to <env>/drills.log.
#
# Exit codes: 0 ok; 1 the drill failed (the result says where and why); 2 refused
# (no offsite: configured, no restic or password, no snapshot, no running release).
set -euo pipefail
# shellcheck source=lib/runbook.sh
. "$BERTH_SCRIPTS/lib/runbook.sh"
# shellcheck source=lib/offsite.sh
. "$BERTH_SCRIPTS/lib/offsite.sh"

parse_args drill '<env> --json' "$@"
env_arg=${ARGS[0]}
PHASE=drill
need_env "$env_arg"
CURRENT=$(read_release current_release)
[ -n "$CURRENT" ] || fail "$EXIT_REFUSED" "$ENV_NAME has no current release to boot the restored copy with"
BUNDLE="$ENV_DIR/releases/$CURRENT"
offsite_config "$BUNDLE" ||
  fail "$EXIT_REFUSED" "offsite backups are not configured for $ENV_NAME: add an offsite: block to berth.yml (docs/ops/offsite.md)"
command -v restic >/dev/null || fail "$EXIT_REFUSED" "restic is not installed on this server (apt-get install restic)"
compose_bin || fail "$EXIT_REFUSED" "$COMPOSE_MISSING"
offsite_secrets
APP=$(manifest "$BUNDLE" .app)
mapfile -t DBS < <(release_databases "$BUNDLE")
[ ${#DBS[@]} -gt 0 ] || fail "$EXIT_REFUSED" "the current release of $ENV_NAME configures no database"
start_run "$(id -un)" ""
SCRATCH="$WORK/drill"
CONTAINER="berth-drill-$ENV_NAME-$$"
SNAPSHOT="{}"
DATABASES="[]"
READY=null
BYTES=0
BACKUP_TIME=""

# shellcheck disable=SC2317 # runs from the EXIT trap
cleanup() {
  docker rm -f "$CONTAINER" >/dev/null 2>&1 || true
  rm -rf -- "$SCRATCH" 2>/dev/null || warn "could not remove all of $SCRATCH (files written by the container's uid); remove it by hand"
}
trap cleanup EXIT

# finish <ok: true|false> [reason]: the result, in drills.log and on stdout; exit 0 or 1.
finish() {
  local result
  result=$(jq -cn --argjson ok "$1" --arg reason "${2:-}" --arg time "$(now_iso)" --arg env "$ENV_NAME" \
    --arg release "$CURRENT" --argjson snapshot "$SNAPSHOT" --arg backupTime "$BACKUP_TIME" \
    --argjson bytes "$BYTES" --argjson databases "$DATABASES" --argjson ready "$READY" \
    --arg seconds "$(seconds_since "$T0")" --arg phase "$PHASE" --arg runId "$BERTH_RUN_ID" \
    '{time: $time, env: $env, kind: "drill", ok: $ok, seconds: ($seconds | tonumber), release: $release,
      snapshot: ($snapshot.id // null), snapshotTime: ($snapshot.time // null), snapshotHost: ($snapshot.host // null),
      backupTime: (if $backupTime == "" then null else $backupTime end), bytes: $bytes, databases: $databases,
      ready: $ready, runId: $runId}
      + (if $ok then {} else {phase: $phase, reason: $reason} end)')
  printf '%s\n' "$result" >>"$ENV_DIR/drills.log" || warn "could not append to $ENV_DIR/drills.log (disk full?)"
  [ -z "${BERTH_RUN_ID:-}" ] || printf '@@berth %s\n' "$(jq -c '{event: "result"} + .' <<<"$result")"
  if [ -n "$JSON_OUT" ]; then json_result "$result"; else jq -r '"drill of \(.env): \(if .ok then "OK" else "FAILED in \(.phase): \(.reason)" end) in \(.seconds)s — snapshot \(.snapshot // "?" | .[0:8]) of \(.backupTime // "?"), \(.bytes) bytes, rows \([.databases[].rows // {} | to_entries[] | "\(.key)=\(.value)"] | join(" "))"' <<<"$result"; fi
  if [ "$1" = true ]; then exit 0; fi
  say "drill FAILED: $2"
  exit "$EXIT_ERROR"
}

# --- fetch: the latest snapshot of this environment, restored and content-verified ------
PHASE=fetch
SNAPSHOT=$(offsite_latest "$APP") || fail "$EXIT_REFUSED" "no offsite snapshot of $ENV_NAME in $(offsite_shown "$OFFSITE_REPO") (or the repository cannot be opened): run 'berth backup $ENV_NAME --offsite' first"
say "restoring snapshot $(jq -r .short <<<"$SNAPSHOT") of $(jq -r .time <<<"$SNAPSHOT") from $(offsite_shown "$OFFSITE_REPO") into $SCRATCH"
offsite_fetch "$(jq -r .id <<<"$SNAPSHOT")" "$SCRATCH/restored" || finish false "restic could not restore snapshot $(jq -r .id <<<"$SNAPSHOT")"
BACKUP_TIME=$(jq -r '.time // empty' "$SCRATCH/restored/$OFFSITE_MANIFEST")
BYTES=$(du -sb -- "$SCRATCH/restored" | cut -f1)

# --- verify: checksums, integrity_check, row counts ---------------------------------------
PHASE=verify
if ! DATABASES=$(offsite_verify "$SCRATCH/restored"); then
  [ -n "$DATABASES" ] || DATABASES="[]"
  finish false "the restored databases do not match the snapshot's manifest (checksum, integrity_check or row counts; see the log)"
fi
say "checksums, integrity_check and row counts match: $(jq -c '[.[] | .rows // empty]' <<<"$DATABASES")"

# --- boot: the current release's ready service on the restored copy ---------------------
PHASE=boot
SVC=$(manifest "$BUNDLE" .ready.service)
PORT=$(manifest "$BUNDLE" .ready.port)
READY_PATH=$(manifest "$BUNDLE" .ready.path)
# The running containers show where the databases are mounted: those of the live slot.
PROJECT=$(slot_project "$BUNDLE" "$(live_slot)")
mounts=$(rehearse_mounts "$PROJECT" "$SVC" "${DBS[@]}") ||
  finish false "no running $SVC container of $CURRENT shows where the databases are mounted (is $ENV_NAME serving? 'berth status $ENV_NAME')"
volumes=()
i=0
while IFS=$'\t' read -r host target; do
  i=$((i + 1))
  # The container may run as any uid: the scratch copies are writable by it.
  mkdir -p "$SCRATCH/mounts/$i"
  chmod 0777 "$SCRATCH" "$SCRATCH/mounts" "$SCRATCH/mounts/$i"
  volumes+=("$SCRATCH/mounts/$i:$target")
  j=0
  for db in "${DBS[@]}"; do
    file=$(jq -r --argjson j "$j" '.databases[$j].file // empty' "$SCRATCH/restored/$OFFSITE_MANIFEST")
    j=$((j + 1))
    # rehearse_mounts' source ends the prefix ("<host dir>/" or "<volume>:"), as a
    # database's ref starts with it.
    case "$db" in "$host"*) ;; *) continue ;; esac
    [ -n "$file" ] || continue
    rel=${db#"$host"}
    mkdir -p "$(dirname "$SCRATCH/mounts/$i/$rel")"
    chmod 0777 "$(dirname "$SCRATCH/mounts/$i/$rel")"
    cp -- "$SCRATCH/restored/$file" "$SCRATCH/mounts/$i/$rel"
    chmod 0666 "$SCRATCH/mounts/$i/$rel"
  done
done <<<"$mounts"
jq -n --arg svc "$SVC" --arg version "$(compose_file_version "$BUNDLE")" '
  (if $version == "" then {} else {version: $version} end)
  + {services: {($svc): {volumes: $ARGS.positional}}}' --args "${volumes[@]}" >"$SCRATCH/compose.drill.json"
say "booting $SVC of $CURRENT on the restored copy in a throwaway container ($CONTAINER), on a scratch loopback port"
t_boot=$(now_us)
COMPOSE_OVERRIDE="$SCRATCH/compose.drill.json" compose "$BUNDLE" run -d --no-deps --name "$CONTAINER" \
  -p "127.0.0.1::$PORT" "$SVC" >/dev/null || finish false "the current release's $SVC did not start on the restored copy"

# --- ready: the release's own readiness check, on the scratch port ------------------------
PHASE=ready
interval=$(manifest "$BUNDLE" .ready.intervalSeconds)
need=$(manifest "$BUNDLE" .ready.successes)
deadline=$(($(date +%s) + $(manifest "$BUNDLE" .ready.timeoutSeconds)))
hostport=""
ok=0
while [ "$(date +%s)" -lt "$deadline" ]; do
  [ -n "$hostport" ] || hostport=$(docker port "$CONTAINER" "$PORT/tcp" 2>/dev/null | grep -E '^127\.0\.0\.1:' | head -n1 || true)
  if [ -n "$hostport" ] && curl -fsS -o /dev/null --max-time 2 "http://$hostport$READY_PATH" 2>/dev/null; then
    ok=$((ok + 1))
    [ "$ok" -lt "$need" ] || break
  else
    ok=0
    [ "$(docker inspect -f '{{.State.Running}}' "$CONTAINER" 2>/dev/null)" != false ] || break
  fi
  sleep "$interval"
done
if [ "$ok" -lt "$need" ]; then
  docker logs --tail 20 "$CONTAINER" 2>&1 | sed 's/^/  | /' || true
  finish false "$SVC of $CURRENT did not become ready on the restored copy (http://${hostport:-?}$READY_PATH; its last log lines are above)"
fi
READY=$(jq -cn --arg svc "$SVC" --arg url "http://$hostport$READY_PATH" --arg s "$(seconds_since "$t_boot")" \
  '{service: $svc, url: $url, seconds: ($s | tonumber)}')
say "$SVC ready on the restored copy at http://$hostport$READY_PATH"
PHASE=drill
finish true

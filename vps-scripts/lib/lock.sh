# shellcheck shell=bash
# One deploy/rollback at a time per environment: flock on <env>/.lock (never deleted),
# and the holder recorded in <env>/lock.holder so a refused run can name it.

# try_lock <release> <what>: hold the lock on fd 9 for the rest of this process, or
# return 1 with LOCK_REFUSAL naming the holder.
try_lock() {
  LOCK_REFUSAL=""
  # A lock file this user cannot open (another environment's user owns it, or it is not a
  # file) is a refusal that says so, not an unset LOCK_REFUSAL.
  if ! : 2>/dev/null >>"$ENV_DIR/.lock"; then
    LOCK_REFUSAL="$ENV_NAME's lock $ENV_DIR/.lock cannot be opened by $(id -un) (owner: $(stat -c %U -- "$ENV_DIR/.lock" 2>/dev/null || echo none)); run berth as the user that owns $ENV_DIR"
    return 1
  fi
  exec 9>>"$ENV_DIR/.lock"
  if ! flock -w "${BERTH_LOCK_WAIT:-0}" 9; then
    # The holder writes lock.holder just after its flock succeeds: give it a moment.
    local holder="unknown holder" tries=0
    while [ ! -s "$ENV_DIR/lock.holder" ] && [ "$tries" -lt 30 ]; do
      sleep 0.1
      tries=$((tries + 1))
    done
    [ -s "$ENV_DIR/lock.holder" ] && holder=$(jq -r '"\(.what) of \(.release) by \(.actor) (run \(.runId), \(if (.runUrl // "") == "" then "no run URL" else .runUrl end), pid \(.pid), since \(.started))"' "$ENV_DIR/lock.holder" 2>/dev/null || cat "$ENV_DIR/lock.holder")
    LOCK_REFUSAL="$ENV_NAME is locked by $holder; wait for it to finish (or set BERTH_LOCK_WAIT seconds)"
    exec 9>&-
    return 1
  fi
  write_atomic "$ENV_DIR/lock.holder" "$(jq -cn --arg release "$1" --arg what "$2" --arg actor "${BERTH_ACTOR:-$(id -un)}" \
    --arg runUrl "${BERTH_RUN_URL:-}" --arg runId "${BERTH_RUN_ID:-}" --arg started "$(now_iso)" --argjson pid "$$" \
    '{what: $what, release: $release, actor: $actor, runUrl: $runUrl, runId: $runId, started: $started, pid: $pid}')" || {
    LOCK_REFUSAL="could not record the lock holder in $ENV_DIR/lock.holder (disk full, or not writable by $(id -un))"
    exec 9>&-
    return 1
  }
}

# take_lock <release> <what>: try_lock, or refuse with the holder named.
take_lock() { try_lock "$@" || fail "$EXIT_REFUSED" "$LOCK_REFUSAL"; }

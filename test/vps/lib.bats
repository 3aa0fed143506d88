#!/usr/bin/env bats
# The VPS scripts' libraries, on their own (no lab needed): input validation, SQLite
# backup and restore, and the environment lock. Run by `npm test` (bats test/vps).

bats_require_minimum_version 1.5.0

setup() {
  # shellcheck source=helpers.bash
  . "$BATS_TEST_DIRNAME/helpers.bash"
  runbook_env
  DB="$BATS_TEST_TMPDIR/app.db"
}

teardown() {
  # A reader a test left holding a snapshot.
  if [ -n "${READER_PID:-}" ]; then kill "$READER_PID" 2>/dev/null || true; fi
  touch "$BATS_TEST_TMPDIR/reader-done"
}

# start_reader: a sqlite3 holding a read transaction on $DB (READER_PID) until it is
# killed. Its input ends when reader-done exists (at most 60 s): with a bare `sleep 60`
# there, `wait` on the killed reader waited out the whole minute.
start_reader() {
  {
    echo "BEGIN; SELECT count(*) FROM notes;"
    for _ in $(seq 1 600); do
      [ -e "$BATS_TEST_TMPDIR/reader-done" ] && break
      sleep 0.1
    done
  } | sqlite3 "$DB" >/dev/null &
  READER_PID=$!
  sleep 0.5
}

count() { sqlite3 -readonly "$1" "SELECT count(*) FROM notes"; }
# refuses <command…>: the command must fail (bash's errexit ignores `! command`).
refuses() {
  if "$@"; then
    echo "expected a refusal: $*"
    return 1
  fi
}

# A WAL database with 10 rows, the app's way.
make_db() {
  sqlite3 "$DB" "PRAGMA journal_mode=WAL; CREATE TABLE notes(id INTEGER PRIMARY KEY, text TEXT);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) INSERT INTO notes(text) SELECT 'row ' || i FROM n;" >/dev/null
}

@test "validators accept what berth writes and refuse the rest" {
  valid_env staging
  valid_env prod-2
  refuses valid_env Staging
  refuses valid_env "staging;id"
  refuses valid_env ""
  # The server root's own directories are no environment's.
  for name in bin commands env helper lib nginx; do refuses valid_env "$name"; done
  valid_env nginx-2
  valid_sha 0123456789abcdef0123456789abcdef01234567
  refuses valid_sha 0123456789ABCDEF0123456789abcdef01234567
  refuses valid_sha 0123456
  valid_run_id 4242-1
  refuses valid_run_id "../x"
  refuses valid_run_id "a b"
  refuses valid_actor "dependabot[bot] "
  valid_actor octo-cat
  valid_actor ops@example.org
  # shellcheck disable=SC2016 # a literal $(id): the validator must refuse it
  refuses valid_actor 'a$(id)'
  valid_run_url "https://github.com/o/r/actions/runs/1?a=1&b=2;c"
  refuses valid_run_url "https://x/\$(id)"
  refuses valid_run_url "https://x/a b"
  refuses valid_run_url "ftp://x/"
  valid_path /srv/app/data/app.db
  refuses valid_path /srv/app/../etc/passwd
  refuses valid_path relative/path
  refuses valid_path "/srv/a'b"
}

@test "a backup of a stopped database is a checked copy of it, renamed into place" {
  make_db
  sqlite_backup_stopped "$DB" "$BATS_TEST_TMPDIR/backup.db"
  [ "$(count "$BATS_TEST_TMPDIR/backup.db")" = 10 ]
  [ "$(sqlite3 "$BATS_TEST_TMPDIR/backup.db" 'PRAGMA integrity_check')" = ok ]
  [ ! -e "$BATS_TEST_TMPDIR/backup.db.partial" ]
}

@test "a lingering reader blocks the checkpoint: the backup still holds every committed row" {
  make_db
  # A reader holding a snapshot taken at 10 rows (an admin's sqlite3 shell, a cron job).
  start_reader
  # Five more commits: the open snapshot keeps them out of the main file, in -wal only.
  sqlite3 "$DB" "INSERT INTO notes(text) VALUES ('a'), ('b'), ('c'), ('d'), ('e');"
  [ -s "$DB-wal" ]
  cp "$DB" "$BATS_TEST_TMPDIR/bare-copy.db"
  [ "$(count "$BATS_TEST_TMPDIR/bare-copy.db")" = 10 ] # what a bare cp would have kept

  SQLITE_BUSY_MS=300 run sqlite_backup_stopped "$DB" "$BATS_TEST_TMPDIR/backup.db"
  [ "$status" -eq 0 ]
  [[ $output == *"could not be checkpointed"*"VACUUM INTO"* ]]
  [ "$(count "$BATS_TEST_TMPDIR/backup.db")" = 15 ]
  [ "$(sqlite3 "$BATS_TEST_TMPDIR/backup.db" 'PRAGMA integrity_check')" = ok ]
}

@test "a restore removes a stale -wal, which would otherwise be replayed over the restored file" {
  make_db
  sqlite_backup_stopped "$DB" "$BATS_TEST_TMPDIR/backup.db"
  # Leave committed rows in -wal, as a crashed writer would.
  start_reader
  sqlite3 "$DB" "INSERT INTO notes(text) VALUES ('later');"
  # Killed as a crash would kill it; then its input ends (`wait` on a pipeline's pid
  # waits for the whole pipeline, the input loop included).
  kill "$READER_PID"
  touch "$BATS_TEST_TMPDIR/reader-done"
  wait "$READER_PID" 2>/dev/null || true
  READER_PID=""
  [ -s "$DB-wal" ]
  sqlite_restore "$BATS_TEST_TMPDIR/backup.db" "$DB"
  [ ! -e "$DB-wal" ]
  [ "$(count "$DB")" = 10 ]
  cmp -s "$DB" "$BATS_TEST_TMPDIR/backup.db"
}

@test "a damaged file is never restored" {
  make_db
  head -c 20000 /dev/urandom >"$BATS_TEST_TMPDIR/damaged.db"
  run sqlite_restore "$BATS_TEST_TMPDIR/damaged.db" "$DB"
  [ "$status" -ne 0 ]
  [ "$(count "$DB")" = 10 ]
}

@test "the lock names its holder, also one that records itself just after taking it" {
  # Another run holds the lock and writes lock.holder 0.5 s later.
  flock "$ENV_DIR/.lock" sleep 5 &
  holder_pid=$!
  sleep 0.2
  (sleep 0.5 && printf '%s\n' '{"what":"deploy","release":"abc","actor":"someone","runId":"7","runUrl":"","pid":1,"started":"now"}' >"$ENV_DIR/lock.holder") &
  refuses try_lock def deploy
  [[ $LOCK_REFUSAL == "staging is locked by deploy of abc by someone (run 7, no run URL, pid 1, since now);"* ]]
  kill "$holder_pid" 2>/dev/null || true
  wait 2>/dev/null || true
}

@test "a lock held with no holder recorded is refused as held by an unknown holder" {
  flock "$ENV_DIR/.lock" sleep 6 &
  holder_pid=$!
  sleep 0.2
  refuses try_lock def deploy
  [[ $LOCK_REFUSAL == "staging is locked by unknown holder;"* ]]
  kill "$holder_pid" 2>/dev/null || true
  wait 2>/dev/null || true
}

@test "a free lock is taken and its holder recorded" {
  rm -f "$ENV_DIR/lock.holder"
  BERTH_ACTOR=tester try_lock 0123456789abcdef0123456789abcdef01234567 rollback
  [ "$(jq -r '.what + " " + .actor' "$ENV_DIR/lock.holder")" = "rollback tester" ]
  # Held by this shell: another process is refused at once.
  refuses flock -n "$ENV_DIR/.lock" true
}

@test "a lock this user cannot open is a refusal that names it, never an unset LOCK_REFUSAL" {
  # Not a file (root can open any file it may not own: a directory stands for "cannot").
  rm -f "$ENV_DIR/.lock"
  mkdir "$ENV_DIR/.lock"
  LOCK_REFUSAL=stale
  refuses try_lock 0123456789abcdef0123456789abcdef01234567 deploy
  [[ $LOCK_REFUSAL == "staging's lock $ENV_DIR/.lock cannot be opened by $(id -un) "* ]]
  [ ! -e "$ENV_DIR/lock.holder" ]
  rmdir "$ENV_DIR/.lock"
}

@test "maintenance on|status|off --json: the flag's state as one JSON object, the log on stderr" {
  berth() { bash "$BERTH_SCRIPTS/bin/berth" "$@"; }
  run --separate-stderr berth maintenance on staging --json
  [ "$status" -eq 0 ]
  [ "$(jq -r '"\(.env) \(.maintenance) \(.release)"' <<<"$output")" = "staging true manual" ]
  # shellcheck disable=SC2154 # run --separate-stderr sets it
  [[ $stderr == *"maintenance page ON"* ]]
  [ -f "$ENV_DIR/maintenance/MAINTENANCE_ON" ]
  run --separate-stderr berth maintenance status staging --json
  [ "$(jq -r .maintenance <<<"$output")" = true ]
  run --separate-stderr berth maintenance off staging --json
  [ "$output" = '{"env":"staging","maintenance":false}' ]
  [ ! -e "$ENV_DIR/maintenance/MAINTENANCE_ON" ]
  run berth maintenance status staging
  [ "$output" = off ]
  run berth maintenance status staging --yaml
  [ "$status" -eq 2 ]
  [[ $output == *"unknown argument --yaml (nothing was done); usage: berth maintenance on|off|status <env> [--json]"* ]]
}

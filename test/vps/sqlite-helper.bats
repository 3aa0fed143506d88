#!/usr/bin/env bats
# The SQLite helper's inside (vps-scripts/helper/inside.sh), run here as the helper
# container runs it — as root, with a "volume" whose files another uid owns — but
# without docker: the owner's side really runs as that uid (setpriv), and the backup
# really ends up the deploy user's. (The container around it is exercised by the lab:
# test/e2e/named-volume.test.ts.)

bats_require_minimum_version 1.5.0

setup() {
  [ "$(id -u)" -eq 0 ] || skip "the helper starts as root and becomes the database's owner: run as root"
  command -v setpriv >/dev/null || skip "setpriv (util-linux) is missing"
  # Readable by the other uids (bats' own temp dir is private to root, the checkout may be).
  ROOT=$(mktemp -d /tmp/berth-helper-XXXXXX)
  chmod 0755 "$ROOT"
  cp -R "$BATS_TEST_DIRNAME/../../vps-scripts" "$ROOT/scripts"
  chmod -R a+rX "$ROOT/scripts"
  VOL="$ROOT/v"
  SCR="$ROOT/x"
  mkdir -p "$VOL/db" "$SCR"
  # The app's uid owns the volume's files; the deploy user is another uid (bin, 2).
  chown -R nobody:nogroup "$VOL"
  chmod 0700 "$SCR"
  DEPLOY=2:2
  DB="$VOL/db/production.sqlite3"
  as_app() { runuser -u nobody -- "$@"; }
  as_app sqlite3 "$DB" "PRAGMA journal_mode=WAL; CREATE TABLE t(v TEXT); INSERT INTO t VALUES ('v1');" >/dev/null
}

teardown() { [ -z "${ROOT:-}" ] || rm -rf -- "$ROOT"; }

inside() {
  BERTH_SCRIPTS="$ROOT/scripts" HELPER_VOLUME="$VOL" HELPER_SCRATCH="$SCR" bash "$ROOT/scripts/helper/inside.sh" "$@"
}
rows() { sqlite3 -readonly "$1" "SELECT group_concat(v) FROM t"; }

@test "probe: present with size and owner; absent with the owner of the directory; a link named" {
  run -0 inside probe db/production.sqlite3
  [ "$output" = "$(printf 'present\tdb/production.sqlite3\t%s\t65534:65534' "$(stat -c %s "$DB")")" ]
  run -0 inside probe db/queue.sqlite3
  [ "$output" = "$(printf 'absent\tdb/queue.sqlite3\t0\t65534:65534')" ]
  ln -s /etc/passwd "$DB-wal"
  run -0 inside probe db/production.sqlite3
  [[ $output == "link"$'\t'"db/production.sqlite3-wal"* ]]
}

@test "backup: the owner checkpoints and copies, the copy is the deploy user's, 0600, and complete" {
  # A committed row only in the WAL (a connection holds it open, no checkpoint yet).
  as_app sqlite3 "$DB" "PRAGMA wal_autocheckpoint=0; INSERT INTO t VALUES ('v2');"
  run -0 inside backup stopped db/production.sqlite3 "$DEPLOY"
  [ "$(stat -c '%u:%g %a' "$SCR/db")" = "2:2 600" ]
  [ "$(stat -c '%u:%g %a' "$SCR")" = "2:2 700" ]
  [ "$(rows "$SCR/db")" = "v1,v2" ]
  # Whatever the owner's sqlite3 created in the volume is still the owner's.
  [ -z "$(find "$VOL" ! -user nobody)" ]
  run -0 inside backup online db/production.sqlite3 "$DEPLOY"
  [ "$(rows "$SCR/db")" = "v1,v2" ]
}

@test "restore: the backup comes on stdin, the owner writes it exclusively, stale -wal/-shm go, mode kept" {
  sqlite3 "$ROOT/backup.db" "CREATE TABLE t(v TEXT); INSERT INTO t VALUES ('from-backup');"
  chmod 600 "$ROOT/backup.db" # the deploy user's, unreadable by the owner: root opens it
  chmod 640 "$DB"
  as_app sqlite3 "$DB" "PRAGMA wal_autocheckpoint=0; INSERT INTO t VALUES ('stale');"
  as_app touch "$DB-wal" "$DB-shm"
  run -0 inside restore db/production.sqlite3 <"$ROOT/backup.db"
  [ "$(rows "$DB")" = from-backup ]
  [ "$(stat -c '%U %a' "$DB")" = "nobody 640" ]
  [ ! -e "$DB-wal" ] && [ ! -e "$DB-shm" ]
  # A database that is not there yet is created as the directory's owner, 0644.
  run -0 inside restore db/new.sqlite3 <"$ROOT/backup.db"
  [ "$(stat -c '%U %a' "$VOL/db/new.sqlite3")" = "nobody 644" ]
}

@test "links are refused, never followed: the database, its -wal, a directory on the way" {
  sqlite3 "$ROOT/backup.db" "CREATE TABLE t(v TEXT);"
  ln -s /etc "$VOL/etc"
  run -2 inside restore etc/passwd <"$ROOT/backup.db"
  [[ $output == *"passes through, a symbolic link"* ]]
  rm -f "$DB-wal"
  ln -s /root/.bashrc "$DB-wal"
  run -1 inside backup stopped db/production.sqlite3 "$DEPLOY"
  [[ $output == *"db/production.sqlite3-wal is a symbolic link"* ]]
  [ -z "$(ls -A "$SCR")" ]
  [ "$(stat -c '%u:%g' "$SCR")" = 2:2 ] # handed back even when the owner's side failed
  run -1 inside restore db/production.sqlite3 <"$ROOT/backup.db"
  [ "$(readlink "$DB-wal")" = /root/.bashrc ]
  for bad in ../x.db /etc/passwd 'a b.db'; do
    run -2 inside probe "$bad"
    [[ $output == *"is not a path inside the volume"* ]]
  done
}

@test "remove and schema-version run as the owner" {
  run -0 inside schema-version db/production.sqlite3
  [ "$output" -ge 1 ]
  run -0 inside schema-version db/none.sqlite3
  [ "$output" = 0 ]
  run -0 inside remove db/production.sqlite3
  [ ! -e "$DB" ] && [ ! -e "$DB-wal" ]
}

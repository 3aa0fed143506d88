#!/usr/bin/env bats
# `berth backup <env> --offsite` (commands/backup.sh, lib/offsite.sh) against a real
# restic repository on the local filesystem: what a snapshot holds, retention, the
# secrets kept out of every output, and refusals that name the fix. The lab's e2e test
# (test/e2e/offsite.test.ts) does the same over sftp, then drills and recovers.

bats_require_minimum_version 1.5.0

SHA=0123456789abcdef0123456789abcdef01234567
PREV=89abcdef0123456789abcdef0123456789abcdef

setup() {
  command -v restic >/dev/null || skip "restic is not installed (apt-get install restic)"
  export BERTH_SCRIPTS="$BATS_TEST_DIRNAME/../../vps-scripts"
  export BERTH_ROOT="$BATS_TEST_TMPDIR/root"
  export XDG_CACHE_HOME="$BATS_TEST_TMPDIR/cache"
  ENV_DIR="$BERTH_ROOT/staging"
  REPO="$BATS_TEST_TMPDIR/repo"
  PASSWORD="s3cret-$RANDOM-never-printed"
  mkdir -p "$ENV_DIR/data" "$BERTH_ROOT/env"
  DB="$ENV_DIR/data/app.db"
  sqlite3 "$DB" "PRAGMA journal_mode=WAL; CREATE TABLE notes(id INTEGER PRIMARY KEY, text TEXT);
    CREATE TABLE \"odd \"\"name\"(x); INSERT INTO notes(text) VALUES ('one'), ('two'), ('three');
    INSERT INTO \"odd \"\"name\" VALUES (1);" >/dev/null
  printf 'APP_SECRET=app-secret-value\nDATA_DIR=%s\n' "$ENV_DIR/data" >"$BERTH_ROOT/env/staging.env"
  printf '# restic\nexport RESTIC_PASSWORD="%s"\n' "$PASSWORD" >"$BERTH_ROOT/env/offsite.env"
  release "$SHA" "$REPO" 7
  release "$PREV" "$REPO" 7
  echo "$SHA" >"$ENV_DIR/current_release"
  echo "$PREV" >"$ENV_DIR/previous_release"
  printf '%s\n' "{\"kind\":\"deploy\",\"sha\":\"$PREV\",\"result\":\"succeeded\"}" "{\"kind\":\"deploy\",\"sha\":\"$SHA\",\"result\":\"succeeded\"}" >"$ENV_DIR/releases.log"
}

# release <sha> <repository> <keep daily>: a bundle whose release.json configures offsite.
release() {
  mkdir -p "$ENV_DIR/releases/$1"
  jq -n --arg sha "$1" --arg db "$DB" --arg repo "$2" --arg envFile "$BERTH_ROOT/env/staging.env" --argjson daily "$3" \
    '{schema: 1, app: "shop", environment: "staging", sha: $sha, envFile: $envFile, databases: [$db],
      images: {web: {repo: "r/web", digest: "sha256:\("0" * 64)", ref: "r/web:\($sha)@sha256:\("0" * 64)"}},
      offsite: {repository: $repo, envFile: "", keep: {daily: $daily, weekly: 0, monthly: 0}, maxAgeHours: 26}}' \
    >"$ENV_DIR/releases/$1/release.json"
}

berth() { bash "$BERTH_SCRIPTS/bin/berth" "$@"; }
restic_repo() { RESTIC_PASSWORD=$PASSWORD restic --repo "$REPO" "$@"; }

@test "backup --offsite sends the database set, ledger, pointers and bundles; restic check passes; no secret is printed" {
  run --separate-stderr berth backup staging --offsite --json
  [ "$status" -eq 0 ]
  result=$output
  # shellcheck disable=SC2154 # run --separate-stderr sets it
  [[ $output != *"$PASSWORD"* && $stderr != *"$PASSWORD"* ]]
  [[ $output != *app-secret-value* && $stderr != *app-secret-value* ]]
  jq -e --arg sha "$SHA" '.result == "succeeded" and .release == $sha and (.snapshot | test("^[0-9a-f]{64}$"))
    and .databases[0].rows == {notes: 3, "odd \"name": 1} and .added > 0' <<<"$output"
  restic_repo check
  # What the snapshot holds, restored where a drill would.
  restic_repo restore latest --tag app:shop,env:staging --target "$BATS_TEST_TMPDIR/out" >/dev/null
  out="$BATS_TEST_TMPDIR/out"
  [ "$(sqlite3 "$out/databases/0.db" 'SELECT count(*) FROM notes')" = 3 ]
  [ "$(cat "$out/current_release")" = "$SHA" ] && [ "$(cat "$out/previous_release")" = "$PREV" ]
  cmp "$out/releases.log" "$ENV_DIR/releases.log"
  [ -f "$out/releases/$SHA/release.json" ] && [ -f "$out/releases/$PREV/release.json" ]
  jq -e --arg db "$DB" '.env == "staging" and .databases[0].path == $db
    and .envFiles[0].keys == ["APP_SECRET", "DATA_DIR"]' "$out/berth-offsite.json"
  run ! grep -rq -e app-secret-value -e "$PASSWORD" "$out"
  # The same set stays on the server, and offsite.log says what `berth status` shows.
  local_copy=$(jq -r .local <<<"$result")
  [ "$(sqlite3 "$local_copy" 'SELECT count(*) FROM notes')" = 3 ]
  [ "$(stat -c %a "$local_copy")" = 600 ]
  [ "$(jq -sc 'map(.result)' "$ENV_DIR/offsite.log")" = '["succeeded"]' ]
  [ ! -e "$ENV_DIR/offsite/stage" ] && [ ! -e "$ENV_DIR/lock.holder" ]
}

@test "retention: restic forget --prune keeps offsite.keep of this environment's snapshots only" {
  release "$SHA" "$REPO" 1
  # Another environment's snapshot in the same repository is never forgotten by staging's.
  mkdir -p "$BATS_TEST_TMPDIR/other" && echo x >"$BATS_TEST_TMPDIR/other/f"
  berth backup staging --offsite >/dev/null
  (cd "$BATS_TEST_TMPDIR/other" && restic_repo backup --tag berth --tag app:shop,env:production . >/dev/null)
  sqlite3 "$DB" "INSERT INTO notes(text) VALUES ('four')"
  run --separate-stderr berth backup staging --offsite --json
  [ "$status" -eq 0 ]
  jq -e '.forget == {kept: 1, removed: 1} and .databases[0].rows.notes == 4' <<<"$output"
  [ "$(restic_repo snapshots --json --tag app:shop,env:staging | jq length)" = 1 ]
  [ "$(restic_repo snapshots --json --tag app:shop,env:production | jq length)" = 1 ]
  restic_repo check
}

@test "refusals name the fix and change nothing: no offsite:, no password, a bad repository" {
  jq 'del(.offsite)' "$ENV_DIR/releases/$SHA/release.json" >"$BATS_TEST_TMPDIR/r" && mv "$BATS_TEST_TMPDIR/r" "$ENV_DIR/releases/$SHA/release.json"
  run berth backup staging --offsite
  [ "$status" -eq 2 ]
  [[ $output == *"offsite backups are not configured for staging: add an offsite: block to berth.yml"* ]]

  release "$SHA" "$REPO" 7
  printf 'AWS_ACCESS_KEY_ID=x\n' >"$BERTH_ROOT/env/offsite.env"
  run berth backup staging --offsite
  [ "$status" -eq 2 ]
  [[ $output == *"offsite.env sets no RESTIC_PASSWORD; add RESTIC_PASSWORD="* ]]

  release "$SHA" 'sftp:host:/x;touch /tmp/pwned' 7
  run berth backup staging --offsite
  [ "$status" -eq 2 ]
  [[ $output == *"is not a restic repository berth accepts"*"fix berth.yml's offsite.repository"* ]]
  [ ! -e "$REPO" ] && [ ! -e "$ENV_DIR/offsite.log" ]
}

@test "a wrong password on an existing repository: fails, records why, never creates a second repository" {
  berth backup staging --offsite >/dev/null
  printf 'RESTIC_PASSWORD=wrong-one\n' >"$BERTH_ROOT/env/offsite.env"
  run berth backup staging --offsite
  [ "$status" -eq 1 ]
  [[ $output == *"restic could neither open nor create the repository $REPO"* ]]
  [[ $output != *wrong-one* ]]
  [ "$(jq -sc 'map(.result)' "$ENV_DIR/offsite.log")" = '["succeeded","failed"]' ]
  restic_repo check
}

@test "berth status: the last offsite backup, its age and size; exit 6 when older than offsite.max_age_hours" {
  berth backup staging --offsite >/dev/null
  run --separate-stderr berth status staging --json
  [ "$status" -eq 0 ]
  jq -e '.offsite.stale == false and .offsite.ageHours == 0 and .offsite.maxAgeHours == 26
    and (.offsite.last.snapshot | test("^[0-9a-f]{64}$")) and .offsite.last.bytes > 0' <<<"$output"
  # The last successful copy is 30 hours old: a monitor gets 6, the text says STALE.
  old=$(date -u -d '30 hours ago' +%Y-%m-%dT%H:%M:%S.000Z)
  jq -c --arg t "$old" '.time = $t' "$ENV_DIR/offsite.log" >"$BATS_TEST_TMPDIR/l" && mv "$BATS_TEST_TMPDIR/l" "$ENV_DIR/offsite.log"
  run berth status staging
  [ "$status" -eq 6 ]
  [[ $output == *"offsite      $old snapshot "*", 30 h ago — STALE (max 26 h)"* ]]
  # A failed attempt since then is shown with its reason; still 6.
  echo '{"time":"2026-01-01T00:00:00.000Z","result":"failed","reason":"restic backup failed"}' >>"$ENV_DIR/offsite.log"
  run berth status staging
  [ "$status" -eq 6 ]
  [[ $output == *"last attempt FAILED at 2026-01-01T00:00:00.000Z: restic backup failed"* ]]
}

@test "berth status: never backed up offsite counts from the first deploy; no offsite: configured, never 6" {
  printf '{"time":"%s","kind":"deploy","sha":"%s","result":"succeeded"}\n' "$(date -u -d '2 hours ago' +%Y-%m-%dT%H:%M:%S.000Z)" "$SHA" >"$ENV_DIR/releases.log"
  run berth status staging --json
  [ "$status" -eq 0 ]
  jq -e '.offsite.last == null and .offsite.stale == false' <<<"$output"
  printf '{"time":"%s","kind":"deploy","sha":"%s","result":"succeeded"}\n' "$(date -u -d '3 days ago' +%Y-%m-%dT%H:%M:%S.000Z)" "$SHA" >"$ENV_DIR/releases.log"
  run berth status staging
  [ "$status" -eq 6 ]
  [[ $output == *"offsite      no successful backup yet to $REPO — STALE (over 26 h since the first deploy)"* ]]
  jq 'del(.offsite)' "$ENV_DIR/releases/$SHA/release.json" >"$BATS_TEST_TMPDIR/r" && mv "$BATS_TEST_TMPDIR/r" "$ENV_DIR/releases/$SHA/release.json"
  run berth status staging --json
  [ "$status" -eq 0 ]
  jq -e '.offsite == null' <<<"$output"
}

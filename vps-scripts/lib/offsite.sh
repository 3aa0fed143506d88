# shellcheck shell=bash
# Offsite copies with restic (docs/ops/offsite.md, docs/design.md §2): what a snapshot
# holds, the repository and its secrets, and restoring and verifying the latest one.
#
# A snapshot is one directory, sent with `restic backup .` from inside it (so it restores
# to its own top level), tagged `berth`, `app:<app>` and `env:<env>`:
#   berth-offsite.json      format, app, env, host, time, release pointers, each database's
#                           original path, file, bytes, sha256 and per-table row counts,
#                           and the env files' names and the variable NAMES they set
#   databases/<i>.db        the database set, member <i> as release.json lists them
#                           (an online, consistent copy: VACUUM INTO, quick_check)
#   releases.log            the ledger
#   current_release, previous_release
#   releases/<sha>/         the current and previous release bundles (release.json, the
#                           compose file, scripts): what `berth recover` starts again
# Never an env file's values: the secrets stay in the user's own store.
#
# The repository and retention come from release.json's .offsite (berth.yml offsite:);
# RESTIC_PASSWORD and the backend's credentials from the offsite env file (default
# <root>/env/offsite.env, never the app's env file, which containers read). They reach
# restic only (a subshell exports them), never argv, a log or the ledger.

# The names restic and its backends read from the environment; nothing else is taken
# from the offsite env file.
OFFSITE_SECRET_NAMES=(RESTIC_PASSWORD AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_DEFAULT_REGION AWS_SESSION_TOKEN
  B2_ACCOUNT_ID B2_ACCOUNT_KEY AZURE_ACCOUNT_NAME AZURE_ACCOUNT_KEY GOOGLE_PROJECT_ID GOOGLE_APPLICATION_CREDENTIALS
  RESTIC_REST_USERNAME RESTIC_REST_PASSWORD OS_AUTH_URL OS_USERNAME OS_PASSWORD OS_PROJECT_NAME OS_REGION_NAME
  OS_USER_DOMAIN_NAME OS_PROJECT_DOMAIN_NAME)
OFFSITE_SECRETS=()
OFFSITE_MANIFEST=berth-offsite.json

# valid_restic_repository <repo>: the same rule as berth.yml's offsite.repository
# (src/config/fields.ts): a backend prefix or an absolute path, no password in a URL.
valid_restic_repository() {
  [[ $1 =~ ^((sftp|s3|b2|rest|azure|gs|swift):[A-Za-z0-9_.:/@+~%-]+|/[A-Za-z0-9_./-]+)$ ]] &&
    [[ ! $1 =~ ://[^/@]*:[^/@]*@ ]] && [[ ! $1 =~ (^|/)\.\.(/|$) ]] && [ ${#1} -le 512 ]
}

# offsite_config <bundle> [<repository override>]: OFFSITE_REPO, OFFSITE_ENV_FILE,
# OFFSITE_KEEP_{DAILY,WEEKLY,MONTHLY}, OFFSITE_MAX_AGE_HOURS, OFFSITE_SCHEDULE from
# release.json; returns 1 (and says nothing) when berth.yml configures no offsite: block.
# shellcheck disable=SC2034 # OFFSITE_SCHEDULE and OFFSITE_MAX_AGE_HOURS are read by the commands
offsite_config() {
  local bundle=$1 o
  o=$(jq -c '.offsite // empty' "$bundle/release.json" 2>/dev/null) || return 1
  [ -n "$o" ] || return 1
  OFFSITE_REPO=${2:-$(jq -r .repository <<<"$o")}
  OFFSITE_ENV_FILE=$(jq -r '.envFile // empty' <<<"$o")
  OFFSITE_KEEP_DAILY=$(jq -r '.keep.daily // 7' <<<"$o")
  OFFSITE_KEEP_WEEKLY=$(jq -r '.keep.weekly // 4' <<<"$o")
  OFFSITE_KEEP_MONTHLY=$(jq -r '.keep.monthly // 6' <<<"$o")
  OFFSITE_MAX_AGE_HOURS=$(jq -r '.maxAgeHours // 26' <<<"$o")
  OFFSITE_SCHEDULE=$(jq -r '.schedule // "*-*-* 03:15:00"' <<<"$o")
  offsite_check_config
}

# offsite_check_config: every value release.json handed over, checked again here.
offsite_check_config() {
  valid_restic_repository "$OFFSITE_REPO" ||
    fail "$EXIT_REFUSED" "offsite repository $(printf '%q' "$OFFSITE_REPO") is not a restic repository berth accepts (sftp:, s3:, b2:, rest:, azure:, gs:, swift: or an absolute path; no password in it): fix berth.yml's offsite.repository"
  [ -n "$OFFSITE_ENV_FILE" ] || OFFSITE_ENV_FILE="$BERTH_ROOT/env/offsite.env"
  valid_path "$OFFSITE_ENV_FILE" ||
    fail "$EXIT_REFUSED" "offsite env file $(printf '%q' "$OFFSITE_ENV_FILE") is not an absolute path: fix berth.yml's offsite.env_file"
  local n
  for n in "$OFFSITE_KEEP_DAILY" "$OFFSITE_KEEP_WEEKLY" "$OFFSITE_KEEP_MONTHLY" "$OFFSITE_MAX_AGE_HOURS"; do
    [[ $n =~ ^[0-9]{1,5}$ ]] || fail "$EXIT_REFUSED" "offsite retention and max_age_hours must be whole numbers, got $(printf '%q' "$n")"
  done
}

# offsite_shown <repo>: the repository as logs may show it (a URL's user:password@ hidden).
offsite_shown() { sed -E 's#(://)[^/@]*@#\1***@#' <<<"$1"; }

# offsite_secrets: read the offsite env file's restic variables into OFFSITE_SECRETS
# (NAME=value words for `export`); the file is parsed, never sourced. Refuses when the
# file or its RESTIC_PASSWORD is missing.
offsite_secrets() {
  local file=$OFFSITE_ENV_FILE line name value n have="" xtrace=""
  # BERTH_TRACE=1 (set -x) would print every line read and every assignment below.
  if [[ $- == *x* ]]; then
    xtrace=1
    set +x
  fi
  [ -r "$file" ] ||
    fail "$EXIT_REFUSED" "the offsite env file $file is missing or unreadable for $(id -un); create it (mode 600) with RESTIC_PASSWORD=… (and the backend's credentials, e.g. AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY for s3:)"
  OFFSITE_SECRETS=()
  while IFS= read -r line || [ -n "$line" ]; do
    [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?([A-Z_][A-Z0-9_]*)=(.*)$ ]] || continue
    name=${BASH_REMATCH[2]}
    value=${BASH_REMATCH[3]}
    for n in "${OFFSITE_SECRET_NAMES[@]}"; do
      [ "$n" = "$name" ] || continue
      # One pair of surrounding quotes is the file's syntax, not the value.
      if [[ $value =~ ^\"(.*)\"[[:space:]]*$ || $value =~ ^\'(.*)\'[[:space:]]*$ ]]; then value=${BASH_REMATCH[1]}; fi
      OFFSITE_SECRETS+=("$name=$value")
      [ "$name" != RESTIC_PASSWORD ] || [ -z "$value" ] || have=1
    done
  done <"$file"
  [ -z "$xtrace" ] || set -x
  [ -n "$have" ] || fail "$EXIT_REFUSED" "the offsite env file $file sets no RESTIC_PASSWORD; add RESTIC_PASSWORD=… (keep a copy outside this server: without it the offsite snapshots cannot be read)"
}

# restic_do <args…>: restic on the repository, with the secrets in its environment only,
# bounded by OFFSITE_TIMEOUT.
restic_do() {
  (
    # Not traced (BERTH_TRACE=1): the export's words are the secrets.
    if [[ $- == *x* ]]; then
      set +x
      # shellcheck disable=SC2163 # NAME=value words: export assigns each one
      [ ${#OFFSITE_SECRETS[@]} -eq 0 ] || export "${OFFSITE_SECRETS[@]}"
      set -x
    else
      # shellcheck disable=SC2163 # NAME=value words: export assigns each one
      [ ${#OFFSITE_SECRETS[@]} -eq 0 ] || export "${OFFSITE_SECRETS[@]}"
    fi
    exec timeout "${OFFSITE_TIMEOUT:-7200}" restic --repo "$OFFSITE_REPO" "$@"
  )
}

# offsite_tags: the tags that name this app's environment in a shared repository.
offsite_tags() { printf 'app:%s,env:%s' "$1" "$ENV_NAME"; }

# offsite_repo_ready: the repository exists, or is created now. `restic init` never
# overwrites a repository: with a wrong password on an existing one, both fail.
offsite_repo_ready() {
  if restic_do cat config >/dev/null 2>&1; then return 0; fi
  say "no restic repository at $(offsite_shown "$OFFSITE_REPO") that opens with this password: creating it"
  restic_do init >/dev/null || {
    OFFSITE_WHY="restic could neither open nor create the repository $(offsite_shown "$OFFSITE_REPO"): is it reachable as $(id -un) (for sftp: ssh to its host works without a prompt), and is RESTIC_PASSWORD the repository's?"
    warn "$OFFSITE_WHY"
    return 1
  }
}

# sqlite_row_counts <db>: {"table": rows, …} for every table but SQLite's own.
sqlite_row_counts() {
  local names sql
  names=$(sqlite3 -readonly -json "$1" "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\\' ORDER BY name;")
  [ -n "$names" ] || {
    printf '{}\n'
    return 0
  }
  # Identifiers quoted the SQL way ("" inside ""), one count per line in the same order.
  sql=$(jq -r '.[] | "SELECT count(*) FROM \"\(.name | gsub("\""; "\"\""))\";"' <<<"$names")
  sqlite3 -readonly "$1" "$sql" | jq -sc --argjson names "$names" '[$names, .] | transpose | map({(.[0].name): .[1]}) | add // {}'
}

# env_file_names <file…>: [{path, keys}] — which variables each file sets, never a value.
env_file_names() {
  local f
  for f in "$@"; do
    if [ -r "$f" ]; then
      sed -nE 's/^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=.*/\2/p' "$f" | sort -u |
        jq -Rsc --arg path "$f" '{path: $path, keys: (split("\n") | map(select(. != "")))}'
    else
      jq -cn --arg path "$f" '{path: $path, keys: null}'
    fi
  done | jq -sc .
}

# offsite_stage <dir> <bundle> <current> <previous> <db…>: fill <dir> (emptied first)
# with what a snapshot holds. The databases are copied online (the app keeps serving).
offsite_stage() {
  local dir=$1 bundle=$2 current=$3 previous=$4 i=0 db file dbs_json="[]" rows sum bytes sha
  shift 4
  rm -rf -- "$dir"
  private_dir "$dir"
  mkdir -m 700 "$dir/databases" "$dir/releases"
  for db in "$@"; do
    file="databases/$i.db"
    if [ -f "$db" ]; then
      sqlite_backup_online "$db" "$dir/$file"
      rows=$(sqlite_row_counts "$dir/$file")
      sum=$(sha256sum "$dir/$file" | cut -d' ' -f1)
      bytes=$(stat -c %s "$dir/$file")
      dbs_json=$(jq -c --arg path "$db" --arg file "$file" --arg sha "$sum" --argjson bytes "$bytes" --argjson rows "$rows" \
        '. + [{path: $path, file: $file, bytes: $bytes, sha256: $sha, rows: $rows}]' <<<"$dbs_json")
    else
      dbs_json=$(jq -c --arg path "$db" '. + [{path: $path, file: null}]' <<<"$dbs_json")
    fi
    i=$((i + 1))
  done
  [ ! -f "$ENV_DIR/releases.log" ] || cp -- "$ENV_DIR/releases.log" "$dir/releases.log"
  printf '%s\n' "$current" >"$dir/current_release"
  [ -z "$previous" ] || printf '%s\n' "$previous" >"$dir/previous_release"
  for sha in "$current" "$previous"; do
    if [ -z "$sha" ] || [ ! -d "$ENV_DIR/releases/$sha" ]; then continue; fi
    cp -a -- "$ENV_DIR/releases/$sha" "$dir/releases/$sha"
  done
  jq -n --arg app "$(manifest "$bundle" .app)" --arg env "$ENV_NAME" --arg host "$(hostname)" --arg time "$(now_iso)" \
    --arg current "$current" --arg previous "$previous" --argjson databases "$dbs_json" \
    --argjson envFiles "$(env_file_names "$(manifest "$bundle" .envFile)")" \
    --argjson ledgerLines "$(ledger_lines 2>/dev/null | wc -l)" \
    '{format: 1, app: $app, env: $env, host: $host, time: $time, current: $current,
      previous: (if $previous == "" then null else $previous end), databases: $databases,
      envFiles: $envFiles, ledgerLines: $ledgerLines}' >"$dir/$OFFSITE_MANIFEST"
  bytes=$(du -sb -- "$dir" | cut -f1)
  say "staged $(jq '[.databases[] | select(.file != null)] | length' "$dir/$OFFSITE_MANIFEST") database file(s), the ledger and $(find "$dir/releases" -mindepth 1 -maxdepth 1 | wc -l) release bundle(s): $bytes bytes"
}

# offsite_send <dir> <app>: back the directory up (from inside it) and print restic's
# summary (JSON: snapshot_id — the full id, data_added, total_bytes_processed, …).
offsite_send() {
  local out summary id
  out=$(cd "$1" && restic_do backup --json --tag berth --tag "$(offsite_tags "$2")" .) ||
    {
      warn "restic backup to $(offsite_shown "$OFFSITE_REPO") failed"
      return 1
    }
  summary=$(jq -c 'select(.message_type == "summary")' <<<"$out" | tail -n 1)
  [ -n "$summary" ] || {
    warn "restic backup printed no summary"
    return 1
  }
  # restic 0.14's summary has the short id: ask for the full one.
  id=$(restic_do snapshots --json "$(jq -r .snapshot_id <<<"$summary")" | jq -r '.[0].id') || return 1
  jq -c --arg id "$id" '.snapshot_id = $id' <<<"$summary"
}

# offsite_forget <app>: the retention of berth.yml, for this environment's snapshots only
# (grouped by tags, so a snapshot taken on another host — before a recovery — counts
# too); then prune what no snapshot needs any more. Prints {kept, removed}.
offsite_forget() {
  local out counts
  out=$(restic_do forget --json --tag "$(offsite_tags "$1")" --group-by tags \
    --keep-daily "$OFFSITE_KEEP_DAILY" --keep-weekly "$OFFSITE_KEEP_WEEKLY" --keep-monthly "$OFFSITE_KEEP_MONTHLY") ||
    {
      warn "restic forget failed: the snapshot is stored, older ones were not forgotten"
      return 1
    }
  counts=$(jq -c '{kept: (map(.keep // [] | length) | add // 0), removed: (map(.remove // [] | length) | add // 0)}' <<<"$out") ||
    {
      warn "restic forget printed no JSON"
      return 1
    }
  if [ "$(jq .removed <<<"$counts")" -gt 0 ]; then
    restic_do prune >/dev/null || {
      warn "restic prune failed: forgotten snapshots still take space"
      return 1
    }
  fi
  printf '%s\n' "$counts"
}

# offsite_latest <app>: the newest snapshot of this environment as {id, time, host}; 1 when none.
offsite_latest() {
  local s
  s=$(restic_do snapshots --json --tag "$(offsite_tags "$1")" --latest 1) || return 1
  jq -ec 'sort_by(.time) | last | select(. != null) | {id: .id, short: .short_id, time: .time, host: .hostname}' <<<"$s"
}

# offsite_fetch <snapshot id> <target dir>: restore it, each file's content verified.
offsite_fetch() {
  private_dir "$2"
  restic_do restore "$1" --target "$2" --verify >/dev/null || {
    warn "restic restore of snapshot $1 failed"
    return 1
  }
  [ -f "$2/$OFFSITE_MANIFEST" ] || {
    warn "snapshot $1 holds no $OFFSITE_MANIFEST: not a berth snapshot"
    return 1
  }
}

# offsite_verify <restored dir>: each database against the manifest — sha256, PRAGMA
# integrity_check, and row counts per table. Prints [{path, file, bytes, sha256Match,
# integrity, rows, rowsMatch}]; returns 1 when any check fails.
offsite_verify() {
  local dir=$1 n i path file want_sha want_rows got_sha rows integrity ok=0 out="[]"
  n=$(jq '.databases | length' "$dir/$OFFSITE_MANIFEST")
  for ((i = 0; i < n; i++)); do
    path=$(jq -r --argjson i "$i" '.databases[$i].path' "$dir/$OFFSITE_MANIFEST")
    file=$(jq -r --argjson i "$i" '.databases[$i].file // empty' "$dir/$OFFSITE_MANIFEST")
    if [ -z "$file" ]; then
      out=$(jq -c --arg path "$path" '. + [{path: $path, file: null}]' <<<"$out")
      continue
    fi
    [[ $file =~ ^databases/[0-9]+\.db$ ]] || {
      warn "the manifest names $(printf '%q' "$file"), not databases/<n>.db"
      return 1
    }
    want_sha=$(jq -r --argjson i "$i" '.databases[$i].sha256' "$dir/$OFFSITE_MANIFEST")
    want_rows=$(jq -c --argjson i "$i" '.databases[$i].rows' "$dir/$OFFSITE_MANIFEST")
    got_sha=$(sha256sum "$dir/$file" | cut -d' ' -f1)
    integrity=ok
    sqlite_check "$dir/$file" integrity_check || integrity=failed
    rows=$(sqlite_row_counts "$dir/$file" 2>/dev/null) || rows=null
    out=$(jq -c --arg path "$path" --arg file "$file" --argjson bytes "$(stat -c %s "$dir/$file")" \
      --argjson shaOk "$([ "$got_sha" = "$want_sha" ] && echo true || echo false)" --arg integrity "$integrity" \
      --argjson rows "$rows" --argjson want "$want_rows" \
      '. + [{path: $path, file: $file, bytes: $bytes, sha256Match: $shaOk, integrity: $integrity, rows: $rows, rowsMatch: ($rows == $want)}]' <<<"$out")
    if [ "$got_sha" != "$want_sha" ]; then
      warn "$file: sha256 $got_sha, the snapshot's manifest says $want_sha"
      ok=1
    fi
    [ "$integrity" = ok ] || ok=1
    if [ "$rows" != "$want_rows" ]; then
      warn "$file: row counts $rows, the manifest says $want_rows"
      ok=1
    fi
  done
  printf '%s\n' "$out"
  return "$ok"
}

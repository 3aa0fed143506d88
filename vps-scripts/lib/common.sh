# shellcheck shell=bash
# Shared by every command: exit codes, logging, validation, paths, JSON helpers.
# shellcheck source=lib/exit-codes.sh
. "$BERTH_SCRIPTS/lib/exit-codes.sh"

PHASE=${PHASE:-berth}

now_iso() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
# Microseconds since the epoch, from bash's own clock (no fork).
now_us() {
  local t=${EPOCHREALTIME/./}
  printf '%s' "$t"
}
# seconds_since <us>: elapsed seconds with two decimals.
seconds_since() {
  local d=$(($(now_us) - $1))
  printf '%d.%02d' $((d / 1000000)) $((d % 1000000 / 10000))
}

# Human log lines: `<time> [<phase>] message`, on stdout (a detached run's log file).
# Logging never fails: a log that cannot be written (a full disk) must not stop a run
# under errexit, least of all its recovery.
say() { printf '%s [%s] %s\n' "$(now_iso)" "$PHASE" "$*" 2>/dev/null || true; }
warn() { printf '%s [%s] WARNING: %s\n' "$(now_iso)" "$PHASE" "$*" 2>/dev/null || true; }
# fail <code> <message>: log and exit with <code>, even when the log cannot be written.
fail() {
  local code=$1
  shift
  printf '%s [%s] ERROR: %s\n' "$(now_iso)" "$PHASE" "$*" 2>/dev/null || true
  exit "$code"
}
# json_output: `--json` was given: the result goes to stdout as one JSON object (see
# json_result); everything else, the log and the action's markers, goes to stderr.
JSON_OUT=""
json_output() {
  JSON_OUT=1
  exec 3>&1 1>&2
}
# json_result <json>: print the result object when --json was given.
json_result() { if [ -n "$JSON_OUT" ]; then jq -c . <<<"$1" >&3 || true; fi; }
# Marker lines for the action: `@@berth {json}`. Like the log, never fails.
marker() { printf '@@berth %s\n' "$(jq -cn "$@")" 2>/dev/null || true; }

# The server root's own directories: no environment may take one of their names
# (src/config/fields.ts RESERVED_ENVIRONMENT_NAMES, kept equal by test/unit/config.test.ts).
RESERVED_ENVS=" bin commands env helper lib nginx "
valid_env() { [[ $1 =~ ^[a-z][a-z0-9-]{0,31}$ && $RESERVED_ENVS != *" $1 "* ]]; }
valid_sha() { [[ $1 =~ ^[0-9a-f]{40}$ ]]; }
valid_run_id() { [[ $1 =~ ^[A-Za-z0-9._-]{1,64}$ ]]; }
valid_actor() { [[ $1 =~ ^[A-Za-z0-9._@-]{1,64}$ ]]; }
valid_run_url() { [[ $1 =~ ^https?://[A-Za-z0-9._~:/?#@!\&+,\;=%-]{1,400}$ ]]; }
valid_file_name() { [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$ ]]; }
valid_path() { [[ $1 =~ ^/[A-Za-z0-9_./-]*$ && ! $1 =~ (^|/)\.\.(/|$) ]]; }

need_env() {
  [ -n "${1:-}" ] || fail "$EXIT_ERROR" "missing <env>; e.g. staging"
  valid_env "$1" || fail "$EXIT_REFUSED" "environment $(printf '%q' "$1") is not a name like staging (a-z, 0-9, -)"
  ENV_NAME=$1
  ENV_DIR="$BERTH_ROOT/$ENV_NAME"
  [ -d "$ENV_DIR" ] || fail "$EXIT_REFUSED" "no environment $ENV_NAME under $BERTH_ROOT (expected $ENV_DIR); deploy to it first"
}

# start_run [<default actor>] [<default run URL>]: who and where — ACTOR and RUN_URL
# from --actor/--run-url (parse_args), else BERTH_ACTOR and BERTH_RUN_URL if the caller's
# environment has them, else the defaults (the actor: the local user) — and the run id:
# BERTH_RUN_ID, which `berth run` sets for a detached run (it sets nothing else), else a
# manual-… id. Also the run's work directory $WORK, and its clocks STARTED / T0.
# shellcheck disable=SC2034 # STARTED and T0 are read by the commands
start_run() {
  export BERTH_ACTOR=${ACTOR:-${BERTH_ACTOR:-${1:-$(id -un)}}}
  export BERTH_RUN_URL=${RUN_URL:-${BERTH_RUN_URL:-${2:-}}}
  export BERTH_RUN_ID=${BERTH_RUN_ID:-manual-$(date -u +%Y%m%dT%H%M%SZ)-$$}
  WORK="$ENV_DIR/runs/$BERTH_RUN_ID"
  mkdir -p "$WORK"
  STARTED=$(now_iso)
  T0=$(now_us)
}

# write_atomic <file> <content>: replace a small file atomically: write a temp next to
# it (mktemp: a new name, created exclusively, 0600), then rename. Returns 1 and leaves
# the file as it was if any step fails (a full disk), also when called from `||`, where
# errexit does not apply.
write_atomic() {
  local file=$1 content=$2 tmp
  tmp=$(mktemp -- "$file.tmp.XXXXXX") || return 1
  if printf '%s\n' "$content" >"$tmp" && mv -f -- "$tmp" "$file"; then return 0; fi
  rm -f -- "$tmp"
  return 1
}

# private_dir <dir>: create it if needed and make it the deploy user's alone (0700),
# whatever the umask: backups hold every row of the database.
private_dir() { mkdir -p -- "$1" && chmod 700 -- "$1"; }

# copy_exclusive <source, or - for stdin> <new file> [<mode>, octal, default 600]: copy
# into a file this call creates, with that mode whatever the umask. The file is created
# with O_EXCL (and O_NOFOLLOW) and written through the same descriptor, so a name planted
# in a directory someone else can write (a symlink to ~/.ssh/authorized_keys, say) is
# refused, never followed — unlike mktemp then cp, which opens the name a second time.
# `-` reads the descriptor already open on stdin (never /dev/stdin, which reopens the
# file with this process's permissions).
copy_exclusive() {
  local mask from=()
  mask=$(printf '%03o' $((0777 & ~8#${3:-600})))
  [ "$1" = - ] || from=(if="$1")
  (
    umask "$mask"
    exec dd "${from[@]}" of="$2" bs=4M conv=excl,fsync oflag=nofollow status=none
  )
}

read_release() { if [ -s "$ENV_DIR/$1" ]; then tr -d '[:space:]' <"$ENV_DIR/$1" || true; fi; }

# manifest <bundle> <jq filter>: one value from a release's release.json.
manifest() { jq -er "$2" "$1/release.json"; }

# ledger_append <json line>: append a line to the ledger, on a line of its own even
# after a torn last line (a crash or a full disk mid-append left no newline).
ledger_append() {
  local log="$ENV_DIR/releases.log" sep=""
  if [ -s "$log" ] && [ "$(tail -c 1 -- "$log" | wc -l)" -eq 0 ]; then sep=$'\n'; fi
  printf '%s%s\n' "$sep" "$1" >>"$log"
}

# ledger_lines: the ledger's lines that are JSON objects, as written, oldest first —
# what every reader of releases.log reads. Any other line (torn by a crash or a full
# disk mid-append) is skipped with a warning on stderr naming its line number; blank
# lines are skipped quietly.
ledger_lines() {
  local log="$ENV_DIR/releases.log"
  [ -f "$log" ] || return 0
  jq -rR 'if test("^\\s*$") then "" elif ((fromjson? | objects | true) // false) then . else "!" end' "$log" |
    awk -v warning="$(now_iso) [$PHASE] WARNING: $log line" '
      $0 == "" { next }
      $0 == "!" { printf "%s %d is not a JSON object (torn by a crash or a full disk?): skipped\n", warning, NR > "/dev/stderr"; next }
      { print }'
}

# The latest ledger line for a sha (or nothing).
ledger_line_for() { ledger_lines | jq -c --arg s "$1" 'select(.sha == $s)' | tail -n 1 || true; }

# shellcheck source=lib/options.sh
. "$BERTH_SCRIPTS/lib/options.sh"

# shellcheck shell=bash
# Shared by every command: exit codes, logging, validation, paths, JSON helpers.
# shellcheck source=lib/exit-codes.sh
. "$BERTH_SCRIPTS/lib/exit-codes.sh"

PHASE=${PHASE:-berth}

now_iso() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
# Microseconds since the epoch, from bash's own clock (no fork).
now_us() { local t=${EPOCHREALTIME/./}; printf '%s' "$t"; }
# seconds_since <us>: elapsed seconds with two decimals.
seconds_since() { local d=$(($(now_us) - $1)); printf '%d.%02d' $((d / 1000000)) $((d % 1000000 / 10000)); }

# Human log lines: `<time> [<phase>] message`, on stdout (a detached run's log file).
say() { printf '%s [%s] %s\n' "$(now_iso)" "$PHASE" "$*"; }
warn() { printf '%s [%s] WARNING: %s\n' "$(now_iso)" "$PHASE" "$*"; }
# fail <code> <message>: log and exit.
fail() {
  local code=$1
  shift
  printf '%s [%s] ERROR: %s\n' "$(now_iso)" "$PHASE" "$*"
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
json_result() { if [ -n "$JSON_OUT" ]; then jq -c . <<<"$1" >&3; fi; }
# Marker lines for the action: `@@berth {json}`.
marker() { printf '@@berth %s\n' "$(jq -cn "$@")"; }

valid_env() { [[ $1 =~ ^[a-z][a-z0-9-]{0,31}$ ]]; }
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

# who_option <--actor|--run-url> <value>: the options every runbook verb takes on the
# server; they set ACTOR / RUN_URL (start_run exports them).
who_option() {
  case "$1" in
    --actor) valid_actor "${2:-}" || fail "$EXIT_REFUSED" "--actor takes a name of [A-Za-z0-9._@-]{1,64}"; ACTOR=$2 ;;
    --run-url) valid_run_url "${2:-}" || fail "$EXIT_REFUSED" "--run-url takes an http(s) URL"; RUN_URL=$2 ;;
  esac
}

# start_run [<default actor>] [<default run URL>]: who and where (BERTH_ACTOR,
# BERTH_RUN_URL, BERTH_RUN_ID; `berth run` sets them for a detached run), the run's
# work directory $WORK, and its clocks STARTED / T0.
start_run() {
  export BERTH_ACTOR=${ACTOR:-${BERTH_ACTOR:-${1:-$(id -un)}}}
  export BERTH_RUN_URL=${RUN_URL:-${BERTH_RUN_URL:-${2:-}}}
  export BERTH_RUN_ID=${BERTH_RUN_ID:-manual-$(date -u +%Y%m%dT%H%M%SZ)-$$}
  WORK="$ENV_DIR/runs/$BERTH_RUN_ID"
  mkdir -p "$WORK"
  STARTED=$(now_iso)
  T0=$(now_us)
}

# Atomic replace of a small file: write a temp next to it, then rename.
write_atomic() {
  local file=$1 content=$2 tmp
  tmp=$(mktemp "$file.tmp.XXXXXX")
  printf '%s\n' "$content" >"$tmp"
  mv -f "$tmp" "$file"
}

read_release() { [ -s "$ENV_DIR/$1" ] && tr -d '[:space:]' <"$ENV_DIR/$1" || true; }

# manifest <bundle> <jq filter>: one value from a release's release.json.
manifest() { jq -er "$2" "$1/release.json"; }

ledger_append() { printf '%s\n' "$1" >>"$ENV_DIR/releases.log"; }
# The latest ledger line for a sha (or nothing).
ledger_line_for() { [ -f "$ENV_DIR/releases.log" ] && jq -c --arg s "$1" 'select(.sha == $s)' "$ENV_DIR/releases.log" 2>/dev/null | tail -n 1 || true; }

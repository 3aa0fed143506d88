# shellcheck shell=bash
# The verbs of `berth`: one file per verb, commands/<verb>.sh, whose header says how it is
# called, so the dispatcher (bin/berth), `berth help`, the option parser's usage
# messages and `berth run` know no list of their own (rbenv's pattern). A verb's header,
# in the comment block at the top of its file:
#   # Usage: berth <verb> …     one line per form; at least one (what makes the file a verb)
#   # Summary: …                what it does, in one line (berth help)
#   # Detached: yes             `berth run` may start it detached from the SSH session
# Only the header block is read: the same words further down are not a header.

# verb_file <verb>: the verb's command file (printed), or 1 when <verb> is not one: a
# name of a-z, 0-9 and -, a file commands/<verb>.sh, with a `# Usage: berth <verb>` line.
verb_file() {
  local file="$BERTH_SCRIPTS/commands/$1.sh"
  [[ $1 =~ ^[a-z][a-z0-9-]{0,31}$ ]] && [ -f "$file" ] || return 1
  verb_header "$1" Usage | grep -qE "^berth $1( |$)" || return 1
  printf '%s\n' "$file"
}

# verb_header <verb> <field>: the values of that header field, one a line.
verb_header() {
  awk -v field="# $2: " 'NR > 1 && !/^#/ { exit } index($0, field) == 1 { print substr($0, length(field) + 1) }' \
    "$BERTH_SCRIPTS/commands/$1.sh"
}

# verbs: every verb, sorted.
verbs() {
  local file verb
  for file in "$BERTH_SCRIPTS"/commands/*.sh; do
    verb=$(basename -- "$file" .sh)
    if verb_file "$verb" >/dev/null; then printf '%s\n' "$verb"; fi
  done
}

# verb_usage <verb>: its usage lines, joined for an error message.
verb_usage() { verb_header "$1" Usage | awk 'NR > 1 { printf " — or: " } { printf "%s", $0 }'; }

# berth_help: the usage of every verb, from their headers.
berth_help() {
  local verb
  printf 'usage: berth <verb> [args…]\n\n'
  for verb in $(verbs); do
    verb_header "$verb" Usage | sed 's/^/  /'
    verb_header "$verb" Summary | sed 's/^/      /'
  done
  cat <<'TEXT'

--json (where a verb takes it): one JSON object on stdout, the log on stderr.
BERTH_ROOT (the app root, /opt/<app>) defaults to the directory holding bin/berth.
BERTH_TRACE=1 traces the verb (bash set -x, on stderr; secrets are never in a command
line, so never in the trace).
Exit codes (lib/exit-codes.sh):
TEXT
  exit_codes | sed 's/^/  /'
}

# exit_codes: "<code> <meaning>" a line, from lib/exit-codes.sh, where they are written once.
exit_codes() {
  sed -nE 's/^readonly EXIT_[A-Z_]+=([0-9]+) +# (.*)$/\1 \2/p' "$BERTH_SCRIPTS/lib/exit-codes.sh"
}

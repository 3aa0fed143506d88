# shellcheck shell=bash
# The one parser of every verb's arguments (sourced by lib/common.sh).
# shellcheck source=lib/verbs.sh
. "$BERTH_SCRIPTS/lib/verbs.sh"

declare -A OPTS=()
ARGS=()

# parse_args <verb> <spec> <args…>: what the verb was given, checked against what it
# takes, before it does anything. <spec> lists, separated by spaces:
#   <name>    a required positional argument — ARGS holds them in order
#   [name]    an optional one
#   ...       everything after the positional arguments, as given (berth run's verb)
#   --flag    a flag: OPTS[--flag]=1
#   --flag=   a flag with a value: OPTS[--flag]=<value>
# The common flags, for the verbs that list them: --json (json_output: the result on
# stdout, the log on stderr), --actor <name> and --run-url <url> (checked; ACTOR and
# RUN_URL, which start_run exports). -h/--help prints the verb's usage.
# An argument the spec does not take (an unknown flag, one positional argument too
# many), or a flag given twice, is refused — exit 2, naming it and the verb's usage
# (its `# Usage:` header, lib/verbs.sh); a missing positional argument is a usage
# error, exit 1.
# shellcheck disable=SC2034 # ACTOR and RUN_URL are read by start_run (lib/common.sh)
parse_args() {
  local verb=$1 spec=$2 word arg positional=0 rest=false
  local -A takes=()
  shift 2
  for word in $spec; do
    case "$word" in
      "<"*">" | "["*"]") positional=$((positional + 1)) ;;
      ...) rest=true ;;
      --*=) takes[${word%=}]=value ;;
      --*) takes[$word]=flag ;;
      *) fail "$EXIT_ERROR" "parse_args: $(printf '%q' "$word") in the spec of $verb is not <name>, [name], ..., --flag or --flag=" ;;
    esac
  done
  OPTS=()
  ARGS=()
  ACTOR=""
  RUN_URL=""
  while [ $# -gt 0 ]; do
    arg=$1
    shift
    if $rest && [ ${#ARGS[@]} -ge "$positional" ]; then
      ARGS+=("$arg" "$@")
      break
    fi
    case "$arg" in
      -h | --help)
        printf 'usage: %s\n' "$(verb_usage "$verb")"
        exit "$EXIT_OK"
        ;;
      -*)
        [ -n "${takes[$arg]:-}" ] || refuse_usage "$verb" "unknown argument $(printf '%q' "$arg")"
        [ -z "${OPTS[$arg]+set}" ] || refuse_usage "$verb" "$arg is given twice"
        if [ "${takes[$arg]}" = flag ]; then
          OPTS[$arg]=1
        else
          [ $# -gt 0 ] || fail "$EXIT_ERROR" "$arg takes a value; usage: $(verb_usage "$verb")"
          OPTS[$arg]=$1
          shift
        fi
        ;;
      *)
        [ ${#ARGS[@]} -lt "$positional" ] || refuse_usage "$verb" "unexpected argument $(printf '%q' "$arg")"
        ARGS+=("$arg")
        ;;
    esac
  done
  # The required ones come first in the spec: the first one missing is named.
  local required=()
  for word in $spec; do case "$word" in "<"*">") required+=("$word") ;; esac done
  [ ${#ARGS[@]} -ge ${#required[@]} ] ||
    fail "$EXIT_ERROR" "berth $verb: missing ${required[${#ARGS[@]}]}; usage: $(verb_usage "$verb")"
  if [ -n "${OPTS[--actor]+set}" ]; then
    valid_actor "${OPTS[--actor]}" || refuse_usage "$verb" "--actor $(printf '%q' "${OPTS[--actor]}") is not a name of [A-Za-z0-9._@-]{1,64}"
    ACTOR=${OPTS[--actor]}
  fi
  # Through opt, never as a literal subscript: shfmt reads `OPTS[--run-url]` as arithmetic
  # and rewrote it to `OPTS[--run - url]`, a key no flag sets, and --run-url was dropped.
  if [ -n "$(opt --run-url)" ]; then
    valid_run_url "$(opt --run-url)" || refuse_usage "$verb" "--run-url $(printf '%q' "$(opt --run-url)") is not an http(s) URL"
    RUN_URL=$(opt --run-url)
  fi
  if [ -n "${OPTS[--json]:-}" ]; then json_output; fi
}

# refuse_usage <verb> <what>: refuse the arguments: nothing ran (exit 2).
refuse_usage() { fail "$EXIT_REFUSED" "berth $1: $2 (nothing was done); usage: $(verb_usage "$1")"; }

# opt <flag>: its value ("" when not given).
opt() { printf '%s' "${OPTS[$1]:-}"; }

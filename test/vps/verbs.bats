#!/usr/bin/env bats
# One dispatcher (vps-scripts/bin/berth, lib/verbs.sh) and one option parser
# (lib/options.sh parse_args): a verb is a command file with a `# Usage: berth <verb>`
# header; `berth help` is built from the headers; every verb refuses an argument it
# does not take (exit 2) before doing anything; BERTH_TRACE=1 traces without secrets.

bats_require_minimum_version 1.5.0

setup() {
  # shellcheck source=helpers.bash
  . "$BATS_TEST_DIRNAME/helpers.bash"
  scratch_root
}

berth() { bash "$REPO/vps-scripts/bin/berth" "$@"; }

# spec_of <verb>: the spec its command file hands to parse_args.
spec_of() { sed -nE "s/^parse_args $1 '([^']*)'.*/\1/p" "$REPO/vps-scripts/commands/$1.sh"; }

@test "every command file is a verb: a Usage header naming it, a Summary, and one parse_args call" {
  local f verb
  for f in "$REPO"/vps-scripts/commands/*.sh; do
    verb=$(basename "$f" .sh)
    grep -qE "^# Usage: berth $verb( |$)" "$f" || {
      echo "$f: no '# Usage: berth $verb …' header"
      return 1
    }
    grep -qE '^# Summary: .+' "$f" || {
      echo "$f: no '# Summary:' line"
      return 1
    }
    [ "$(grep -c "^parse_args $verb '" "$f")" -eq 1 ] || {
      echo "$f: not exactly one parse_args $verb call"
      return 1
    }
  done
}

@test "each verb's flags are the ones its usage names, and the other way round" {
  local f verb spec usage flag
  for f in "$REPO"/vps-scripts/commands/*.sh; do
    verb=$(basename "$f" .sh)
    spec=$(spec_of "$verb")
    usage=$(sed -n 's/^# Usage: //p' "$f")
    for flag in $(grep -oE -- '--[a-z][a-z-]*' <<<"$spec" | tr '\n' ' '); do
      grep -qF -- "$flag" <<<"$usage" || {
        echo "$verb takes $flag, which its usage does not name"
        return 1
      }
    done
    for flag in $(grep -oE -- '--[a-z][a-z-]*' <<<"$usage" | tr '\n' ' '); do
      grep -qE -- "(^| )$flag(=| |$)" <<<"$spec" || {
        echo "$verb's usage names $flag, which parse_args does not take"
        return 1
      }
    done
  done
}

@test "berth help lists every verb's usage and summary, from the headers" {
  run -0 berth help
  local f line
  for f in "$REPO"/vps-scripts/commands/*.sh; do
    while IFS= read -r line; do
      grep -qF -- "  $line" <<<"$output" || {
        echo "help lacks: $line"
        return 1
      }
    done < <(sed -n 's/^# Usage: //p; s/^# Summary: //p' "$f")
  done
  [[ $output == *"BERTH_TRACE=1"* ]]
  run -0 berth --help
  run -0 berth -h
  run -1 berth frobnicate
  [[ $output == *"berth: unknown verb frobnicate"* ]]
  [[ $output == *"berth status <env> [--json]"* ]]
}

@test "a new command file shows up in help and runs by its header alone; a file without one is no verb" {
  cp -R "$REPO/vps-scripts" "$BATS_TEST_TMPDIR/scripts"
  cat >"$BATS_TEST_TMPDIR/scripts/commands/hello.sh" <<'EOF'
#!/usr/bin/env bash
# Usage: berth hello <env> [--loud]
# Summary: say hello
set -euo pipefail
. "$BERTH_SCRIPTS/lib/common.sh"
parse_args hello '<env> --loud' "$@"
echo "hello ${ARGS[0]}${OPTS[--loud]:+!}"
EOF
  printf '#!/usr/bin/env bash\necho not a verb\n' >"$BATS_TEST_TMPDIR/scripts/commands/helper.sh"
  run -0 bash "$BATS_TEST_TMPDIR/scripts/bin/berth" help
  [[ $output == *"  berth hello <env> [--loud]"*"      say hello"* ]]
  [[ $output != *helper* ]]
  run -0 bash "$BATS_TEST_TMPDIR/scripts/bin/berth" hello staging --loud
  [ "$output" = "hello staging!" ]
  run -2 bash "$BATS_TEST_TMPDIR/scripts/bin/berth" hello staging --quiet
  run -1 bash "$BATS_TEST_TMPDIR/scripts/bin/berth" helper
  [[ $output == *"unknown verb helper"* ]]
  # Not a way out of commands/.
  run -1 bash "$BATS_TEST_TMPDIR/scripts/bin/berth" ../bin/berth
}

@test "--actor and --run-url reach the verb as ACTOR and RUN_URL; a run URL that is not http(s) is refused" {
  # shfmt once rewrote the parser's OPTS[--run-url] as OPTS[--run - url]: the flag was
  # accepted and silently dropped, and rollback ledger lines lost their run link.
  cp -R "$REPO/vps-scripts" "$BATS_TEST_TMPDIR/scripts"
  cat >"$BATS_TEST_TMPDIR/scripts/commands/who.sh" <<'EOF'
#!/usr/bin/env bash
# Usage: berth who <env> [--actor <name>] [--run-url <url>]
# Summary: print who asked and from which run
set -euo pipefail
. "$BERTH_SCRIPTS/lib/common.sh"
parse_args who '<env> --actor= --run-url=' "$@"
echo "actor=$ACTOR url=$RUN_URL"
EOF
  run -0 bash "$BATS_TEST_TMPDIR/scripts/bin/berth" who staging --actor octo --run-url https://github.com/o/r/actions/runs/7
  [ "$output" = "actor=octo url=https://github.com/o/r/actions/runs/7" ]
  run -0 bash "$BATS_TEST_TMPDIR/scripts/bin/berth" who staging
  [ "$output" = "actor= url=" ]
  run -2 bash "$BATS_TEST_TMPDIR/scripts/bin/berth" who staging --run-url 'javascript:alert(1)'
  [[ $output == *"is not an http(s) URL"* ]]
}

@test "every verb refuses an argument it does not take: exit 2, the argument and the usage named, nothing run" {
  run -2 berth status staging junk
  [[ $output == *"berth status: unexpected argument junk (nothing was done); usage: berth status <env> [--json]"* ]]
  local f verb
  for f in "$REPO"/vps-scripts/commands/*.sh; do
    verb=$(basename "$f" .sh)
    run berth "$verb" --bogus-flag
    [ "$status" -eq 2 ] || {
      echo "berth $verb --bogus-flag: exit $status, not 2: $output"
      return 1
    }
    [[ $output == *"unknown argument --bogus-flag"*"usage: berth $verb"* ]] || {
      echo "berth $verb: $output"
      return 1
    }
  done
  # Refused before anything: no run directory, no lock holder, no maintenance flag.
  run -2 berth maintenance on staging --force
  [ ! -e "$BERTH_ROOT/staging/maintenance/MAINTENANCE_ON" ]
  run -2 berth deploy staging "$(printf 'a%.0s' {1..40})" --dry-run
  [ ! -e "$BERTH_ROOT/staging/runs" ]
  run -2 berth rollback staging --to "$(printf 'a%.0s' {1..40})" --to "$(printf 'b%.0s' {1..40})"
  [[ $output == *"--to is given twice"* ]]
  run -1 berth rollback staging --to
  [[ $output == *"--to takes a value"* ]]
  run -1 berth restore staging
  [[ $output == *"missing <backup>"* ]]
  run -2 berth deploy staging x --actor 'a b'
  [[ $output == *"--actor a\\ b is not a name"* ]]
  run -0 berth rollback --help
  [ "$output" = "usage: berth rollback <env> [--to <sha>] [--restore-db|--keep-db] [--actor <name>] [--run-url <url>] [--json]" ]
}

@test "berth run starts only the verbs whose header says Detached: yes" {
  local detached=() f
  for f in "$REPO"/vps-scripts/commands/*.sh; do
    if grep -qx '# Detached: yes' "$f"; then detached+=("$(basename "$f" .sh)"); fi
  done
  [ "${detached[*]}" = "backup deploy drill recover restore rollback sync" ]
  run -2 berth run staging run-1 status staging
  [[ $output == *"berth run starts backup deploy drill recover restore rollback sync — not status"* ]]
  [ ! -e "$BERTH_ROOT/staging/runs/run-1" ]
}

@test "BERTH_TRACE=1 traces the verb on stderr; the restic password and the backend's keys are not in the trace" {
  run -0 --separate-stderr env BERTH_TRACE=1 bash "$REPO/vps-scripts/bin/berth" releases staging --json
  [ "$output" = "[]" ]
  # shellcheck disable=SC2154 # run --separate-stderr sets it
  [[ $stderr == *"+ "*"parse_args releases"* ]]
  # The offsite secrets as the verbs read and hand them to restic (lib/offsite.sh), traced.
  mkdir -p "$BATS_TEST_TMPDIR/bin"
  # shellcheck disable=SC2016 # the stub's own script: it expands when it runs
  printf '#!/bin/sh\necho "restic sees ${#RESTIC_PASSWORD} characters"\n' >"$BATS_TEST_TMPDIR/bin/restic"
  chmod +x "$BATS_TEST_TMPDIR/bin/restic"
  printf 'RESTIC_PASSWORD="s3cret-pw-xyz"\nAWS_SECRET_ACCESS_KEY=aws-key-xyz\n' >"$BATS_TEST_TMPDIR/offsite.env"
  # shellcheck disable=SC2016 # the script is for the child bash: its $ expand there
  run --separate-stderr env PATH="$BATS_TEST_TMPDIR/bin:$PATH" BERTH_SCRIPTS="$REPO/vps-scripts" \
    OFFSITE_ENV_FILE="$BATS_TEST_TMPDIR/offsite.env" bash -c '
    . "$BERTH_SCRIPTS/lib/common.sh"
    . "$BERTH_SCRIPTS/lib/offsite.sh"
    OFFSITE_REPO=/srv/repo
    set -x
    offsite_secrets
    restic_do snapshots'
  [ "$status" -eq 0 ]
  [ "$output" = "restic sees 13 characters" ]
  [[ $stderr == *"restic --repo /srv/repo snapshots"* ]]
  [[ $stderr != *s3cret* ]]
  [[ $stderr != *aws-key* ]]
}

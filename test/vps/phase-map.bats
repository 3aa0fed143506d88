#!/usr/bin/env bats
# From a phase name to its code (docs/design.md §5): every phase a runbook runs
# (`phase <name> …` in vps-scripts/commands/*.sh and vps-scripts/lib/*.sh) has a row in
# the design's phase → file table, the file exists, and it defines each function the
# row names — and each library function a runbook hands to `phase <name>` directly. So
# a phase added without a row, or a file or function renamed without the table, fails.

bats_require_minimum_version 1.5.0

setup() {
  # shellcheck source=helpers.bash
  . "$BATS_TEST_DIRNAME/helpers.bash"
}

# phase_map_check <design.md> <vps-scripts dir>: the check itself; prints each problem
# and returns 1 when there is any.
phase_map_check() {
  local doc=$1 scripts=$2 rows phases calls name file fns fn row bad=0
  # (Parenthesised notes in the functions cell name helpers of other files: not checked.)
  # The table's rows: | `phase` | `file` | `fn`, `fn` | (other rows have no backticked phase).
  # shellcheck disable=SC2016 # backticks are the markdown's, matched as text
  rows=$(awk '/^From a phase name to its code/ { on = 1; next } on && /^\| `[a-z-]+` \|/ { print } on && /^$/ && seen { exit } on && /^\|/ { seen = 1 }' "$doc" |
    sed -E 's/^\| `([a-z-]+)` \| `([a-z0-9._-]+)` \| (.*) \|$/\1\t\2\t\3/')
  [ -n "$rows" ] || {
    echo "no phase → file table under 'From a phase name to its code' in $doc"
    return 1
  }
  # Every `phase <name> <function>` call, comments aside.
  calls=$(grep -hE '^[[:space:]]*phase [a-z][a-z-]* ' "$scripts"/commands/*.sh "$scripts"/lib/*.sh |
    sed -E 's/^[[:space:]]*phase ([a-z-]+) ([^ ]+).*/\1 \2/' | sort -u)
  phases=$(cut -d' ' -f1 <<<"$calls" | sort -u)
  for name in $phases; do
    row=$(awk -F'\t' -v p="$name" '$1 == p' <<<"$rows")
    if [ -z "$row" ]; then
      echo "phase $name is run (vps-scripts) but has no row in the table of $doc"
      bad=1
      continue
    fi
    file=$(cut -f2 <<<"$row")
    if [ ! -f "$scripts/lib/$file" ]; then
      echo "phase $name: the table names lib/$file, which does not exist"
      bad=1
      continue
    fi
    # shellcheck disable=SC2016 # backticks are the markdown's, matched as text
    fns=$(cut -f3 <<<"$row" | sed 's/ (.*//' | grep -oE '`[a-z_][a-z0-9_]*`' | tr -d '`')
    [ -n "$fns" ] || {
      echo "phase $name: the table names no function"
      bad=1
    }
    # The row's functions, and the library functions handed to `phase $name` directly
    # (a command's own do_<phase> and a passed-in "$@" aside), are defined in that file.
    for fn in $fns $(awk -v p="$name" '$1 == p && $2 !~ /^(do_|")/ { print $2 }' <<<"$calls"); do
      grep -qE "^$fn\(\) *\{" "$scripts/lib/$file" || {
        echo "phase $name: lib/$file defines no function $fn"
        bad=1
      }
    done
  done
  # And no row for a phase nothing runs (a phase renamed or removed).
  for name in $(cut -f1 <<<"$rows" | tr '\n' ' '); do
    grep -qxF -- "$name" <<<"$phases" || {
      echo "the table has a row for $name, which no runbook runs"
      bad=1
    }
  done
  return "$bad"
}

# A copy of the design and the scripts to break on purpose.
copy_tree() {
  cp -R "$REPO/vps-scripts" "$BATS_TEST_TMPDIR/vps-scripts"
  cp "$REPO/docs/design.md" "$BATS_TEST_TMPDIR/design.md"
}

@test "every phase the runbooks run has its row, its file and its functions" {
  run phase_map_check "$REPO/docs/design.md" "$REPO/vps-scripts"
  echo "$output"
  [ "$status" -eq 0 ]
  # The map covers the runbooks' phases (a parse that found nothing would pass vacuously).
  local p
  for p in preflight pull rehearse maintenance-on stop backup migrate start ready switch drain handover \
    maintenance-off record retire prune restore reconcile fetch verify place; do
    grep -qE "^\| \`$p\` \| " "$REPO/docs/design.md" || {
      echo "no row for $p"
      return 1
    }
  done
}

@test "a phase added without a row fails the check" {
  copy_tree
  sed -i 's/^  phase rehearse do_rehearse$/  phase rehearse do_rehearse\n  phase warm-cache do_warm_cache/' "$BATS_TEST_TMPDIR/vps-scripts/commands/deploy.sh"
  run -1 phase_map_check "$BATS_TEST_TMPDIR/design.md" "$BATS_TEST_TMPDIR/vps-scripts"
  [[ $output == *"phase warm-cache is run"*"has no row"* ]]
}

@test "a phase's function or file renamed without the table fails the check" {
  copy_tree
  sed -i 's/^backup_databases() {/backup_database_set() {/' "$BATS_TEST_TMPDIR/vps-scripts/lib/backup.sh"
  run -1 phase_map_check "$BATS_TEST_TMPDIR/design.md" "$BATS_TEST_TMPDIR/vps-scripts"
  [[ $output == *"phase backup: lib/backup.sh defines no function backup_databases"* ]]
  rm -rf "$BATS_TEST_TMPDIR/vps-scripts"
  copy_tree
  mv "$BATS_TEST_TMPDIR/vps-scripts/lib/prune.sh" "$BATS_TEST_TMPDIR/vps-scripts/lib/cleanup.sh"
  run -1 phase_map_check "$BATS_TEST_TMPDIR/design.md" "$BATS_TEST_TMPDIR/vps-scripts"
  [[ $output == *"phase prune: the table names lib/prune.sh, which does not exist"* ]]
}

@test "a library function handed to phase() from another file than the table's fails the check" {
  copy_tree
  # shellcheck disable=SC2016 # a sed program: the $1 and $2 are the text it looks for
  sed -i 's/phase retire retire_slot "\$1" "\$2"/phase retire remove_slot "$1" "$2"/' "$BATS_TEST_TMPDIR/vps-scripts/lib/swap.sh"
  printf '\nremove_slot() { retire_slot "$@"; }\n' >>"$BATS_TEST_TMPDIR/vps-scripts/lib/swap.sh"
  run -1 phase_map_check "$BATS_TEST_TMPDIR/design.md" "$BATS_TEST_TMPDIR/vps-scripts"
  [[ $output == *"phase retire: lib/retire.sh defines no function remove_slot"* ]]
}

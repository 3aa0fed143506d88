#!/usr/bin/env bash
# scripts/lint-shell.sh [--list] [<path>…]
#
# Runs shellcheck on every shell file: entry points AND the libraries they source. It
# reports findings only in the files it is given, never in the files it follows with
# -x, so each library is given here too and checked on its own (-x still follows what
# it sources, so sourced functions and variables resolve).
#
# With no <path>: every shell file git knows in this repository (tracked, or untracked
# and not ignored), checked from the repository root — what `npm test` runs. With
# <path>s (files or directories): the shell files under them, from the current
# directory (test/vps/lint.bats checks a copy this way). --list prints the files
# instead of checking them.
#
# A shell file: *.sh or *.bats, a #! line naming sh, bash or bats, or a
# `# shellcheck shell=…` directive in its first lines (the libraries have no #!).
#
# Source paths (-P): a library's `# shellcheck source=lib/x.sh` is relative to the
# folder above its own (vps-scripts/lib/common.sh → vps-scripts/), as the commands'
# `source-path=SCRIPTDIR/..` says; a bats file names its sources relative to its own
# folder; test/lab/lab.sh names them from the repository root (the working directory).
#
# Exit codes: 0 clean; shellcheck's own otherwise (1: findings, listed with file and line).
set -euo pipefail

list=false
if [ "${1:-}" = --list ]; then
  list=true
  shift
fi
case "${1:-}" in -*)
  echo "usage: scripts/lint-shell.sh [--list] [<path>…]" >&2
  exit 2
  ;;
esac

# is_shell <file>: by name, #! line or shellcheck directive. (No `| grep -q`: under
# pipefail, a reader that stops early can fail the pipe.)
is_shell() {
  local first
  case "$1" in *.sh | *.bats) return 0 ;; esac
  IFS= read -r -n 256 first <"$1" || true
  [[ $first =~ ^#!.*[/\ ](ba)?sh(\ |$)|^#!.*[/\ ]bats(\ |$) ]] && return 0
  [ -n "$(sed -n '/^# shellcheck shell=/p; 5q' "$1")" ]
}

if [ $# -eq 0 ]; then
  cd "$(dirname "$0")/.."
  mapfile -t candidates < <(git ls-files --cached --others --exclude-standard | sort -u)
else
  mapfile -t candidates < <(find "$@" -type f | sort)
fi
files=()
for f in "${candidates[@]}"; do
  # A file git still lists but that was deleted is skipped.
  if [ -f "$f" ] && is_shell "$f"; then files+=("$f"); fi
done
[ ${#files[@]} -gt 0 ] || {
  echo "lint-shell: no shell files under ${*:-$(pwd)}" >&2
  exit 2
}

if $list; then
  printf '%s\n' "${files[@]}"
  exit 0
fi
# One shellcheck per core, each on every n-th file; their reports are printed in order,
# and the first non-zero exit is the script's.
jobs=$(nproc 2>/dev/null || echo 1)
out=$(mktemp -d)
trap 'rm -rf -- "$out"' EXIT
pids=()
for ((j = 0; j < jobs && j < ${#files[@]}; j++)); do
  chunk=()
  for ((i = j; i < ${#files[@]}; i += jobs)); do chunk+=("${files[i]}"); done
  shellcheck -x -P SCRIPTDIR -P SCRIPTDIR/.. "${chunk[@]}" >"$out/$j" 2>&1 &
  pids+=($!)
done
rc=0
for j in "${!pids[@]}"; do
  code=0
  wait "${pids[j]}" || code=$?
  [ "$rc" -ne 0 ] || rc=$code
  cat "$out/$j"
done
exit "$rc"

#!/usr/bin/env bash
# scripts/format-shell.sh [--write] [<path>…]
#
# Checks (or with --write, fixes) the formatting of every shell file with shfmt: the
# files scripts/lint-shell.sh lists (entry points, libraries, bats files), in the style
# they were written in — 2-space indents and indented case patterns (`-i 2 -ci`, the
# flags that changed the fewest lines when shfmt was introduced), bats files parsed
# as bats. With no <path>: every shell file git knows, as `npm test` runs it; with
# <path>s: the shell files under them.
#
# Exit codes: 0 formatted; 1 a file differs (the diff is printed; --write fixes it);
# 2 usage, or no shfmt.
set -euo pipefail

write=false
if [ "${1:-}" = --write ]; then
  write=true
  shift
fi
case "${1:-}" in -*)
  echo "usage: scripts/format-shell.sh [--write] [<path>…]" >&2
  exit 2
  ;;
esac
command -v shfmt >/dev/null || {
  echo "format-shell: shfmt is not installed (Debian: apt-get install shfmt)" >&2
  exit 2
}

here=$(cd "$(dirname "$0")" && pwd)
if [ $# -eq 0 ]; then cd "$here/.."; fi
mapfile -t files < <(bash "$here/lint-shell.sh" --list "$@")
shell=() bats=()
for f in "${files[@]}"; do
  case "$f" in *.bats) bats+=("$f") ;; *) shell+=("$f") ;; esac
done

rc=0
if $write; then
  [ ${#shell[@]} -eq 0 ] || shfmt -i 2 -ci -w "${shell[@]}"
  [ ${#bats[@]} -eq 0 ] || shfmt -i 2 -ci -ln bats -w "${bats[@]}"
else
  [ ${#shell[@]} -eq 0 ] || shfmt -i 2 -ci -d "${shell[@]}" || rc=1
  [ ${#bats[@]} -eq 0 ] || shfmt -i 2 -ci -ln bats -d "${bats[@]}" || rc=1
  [ "$rc" -eq 0 ] || echo "format-shell: the files above are not formatted as shfmt -i 2 -ci formats them; run scripts/format-shell.sh --write" >&2
fi
exit "$rc"

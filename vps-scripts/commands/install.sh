#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR/..
# Usage: berth install [--allow-downgrade]
# Summary: copy these scripts into BERTH_ROOT (from a bundle)
#
# Copy these scripts (bin/, lib/, commands/, and helper/: the SQLite helper image's
# Dockerfile and the script it runs) into BERTH_ROOT, and the bundle's nginx/
# (maintenance snippet and page, server-block template) into BERTH_ROOT/nginx, replacing
# the installed ones as a whole: each directory is staged next to its target and swapped in with a
# rename, so a concurrent `berth` never sees a half-copied set. nginx/ is made readable by
# nginx's workers (directories 0755, files 0644) whatever the deploy user's umask; an
# identical nginx/ with other modes (an older install) is installed again.
#
# Versioned (docs/design.md §4): VERSION's serial is recorded as BERTH_ROOT/VERSION, and
# scripts with a lower serial than the installed ones are refused — every environment
# deployed from this root runs them — unless --allow-downgrade.
#
# Under the install lock: every `berth` verb holds BERTH_ROOT/.install.lock shared for
# as long as it runs (bin/berth), so the swap waits until no deploy, rollback, restore
# or other verb of any environment is running from the installed scripts — at most
# BERTH_INSTALL_WAIT seconds (default 300), then it is refused with those runs named.
# Identical scripts are not installed again, and need no wait.
#
# Exit codes: 0 installed (or already identical); 1 error; 2 refused (older scripts,
# or runs still going), nothing was changed.
set -euo pipefail
# shellcheck source=lib/common.sh
. "$BERTH_SCRIPTS/lib/common.sh"
# shellcheck source=lib/nginx-assets.sh
. "$BERTH_SCRIPTS/lib/nginx-assets.sh"

PHASE=install
allow_downgrade=false
parse_args install '--allow-downgrade' "$@"
[ -z "$(opt --allow-downgrade)" ] || allow_downgrade=true
valid_path "$BERTH_ROOT" || fail "$EXIT_ERROR" "BERTH_ROOT $(printf '%q' "$BERTH_ROOT") is not an absolute path"
[ "$BERTH_SCRIPTS" != "$BERTH_ROOT" ] || {
  say "already running the installed scripts"
  exit 0
}
[ -f "$BERTH_SCRIPTS/VERSION" ] || fail "$EXIT_ERROR" "no VERSION in $BERTH_SCRIPTS: every berth bundle has one (npm run build writes it in berth's checkout)"
wait_s=${BERTH_INSTALL_WAIT:-300}
[[ $wait_s =~ ^[0-9]{1,5}$ ]] || fail "$EXIT_ERROR" "BERTH_INSTALL_WAIT $(printf '%q' "$wait_s") is not a number of seconds"
# A root this creates is searchable by nginx's workers (bootstrap makes it 0755 too).
[ -d "$BERTH_ROOT" ] || { mkdir -p "$BERTH_ROOT" && chmod 755 "$BERTH_ROOT"; }

# version_field <file> <key>: a VERSION line's value ("" when the file or key is missing).
version_field() { sed -n "s/^$2=//p" "$1" 2>/dev/null | head -n 1; }
# serial_of <file>: its serial; 0 for scripts from before versioning (no VERSION).
serial_of() {
  local s
  s=$(version_field "$1" serial)
  if [[ $s =~ ^[0-9]{1,9}$ ]]; then echo "$s"; else echo 0; fi
}
describe() { printf 'serial %s (berth %s)' "$(serial_of "$1")" "$(version_field "$1" package || true)"; }

sources=(lib commands bin helper)
# In an uploaded bundle, nginx/ sits next to vps-scripts/.
[ ! -d "$BERTH_SCRIPTS/../nginx" ] || sources+=(../nginx)

# stale_parts: the parts whose installed copy differs from this bundle's, one a line.
stale_parts() {
  local src part
  for src in "${sources[@]}"; do
    part=$(basename "$src")
    if [ -d "$BERTH_ROOT/$part" ] && diff -rq "$BERTH_SCRIPTS/$src" "$BERTH_ROOT/$part" >/dev/null 2>&1 &&
      { [ "$part" != nginx ] || nginx_assets_modes_ok "$BERTH_ROOT/$part"; }; then continue; fi
    echo "$part"
  done
  cmp -s "$BERTH_SCRIPTS/VERSION" "$BERTH_ROOT/VERSION" || echo VERSION
}

# check_version: refuse older scripts than the installed ones (unless allowed).
check_version() {
  local have want
  have=$(serial_of "$BERTH_ROOT/VERSION")
  want=$(serial_of "$BERTH_SCRIPTS/VERSION")
  [ "$want" -lt "$have" ] || return 0
  if [ "$allow_downgrade" = true ]; then
    warn "installing $(describe "$BERTH_SCRIPTS/VERSION") over the newer $(describe "$BERTH_ROOT/VERSION") (--allow-downgrade): every environment of $BERTH_ROOT now runs these older scripts"
    return 0
  fi
  fail "$EXIT_REFUSED" "refusing to replace berth's scripts in $BERTH_ROOT, $(describe "$BERTH_ROOT/VERSION"), with older ones, $(describe "$BERTH_SCRIPTS/VERSION"): every environment deployed from $BERTH_ROOT runs them. Deploy with a berth at least as new (the SHA in your workflow's uses: line), or, to go back on purpose, pass allow-scripts-downgrade: true to the deploy action (on the server: berth install --allow-downgrade). Nothing was changed"
}

# lock_users: who holds the install lock now — each environment's lock holder, and every
# process of this user with .install.lock open (flock(1) takes the lock for the shell
# that opened it, so /proc/locks names a pid long gone: the open files tell).
lock_users() {
  local envlock holder pid lock
  for envlock in "$BERTH_ROOT"/*/.lock; do
    [ -f "$envlock" ] || continue
    # Taken and released at once when free; busy when a run holds it.
    if ! flock -n "$envlock" true 2>/dev/null; then
      holder=$(jq -r '"\(.what) of \(.release) by \(.actor) (run \(.runId), pid \(.pid), since \(.started))"' \
        "$(dirname "$envlock")/lock.holder" 2>/dev/null || echo "unknown holder")
      printf '%s: %s\n' "$(basename "$(dirname "$envlock")")" "$holder"
    fi
  done
  lock=$(readlink -f "$BERTH_ROOT/.install.lock")
  while read -r pid; do
    if [ "$pid" = "$$" ] || [ ! -r "/proc/$pid/cmdline" ]; then continue; fi
    printf 'pid %s: %s\n' "$pid" "$(tr '\0' ' ' <"/proc/$pid/cmdline" | cut -c1-200)"
  done < <(find /proc/[0-9]*/fd -lname "$lock" 2>/dev/null | cut -d/ -f3 | sort -un | head -n 10)
}

exec 8>>"$BERTH_ROOT/.install.lock"
# Shared first: another install finishes its swap before this one compares.
flock -s -w 60 8 || fail "$EXIT_ERROR" "another berth install held $BERTH_ROOT/.install.lock for 60 s"
if [ -z "$(stale_parts)" ]; then
  say "berth's scripts in $BERTH_ROOT are already these, $(describe "$BERTH_SCRIPTS/VERSION")"
  exit 0
fi
check_version
# Exclusive: no berth verb is running from the installed scripts. (Converting a flock is
# not atomic, so what is installed is compared again once it is held.)
if ! flock -x -n 8; then
  users=$(lock_users)
  say "waiting up to ${wait_s} s for berth runs using $BERTH_ROOT to end: ${users//$'\n'/; }"
  flock -x -w "$wait_s" 8 || fail "$EXIT_REFUSED" "berth runs still use the scripts in $BERTH_ROOT after ${wait_s} s: $(lock_users | paste -sd ';' - | sed 's/;/; /g'). Nothing was installed; deploy again when they end (or set BERTH_INSTALL_WAIT)"
fi
check_version
for part in $(stale_parts); do
  [ "$part" != VERSION ] || continue
  src=$part
  [ "$part" != nginx ] || src=../nginx
  stage=$(mktemp -d "$BERTH_ROOT/.$part.new.XXXXXX")
  cp -R "$BERTH_SCRIPTS/$src/." "$stage/"
  chmod 755 "$stage"
  [ "$part" != nginx ] || nginx_assets_modes "$stage"
  if [ -d "$BERTH_ROOT/$part" ]; then
    old="$BERTH_ROOT/.$part.old.$$"
    mv -T "$BERTH_ROOT/$part" "$old"
    mv -T "$stage" "$BERTH_ROOT/$part"
    rm -rf -- "$old"
  else
    mv -T "$stage" "$BERTH_ROOT/$part"
  fi
done
# Last: the recorded version describes the scripts in place.
write_atomic "$BERTH_ROOT/VERSION" "$(cat "$BERTH_SCRIPTS/VERSION")" ||
  fail "$EXIT_ERROR" "could not record $BERTH_ROOT/VERSION"
say "installed berth's scripts into $BERTH_ROOT: $(describe "$BERTH_ROOT/VERSION")"

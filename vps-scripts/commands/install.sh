#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR/..
# berth install
#
# Copy these scripts (bin/, lib/, commands/, and helper/: the SQLite helper image's
# Dockerfile and the script it runs) into BERTH_ROOT, and the bundle's nginx/
# (maintenance snippet and page, server-block template) into BERTH_ROOT/nginx, replacing
# the installed ones as a whole: each directory is staged next to its target and swapped in with a
# rename, so a concurrent `berth` never sees a half-copied set. nginx/ is made readable by
# nginx's workers (directories 0755, files 0644) whatever the deploy user's umask; an
# identical nginx/ with other modes (an older install) is installed again.
#
# Exit codes: 0 installed (or already identical); 1 error.
set -euo pipefail
# shellcheck source=lib/common.sh
. "$BERTH_SCRIPTS/lib/common.sh"
# shellcheck source=lib/nginx-assets.sh
. "$BERTH_SCRIPTS/lib/nginx-assets.sh"

PHASE=install
valid_path "$BERTH_ROOT" || fail "$EXIT_ERROR" "BERTH_ROOT $(printf '%q' "$BERTH_ROOT") is not an absolute path"
[ "$BERTH_SCRIPTS" != "$BERTH_ROOT" ] || { say "already running the installed scripts"; exit 0; }
# A root this creates is searchable by nginx's workers (bootstrap makes it 0755 too).
[ -d "$BERTH_ROOT" ] || { mkdir -p "$BERTH_ROOT" && chmod 755 "$BERTH_ROOT"; }
# Two deploys (of two environments) may install at once: one at a time.
exec 8>>"$BERTH_ROOT/.install.lock"
flock -w 60 8 || fail "$EXIT_ERROR" "another berth install held $BERTH_ROOT/.install.lock for 60 s"
sources=(lib commands bin helper)
# In an uploaded bundle, nginx/ sits next to vps-scripts/.
[ ! -d "$BERTH_SCRIPTS/../nginx" ] || sources+=(../nginx)
for src in "${sources[@]}"; do
  part=$(basename "$src")
  if [ -d "$BERTH_ROOT/$part" ] && diff -rq "$BERTH_SCRIPTS/$src" "$BERTH_ROOT/$part" >/dev/null 2>&1 &&
    { [ "$part" != nginx ] || nginx_assets_modes_ok "$BERTH_ROOT/$part"; }; then continue; fi
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
say "installed berth scripts into $BERTH_ROOT"

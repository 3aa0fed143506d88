# shellcheck shell=bash
# The base of berth's SQLite helper image on the lab VPS (vps-scripts/helper/Dockerfile
# pulls debian:bookworm-slim and installs sqlite3; nothing can be pulled here): the lab's
# base plus this machine's sqlite3 and the libraries it needs that minbase lacks (both
# are Debian bookworm). The VPS names it in <root>/sqlite-helper.base (vps.sh), as an
# operator of a server without internet would.
SQLITE_HELPER_BASE=berth-lab/sqlite-helper-base:current
sqlite_helper_base_up() {
  local ctx bin lib
  if docker run --rm --network none "$SQLITE_HELPER_BASE" sqlite3 --version >/dev/null 2>&1; then return 0; fi
  log "building $SQLITE_HELPER_BASE (the lab's base + this machine's sqlite3)"
  bin=$(command -v sqlite3) || die "sqlite3 is missing: apt-get install sqlite3"
  ctx=$(mktemp -d)
  cp -- "$bin" "$ctx/sqlite3"
  for lib in libsqlite3.so.0 libreadline.so.8; do
    cp -L -- "$(ldd "$bin" | awk -v l="$lib" '$1 == l { print $3 }')" "$ctx/$lib"
  done
  printf '%s\n' 'FROM berth-lab/base:current' \
    'COPY libsqlite3.so.0 libreadline.so.8 /usr/lib/x86_64-linux-gnu/' \
    'COPY sqlite3 /usr/bin/sqlite3' \
    'RUN sqlite3 --version' >"$ctx/Dockerfile"
  docker build --quiet -t "$SQLITE_HELPER_BASE" "$ctx" >/dev/null || {
    rm -rf -- "$ctx"
    die "could not build $SQLITE_HELPER_BASE"
  }
  rm -rf -- "$ctx"
}

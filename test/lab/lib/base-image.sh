# shellcheck shell=bash
# The base image of the example app: Debian bookworm minbase (debootstrap, since no
# image can be pulled here) plus this machine's node binary (it needs only glibc and
# libstdc++, which bookworm has). Tagged by a key over this script and the node binary,
# and cached as a tarball, so a second `up` (or a wiped docker) is fast.

BASE_CACHE=${BERTH_LAB_CACHE:-/var/cache/berth-lab}

base_image_key() {
  local node_sum
  node_sum=$(sha256sum "$(command -v node)" | cut -c1-64)
  printf '%s %s' "$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-64)" "$node_sum" | sha256sum | cut -c1-12
}

base_image_tag() { printf 'berth-lab/base:%s' "$(base_image_key)"; }

base_image_up() {
  local tag key tarball rootfs
  tag=$(base_image_tag)
  key=$(base_image_key)
  if ! docker image inspect "$tag" >/dev/null 2>&1; then
    tarball="$BASE_CACHE/base-$key.tar"
    if [ ! -s "$tarball" ]; then
      command -v debootstrap >/dev/null || die "debootstrap is missing: apt-get install debootstrap"
      log "building the base image rootfs with debootstrap (about 30 s)"
      mkdir -p "$BASE_CACHE"
      rootfs=$(mktemp -d "$BASE_CACHE/rootfs.XXXXXX")
      debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$BASE_CACHE/debootstrap.log" 2>&1 ||
        die "debootstrap failed: see $BASE_CACHE/debootstrap.log"
      install -m 0755 "$(command -v node)" "$rootfs/usr/local/bin/node"
      # Keep the image small: package caches and docs are not needed to run node.
      rm -rf "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/usr/share/doc" "$rootfs/usr/share/man"
      tar -C "$rootfs" -cf "$tarball.tmp" .
      mv "$tarball.tmp" "$tarball"
      rm -rf "$rootfs"
    fi
    log "importing $tag"
    docker import --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' --change 'WORKDIR /' "$tarball" "$tag" >/dev/null
  fi
  docker tag "$tag" berth-lab/base:current
  docker run --rm berth-lab/base:current node --version >/dev/null || die "the base image cannot run node"
}

base_image_status() {
  local tag
  tag=$(base_image_tag)
  if docker image inspect "$tag" >/dev/null 2>&1; then status_line base-image up "$tag"; else
    status_line base-image down "$tag"
    return 1
  fi
}

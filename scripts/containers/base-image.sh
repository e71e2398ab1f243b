#!/usr/bin/env bash
# The Debian base image every test image starts FROM: no registry can be pulled from here, so it is made with
# `debootstrap --variant=minbase bookworm` from the machine's own Debian mirror and `docker import`ed.
# The root filesystem tarball is cached ($CONTAINERS_CACHE), so a fresh engine re-imports it in seconds;
# the image is rebuilt only when missing. Prints the image name on its last line.
set -euo pipefail
LOG_NAME=base-image
. "$(dirname "$0")/lib.sh"

SUITE=bookworm
IMAGE="${CITUS_LAB_BASE_IMAGE:-citus-lab/debian-base:$SUITE}"
TARBALL="$CONTAINERS_CACHE/debian-$SUITE-minbase.tar"

# The Debian archive this machine's apt uses (deb822 or one-line sources), else Debian's default mirror.
debian_mirror() {
  local uri
  uri="$(grep -hs -A3 '^URIs:' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/debian.sources 2>/dev/null |
    awk '/^URIs:/ { u = $2 } /^Suites:/ && u !~ /security/ && $0 ~ /'"$SUITE"'/ { print u; exit }')"
  [ -n "$uri" ] || uri="$(awk '$1 == "deb" && $2 !~ /security/ && $3 == "'"$SUITE"'" { print $2; exit }' \
    /etc/apt/sources.list 2>/dev/null || true)"
  echo "${uri:-http://deb.debian.org/debian}"
}

docker_up || die "no Docker engine answers (scripts/containers/engine.sh start)"
if image_present "$IMAGE"; then
  log "$IMAGE present"
  echo "$IMAGE"
  exit 0
fi
started=$SECONDS
if [ ! -s "$TARBALL" ]; then
  command -v debootstrap >/dev/null || {
    [ "$(id -u)" = 0 ] || die "debootstrap is missing and installing it needs root: apt-get install debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >&2
  }
  mirror="$(debian_mirror)"
  root="$(mktemp -d "${TMPDIR:-/tmp}/citus-lab-debootstrap.XXXXXX")"
  trap 'rm -rf "$root"' EXIT
  log "debootstrap --variant=minbase $SUITE from $mirror (cold: ~2 minutes)"
  nice -n 10 debootstrap --variant=minbase "$SUITE" "$root" "$mirror" >"$CONTAINERS_CACHE/debootstrap.log" 2>&1 ||
    die "debootstrap failed; see $CONTAINERS_CACHE/debootstrap.log"
  # apt's download cache is of no use inside an image.
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -cf "$TARBALL.part" . && mv -f "$TARBALL.part" "$TARBALL"
fi
docker import "$TARBALL" "$IMAGE" >/dev/null
log "$IMAGE imported in $((SECONDS - started)) s"
echo "$IMAGE"

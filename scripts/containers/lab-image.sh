#!/usr/bin/env bash
# The lab's TEST STAND-IN for citusdata/citus:12.1 (infra/citus-standin/): FROM the Debian base image,
# PostgreSQL 15 from Debian, and the Citus files the host's PostgreSQL uses (`pg_config --pkglibdir`/citus*
# and `--sharedir`/extension/citus*), copied in. Citus is in no registry, so without it on the host there
# is no image: the script says so and exits 3, and the container tests skip.
#
# The tag carries a hash of the Dockerfile, the entrypoint and the Citus files, so any change to them builds
# a new image and an unchanged set-up reuses the old one. Prints the image name on its last line.
# Which Citus: see citus_pg_config in lib.sh.
set -euo pipefail
LOG_NAME=lab-image
. "$(dirname "$0")/lib.sh"

repo_root="$(cd "$(dirname "$0")/../.." && pwd -P)"
image_dir="$repo_root/infra/citus-standin"

pg_config="$(citus_pg_config)" || { log "Citus is not installed ($pg_config): no image built"; exit 3; }
pkglibdir="$("$pg_config" --pkglibdir)"
extdir="$("$pg_config" --sharedir)/extension"
base_image="$(bash "$(dirname "$0")/base-image.sh")"
citus_version="$(sed -n "s/^default_version = '\([0-9.]*\)-[0-9]*'$/\1/p" "$extdir/citus.control")"

# The build context: only what the image needs (the classic builder sends the whole directory).
ctx="$(mktemp -d "${TMPDIR:-/tmp}/citus-lab-image.XXXXXX")"
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/citus/lib" "$ctx/citus/extension"
cp "$image_dir/Dockerfile" "$image_dir/docker-entrypoint.sh" "$ctx/"
cp -a "$pkglibdir"/citus*.so "$ctx/citus/lib/"
[ -d "$pkglibdir/citus_decoders" ] && cp -a "$pkglibdir/citus_decoders" "$ctx/citus/lib/"
cp -a "$extdir"/citus* "$ctx/citus/extension/"

hash="$(cd "$ctx" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)"
image="${CITUS_LAB_TEST_IMAGE_REPO:-citus-lab/citus-standin}:${citus_version:-unknown}-$hash"
if image_present "$image"; then
  log "$image present"
  echo "$image"
  exit 0
fi

# The mirrors the host's apt uses, so the image gets the same PostgreSQL minor version.
mirror="$(grep -hs '^URIs:' /etc/apt/sources.list.d/debian.sources | awk '$2 !~ /security/ { print $2; exit }')"
security="$(grep -hs '^URIs:' /etc/apt/sources.list.d/debian.sources | awk '$2 ~ /security/ { print $2; exit }')"
started=$SECONDS
log "building $image from $base_image (Citus $citus_version from $pkglibdir)"
DOCKER_BUILDKIT=0 nice -n 10 docker build --quiet \
  --build-arg "BASE_IMAGE=$base_image" \
  ${mirror:+--build-arg "DEBIAN_MIRROR=$mirror"} ${security:+--build-arg "DEBIAN_SECURITY_MIRROR=$security"} \
  --label "org.citus-lab.stand-in-for=citusdata/citus:12.1" --label "org.citus-lab.citus-version=$citus_version" \
  -t "$image" "$ctx" >&2 || die "docker build of $image failed (see above)"
log "$image built in $((SECONDS - started)) s"
# Older builds of the stand-in are dead weight (their shared layers stay with the new image).
docker image ls "${image%:*}" --format '{{.Repository}}:{{.Tag}}' | grep -vxF "$image" | xargs -r docker rmi >/dev/null || true
echo "$image"

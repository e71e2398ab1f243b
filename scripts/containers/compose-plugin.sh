#!/usr/bin/env bash
# Installs Docker Compose v2 as the docker CLI plugin ~/.docker/cli-plugins/docker-compose, built from the
# Go module proxy (no registry serves its release binaries here). Kept when it already reports the version.
#
# Why a wrapper module: compose's go.mod has `exclude` directives, so `go install .../v2/cmd@vX` refuses.
# A throwaway main module that requires compose and repeats the same `exclude` block builds the same code.
# Cold: ~8 minutes on 2 busy cores, under `nice -n 19` so other work keeps its CPU.
set -euo pipefail
LOG_NAME=compose-plugin
. "$(dirname "$0")/lib.sh"

COMPOSE_VERSION="${CITUS_LAB_COMPOSE_VERSION:-v2.40.3}"
PLUGIN_DIR="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
PLUGIN="$PLUGIN_DIR/docker-compose"

if [ -x "$PLUGIN" ] && "$PLUGIN" version 2>/dev/null | grep -q "${COMPOSE_VERSION}\$"; then
  log "docker compose $COMPOSE_VERSION present"
  exit 0
fi
command -v go >/dev/null || die "Go is not installed: Docker Compose $COMPOSE_VERSION is built from the Go module proxy."

started=$SECONDS
work="$(mktemp -d "${TMPDIR:-/tmp}/citus-lab-compose-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
log "building docker compose $COMPOSE_VERSION from the Go module proxy (cold: ~2 minutes after the Kubernetes builds on idle cores, ~8 on busy ones)"
cd "$work"
printf 'module citus-lab.invalid/compose-plugin\n\ngo 1.26\n' >go.mod
compose_gomod="$(go mod download -json "github.com/docker/compose/v2@$COMPOSE_VERSION" |
  sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
[ -f "$compose_gomod" ] || die "could not download github.com/docker/compose/v2@$COMPOSE_VERSION from the Go module proxy."
{
  printf 'module citus-lab.invalid/compose-plugin\n\ngo 1.26\n\nrequire github.com/docker/compose/v2 %s\n\n' "$COMPOSE_VERSION"
  # compose's own exclude block, verbatim (with its comments).
  sed -n '/^exclude (/,/^)/p' "$compose_gomod"
} >go.mod
grep -q '^exclude (' go.mod || die "no exclude block in compose $COMPOSE_VERSION's go.mod: this wrapper recipe needs updating."
export CGO_ENABLED=0 GOFLAGS="-trimpath -buildvcs=false -mod=mod"
nice -n 19 go build -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION" \
  -o "$work/docker-compose" github.com/docker/compose/v2/cmd
mkdir -p "$PLUGIN_DIR"
mv -f "$work/docker-compose" "$PLUGIN"
"$PLUGIN" version | grep -q "${COMPOSE_VERSION}\$" || die "the built plugin does not report $COMPOSE_VERSION"
log "docker compose $COMPOSE_VERSION built in $((SECONDS - started)) s"

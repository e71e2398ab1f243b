#!/usr/bin/env bash
# What the container tests (test/environments/compose/*.real.test.ts) need, for scripts/test.sh; not for
# quickstart. Everything lives outside the repository (~/.cache/citus-lab/containers, ~/.docker/cli-plugins,
# the engine's own storage) and every step is skipped when its result is already there.
#
#   container-test-tools.sh up    Citus on the host? -> Docker engine (Debian's docker.io; dockerd started when
#                                 none answers) -> Compose v2 plugin (built from the Go module proxy) -> Debian
#                                 base image -> the lab's stand-in image for citusdata/citus:12.1 -> the real
#                                 Kubernetes node's binaries (scripts/k8s-node-tools.sh). Writes the
#                                 result to $CONTAINERS_CACHE/tests.env (read by test/support/containers.ts):
#                                 CITUS_LAB_TEST_COMPOSE_IMAGE=<image>, or CITUS_LAB_TEST_CONTAINERS_SKIP=<why>.
#   container-test-tools.sh down  Stops dockerd only if `up` of this same test run (CITUS_LAB_CONTAINERS_RUN_ID)
#                                 started it; an engine that was already running is left alone.
#
# CITUS_LAB_SKIP_CONTAINERS=1 skips it all (the tests then skip with one line). Times on 2 busy cores: README.
set -euo pipefail
LOG_NAME=container-test-tools
here="$(cd "$(dirname "$0")/containers" && pwd -P)"
. "$here/lib.sh"
RESULT="$CONTAINERS_CACHE/tests.env"

skip() {
  log "container tests will skip: $*"
  printf 'CITUS_LAB_TEST_CONTAINERS_SKIP=%s\n' "$*" >"$RESULT"
  exit 0
}

up() {
  rm -f "$RESULT"
  [ -z "${CITUS_LAB_SKIP_CONTAINERS:-}" ] || skip "CITUS_LAB_SKIP_CONTAINERS is set"
  # Without Citus there is no image to test, so nothing else is worth building.
  local why
  why="$(citus_pg_config)" || skip "Citus is not installed ($why)"
  if ! docker_up && [ "$(id -u)" != 0 ]; then skip "no Docker engine answers, and only root may install or start one here"; fi
  local started=$SECONDS
  bash "$here/engine.sh" start
  bash "$here/compose-plugin.sh"
  local image
  image="$(bash "$here/lab-image.sh" | tail -n 1)"
  # The real Kubernetes node's binaries (kubelet, kube-proxy, kubectl, CoreDNS) for the --env minikube
  # tests; they run the same image. Skipped with the control-plane build (CITUS_LAB_SKIP_K8S_TOOLS).
  if [ -z "${CITUS_LAB_SKIP_K8S_TOOLS:-}" ]; then bash "$here/../k8s-node-tools.sh" >/dev/null; fi
  printf 'CITUS_LAB_TEST_COMPOSE_IMAGE=%s\n' "$image" >"$RESULT"
  log "ready in $((SECONDS - started)) s: $image"
}

case "${1:-}" in
  up) up ;;
  down) bash "$here/engine.sh" stop ;;
  *) die "usage: container-test-tools.sh up|down" ;;
esac

#!/usr/bin/env bash
# The Docker engine for the container tests.
#   engine.sh start: installs Debian's docker.io when dockerd is missing, starts dockerd in the background
#                    when no engine answers (log: $CONTAINERS_CACHE/dockerd.log), and records its pid with
#                    CITUS_LAB_CONTAINERS_RUN_ID (the test run). An engine that already answers is used as is.
#   engine.sh stop:  stops dockerd only if `start` of the same run (same CITUS_LAB_CONTAINERS_RUN_ID) started
#                    it; an engine someone else runs, or another run started, is left alone.
set -euo pipefail
LOG_NAME=docker-engine
. "$(dirname "$0")/lib.sh"

STARTED_FILE="$CONTAINERS_CACHE/dockerd.started-by-tests.pid"
DOCKERD_LOG="$CONTAINERS_CACHE/dockerd.log"
START_TIMEOUT_S="${CITUS_LAB_DOCKERD_START_TIMEOUT:-60}"

pid_alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

start() {
  if docker_up; then
    log "engine $(docker version --format '{{.Server.Version}}') already running"
    return 0
  fi
  if ! command -v dockerd >/dev/null; then
    [ "$(id -u)" = 0 ] || die "dockerd is missing and installing it needs root: apt-get install docker.io"
    log "installing Debian's docker.io (apt)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker.io >&2 ||
      die "apt-get install docker.io failed (see above)"
  fi
  [ "$(id -u)" = 0 ] || die "no Docker engine answers and starting dockerd needs root"
  # The client shipped here may be newer than Debian's engine; it negotiates the API version itself.
  command -v docker >/dev/null || die "no docker client on PATH (Debian's docker.io ships one)"
  log "starting dockerd (log: $DOCKERD_LOG)"
  setsid dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
  local pid=$!
  echo "$pid ${CITUS_LAB_CONTAINERS_RUN_ID:-by-hand}" >"$STARTED_FILE"
  local since=$SECONDS
  until docker_up; do
    pid_alive "$pid" || { rm -f "$STARTED_FILE"; die "dockerd exited at start; last lines of $DOCKERD_LOG:
$(tail -n 20 "$DOCKERD_LOG")"; }
    [ $((SECONDS - since)) -lt "$START_TIMEOUT_S" ] || die "dockerd did not answer within ${START_TIMEOUT_S} s (log: $DOCKERD_LOG)"
    sleep 0.2
  done
  log "dockerd $pid up in $((SECONDS - since)) s"
}

stop() {
  local pid run
  read -r pid run 2>/dev/null <"$STARTED_FILE" || true
  if [ -z "${pid:-}" ] || [ "${run:-}" != "${CITUS_LAB_CONTAINERS_RUN_ID:-by-hand}" ]; then
    log "dockerd was not started by this run; left as it is"
    return 0
  fi
  rm -f "$STARTED_FILE"
  pid_alive "$pid" || return 0
  log "stopping dockerd $pid (started by this run)"
  kill -TERM "$pid"
  for _ in $(seq 1 300); do pid_alive "$pid" || return 0; sleep 0.1; done
  log "dockerd $pid still running after 30 s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) die "usage: engine.sh start|stop" ;;
esac

#!/usr/bin/env bash
# `npm run setup`: installs what the main job (deploy and the other lab commands) needs and is missing:
# PostgreSQL 15 server + dev headers (apt), the Temporal CLI v1.5.1 (go install, kept in Go's bin dir
# outside the repository and reused), the npm dependencies and the dashboards' bundle. Safe to run
# again: each step checks first and says what it does and roughly how long it takes. What only the
# tests need (the Kubernetes test binaries, chromium, the container engine) is not part of it:
# `npm test` installs those (scripts/test.sh). Citus is in no registry here (README).
set -euo pipefail
cd "$(dirname "$0")/.."

TEMPORAL_CLI_VERSION=v1.5.1
log() { printf 'setup: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else log "need root for: $*"; return 1; fi; }
started=$SECONDS
step_started=$SECONDS
done_step() { log "  done in $((SECONDS - step_started)) s"; }

# 1. PostgreSQL 15 (server, contrib, headers for building extensions such as Citus).
missing=()
for pkg in postgresql-15 postgresql-server-dev-15; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  step_started=$SECONDS
  log "1/3 installing ${missing[*]} with apt (about 1-2 minutes)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  done_step
else
  log "1/3 PostgreSQL 15 server and headers present"
fi

# 2. The Temporal CLI (dev server + Web UI), built from the Go module proxy once per machine. The build
#    is the long step: `go install -v` names each package it compiles, shown here as a running count.
gobin="$(go env GOBIN 2>/dev/null || true)"; [ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
temporal_bin="${TEMPORAL_CLI_PATH:-$gobin/temporal}"
if [ -x "$temporal_bin" ] && "$temporal_bin" --version 2>/dev/null | grep -q 'Server 1.29.1'; then
  log "2/3 Temporal CLI present: $temporal_bin"
else
  step_started=$SECONDS
  log "2/3 building the Temporal CLI $TEMPORAL_CLI_VERSION with go install (cold: about 4 minutes on 2 idle cores, much longer on busy ones, see README; reused afterwards)"
  go install -v "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION" 2>&1 | {
    packages=0 last=$SECONDS
    while IFS= read -r line; do
      # A compiled package is a bare import path; anything with a space is a message (an error's
      # "# pkg" header and file:line lines included). Matching "error" caught packages named errors.
      case "$line" in
        go:\ downloading*) ;;
        *[[:space:]]*) printf '%s\n' "$line" >&2 ;;
        *) packages=$((packages + 1)) ;;
      esac
      if [ $((SECONDS - last)) -ge 15 ]; then
        last=$SECONDS
        log "  still building: $packages of about 1300 packages compiled ($((SECONDS - step_started)) s)"
      fi
    done
    log "  $packages packages compiled"
  }
  [ -x "$gobin/temporal" ] || { log "go install did not produce $gobin/temporal (see the lines above)"; exit 1; }
  log "Temporal CLI installed: $gobin/temporal"
  done_step
fi

# 3. npm dependencies, exactly as locked.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] || [ -n "${CI:-}" ]; then
  step_started=$SECONDS
  log "3/3 installing npm dependencies with npm ci (about 1-3 minutes with an empty npm cache)"
  npm ci --no-audit --no-fund --loglevel=error || {
    log "npm ci refused (lock file out of step with package.json?): falling back to npm install"
    npm install --no-audit --no-fund --loglevel=error
  }
  done_step
else
  log "3/3 npm dependencies up to date"
fi

# The dashboards' bundle (Preact + Chart.js from node_modules, esbuild) into dist/dashboard, which
# the API serves at /app/. Built every time: it takes about a second and never needs the network.
npm run -s build:dashboard

# Citus: optional here, required for a real deploy.
# The PostgreSQL the lab will run: CITUS_LAB_PG_BIN when set (README, Citus), else Debian's.
pg_config_bin="${CITUS_LAB_PG_BIN:-/usr/lib/postgresql/15/bin}/pg_config"
if [ -f "$("$pg_config_bin" --sharedir)/extension/citus.control" ]; then
  log "Citus is installed: deploy --env local will work end to end"
else
  log "Citus is NOT installed for the PostgreSQL 15 at $pg_config_bin: tests that need it will skip; see README (Citus) to build it"
fi
log "set-up done in $((SECONDS - started)) s"

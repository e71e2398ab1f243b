#!/usr/bin/env bash
# Installs what citus-lab needs and is missing: PostgreSQL 15 server + dev headers (apt), the Temporal
# CLI v1.5.1 (go install, kept in Go's bin dir outside the repository and reused), npm dependencies,
# the dashboards' bundle and chromium for their browser tests.
# Safe to run again: each step checks first. Citus itself is in no registry here (see README).
set -euo pipefail
cd "$(dirname "$0")/.."

TEMPORAL_CLI_VERSION=v1.5.1
log() { printf 'setup: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else log "need root for: $*"; return 1; fi; }

# 1. PostgreSQL 15 (server, contrib, headers for building extensions such as Citus).
missing=()
for pkg in postgresql-15 postgresql-server-dev-15; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]} (apt)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "PostgreSQL 15 server and headers present"
fi

# 2. The Temporal CLI (dev server + Web UI), built from the Go module proxy once per machine.
gobin="$(go env GOBIN 2>/dev/null || true)"; [ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
temporal_bin="${TEMPORAL_CLI_PATH:-$gobin/temporal}"
if [ -x "$temporal_bin" ] && "$temporal_bin" --version 2>/dev/null | grep -q 'Server 1.29.1'; then
  log "Temporal CLI present: $temporal_bin"
else
  log "building the Temporal CLI $TEMPORAL_CLI_VERSION with go install (takes a few minutes the first time)"
  go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION"
  log "Temporal CLI installed: $gobin/temporal"
fi

# 3. A real Kubernetes control plane for the Kubernetes tests (kube-apiserver & co. from the Go module
#    proxy, KWOK for fake nodes), cached outside the repository. About 10 minutes cold, seconds after.
if [ -n "${CITUS_LAB_SKIP_K8S_TOOLS:-}" ]; then
  log "skipping the Kubernetes test binaries (CITUS_LAB_SKIP_K8S_TOOLS is set): those tests will skip"
else
  bash scripts/k8s-test-tools.sh >/dev/null
  log "Kubernetes test binaries present"
fi

# 4. npm dependencies, exactly as locked.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] || [ -n "${CI:-}" ]; then
  log "installing npm dependencies (npm ci)"
  # The registry here lacks some of @swc/core's optional per-platform packages, which leaves the lock
  # file without their entries; npm ci then refuses it as out of sync. npm install still installs the
  # locked versions of everything that exists.
  npm ci --no-audit --no-fund --loglevel=error 2>/dev/null || npm install --no-audit --no-fund --loglevel=error
else
  log "npm dependencies up to date"
fi

# 5. The dashboards' bundle (Preact + Chart.js from node_modules, esbuild) into dist/dashboard, which
#    the API serves at /app/. Built every time: it takes about a second and never needs the network.
npm run -s build:dashboard

# 6. Chromium for the browser tests of the dashboards (Debian's package; playwright-core drives it,
#    so no browser is ever downloaded). CITUS_LAB_SKIP_CHROMIUM=1 leaves it out: those tests skip.
if command -v chromium >/dev/null 2>&1; then
  log "chromium present: the dashboard browser tests will run"
elif [ -n "${CITUS_LAB_SKIP_CHROMIUM:-}" ]; then
  log "skipping chromium (CITUS_LAB_SKIP_CHROMIUM is set): the browser tests will skip"
else
  log "installing chromium (apt) for the dashboard browser tests"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

# 7. Citus: optional here, required for a real deploy.
if [ -f "$(/usr/lib/postgresql/15/bin/pg_config --sharedir)/extension/citus.control" ]; then
  log "Citus is installed: deploy --env local will work end to end"
else
  log "Citus is NOT installed for PostgreSQL 15: tests that need it will skip; see README (Citus) to build it"
fi

#!/usr/bin/env bash
# The one test command (README, CI): installs what is missing (the main job's set-up, then what only
# the tests need: the Kubernetes test binaries, chromium, the container engine), type-checks, lints, runs every jest suite against a real Temporal dev
# server and real PostgreSQL, and ends with a plain summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# A real Kubernetes control plane for the Kubernetes tests (kube-apiserver & co. from the Go module
# proxy, KWOK for fake nodes), cached outside the repository: ~8 minutes cold on 2 idle cores, seconds after.
if [ -n "${CITUS_LAB_SKIP_K8S_TOOLS:-}" ]; then
  echo "test: skipping the Kubernetes test binaries (CITUS_LAB_SKIP_K8S_TOOLS is set): those tests will skip" >&2
else
  echo "test: Kubernetes test binaries (cold: ~8 minutes on 2 idle cores, then reused)" >&2
  bash scripts/k8s-test-tools.sh >/dev/null
  echo "test: Kubernetes test binaries present" >&2
fi
# Chromium for the browser tests of the dashboards (Debian's package; playwright-core drives it, so no
# browser is ever downloaded). CITUS_LAB_SKIP_CHROMIUM=1 leaves it out: those tests then skip.
if command -v chromium >/dev/null 2>&1; then
  echo "test: chromium present: the dashboard browser tests will run" >&2
elif [ -n "${CITUS_LAB_SKIP_CHROMIUM:-}" ]; then
  echo "test: skipping chromium (CITUS_LAB_SKIP_CHROMIUM is set): the browser tests will skip" >&2
else
  echo "test: installing chromium (apt) for the dashboard browser tests" >&2
  if [ "$(id -u)" = 0 ]; then sudo=(); else sudo=(sudo); fi
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
# The container tests' engine, compose plugin and images (cached outside the repository); a dockerd this
# run starts is stopped when it ends, one that was already running is left alone.
export CITUS_LAB_CONTAINERS_RUN_ID="test-$$"
trap 'bash scripts/container-test-tools.sh down' EXIT
bash scripts/container-test-tools.sh up
npx tsc --noEmit -p .
# The dashboard runs in the browser: its own tsconfig (DOM, JSX).
npx tsc --noEmit -p src/dashboard
npx eslint .
results="$(mktemp)"
status=0
NODE_OPTIONS=--experimental-vm-modules npx jest --json --outputFile="$results" "$@" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
' "$results" || true
rm -f "$results"
exit $status

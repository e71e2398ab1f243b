#!/usr/bin/env bash
# The one test command (README, CI): installs what is missing (the main job's set-up, then the
# Kubernetes test binaries), type-checks, lints, runs every jest suite against a real Temporal dev
# server and real PostgreSQL, and ends with a plain summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# A real Kubernetes control plane for the Kubernetes tests (kube-apiserver & co. from the Go module
# proxy, KWOK for fake nodes), cached outside the repository: ~10-12 minutes cold, seconds after.
if [ -n "${CITUS_LAB_SKIP_K8S_TOOLS:-}" ]; then
  echo "test: skipping the Kubernetes test binaries (CITUS_LAB_SKIP_K8S_TOOLS is set): those tests will skip" >&2
else
  echo "test: Kubernetes test binaries (cold: ~10-12 minutes, then reused)" >&2
  bash scripts/k8s-test-tools.sh >/dev/null
  echo "test: Kubernetes test binaries present" >&2
fi
npx tsc --noEmit -p .
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

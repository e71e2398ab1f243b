#!/usr/bin/env bash
# The one test command (README, CI): installs what is missing, type-checks, lints, runs every jest
# suite against a real Temporal dev server and real PostgreSQL, and ends with a plain summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
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

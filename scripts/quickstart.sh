#!/usr/bin/env bash
# The main job on a fresh machine: install what is missing, then deploy the local lab through the
# embedded Temporal dev server with an in-process worker. Extra arguments go to `deploy`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec npx tsx src/cli.ts deploy --env local "$@"

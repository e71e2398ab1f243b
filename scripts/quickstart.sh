#!/usr/bin/env bash
# The main job on a fresh machine: install what is missing (PostgreSQL, the Temporal CLI, npm packages;
# not the Kubernetes test binaries), then deploy the local lab through the embedded Temporal dev server
# with an in-process worker. Extra arguments go to `deploy`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "quickstart: deploying the local lab (deploy --env local; about 10 s once everything is installed)" >&2
exec npx tsx src/cli.ts deploy --env local "$@"

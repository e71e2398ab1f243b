#!/usr/bin/env bash
# Runs once, on the first start of an empty data directory (the postgres image's initdb hook), after the
# image's own 001-create-citus-extension.sql. Creates the lab database with the citus extension, and on
# the coordinator the lab's tables (sql/schema.sql, plain idempotent DDL). Distributing them stays with
# `citus-lab deploy`, which needs the workers registered first.
set -euo pipefail

db="${CITUS_LAB_DATABASE:-hce_distribuida}"
if [[ ! "$db" =~ ^[a-z_][a-z0-9_]{0,62}$ ]]; then
  echo "CITUS_LAB_DATABASE must be a plain lowercase SQL identifier, got '$db'" >&2
  exit 1
fi

psql=(psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --no-password)
if [ "$("${psql[@]}" --dbname postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]; then
  "${psql[@]}" --dbname postgres -c "CREATE DATABASE \"$db\""
fi
"${psql[@]}" --dbname "$db" -c 'CREATE EXTENSION IF NOT EXISTS citus'

if [ "${CITUS_LAB_ROLE:-worker}" = coordinator ]; then
  "${psql[@]}" --dbname "$db" -f "${CITUS_LAB_SCHEMA_SQL:-/opt/citus-lab/sql/schema.sql}"
fi

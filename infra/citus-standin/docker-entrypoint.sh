#!/usr/bin/env bash
# Entrypoint of the test stand-in image, written for this project. It honours the contract of the official
# postgres images that the lab's compose file and manifests rely on:
#   POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE), POSTGRES_USER (default postgres), POSTGRES_DB (default
#   POSTGRES_USER), POSTGRES_HOST_AUTH_METHOD (pg_hba method for TCP, default scram-sha-256),
#   POSTGRES_INITDB_ARGS; /docker-entrypoint-initdb.d/* (*.sh executed or sourced, *.sql, *.sql.gz) run once,
#   on the first start of an empty PGDATA, against a server reachable only through its Unix socket;
#   arguments go to postgres (`-c x=y` alone means `postgres -c x=y`; any other command runs as given).
set -Eeuo pipefail

log() { printf 'docker-entrypoint: %s\n' "$*" >&2; }

# VAR or VAR_FILE (Docker/Kubernetes secrets), never both.
file_env() {
  local var="$1" file_var="${1}_FILE" default="${2:-}"
  if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
    log "both $var and $file_var are set; use one"
    exit 1
  fi
  local value="$default"
  if [ -n "${!var:-}" ]; then value="${!var}"; elif [ -n "${!file_var:-}" ]; then value="$(<"${!file_var}")"; fi
  export "$var"="$value"
  unset "$file_var"
}

if [ "${1:0:1}" = '-' ]; then set -- postgres "$@"; fi

# Anything but postgres (bash, pg_isready ...) runs as given.
if [ "$1" != postgres ]; then exec "$@"; fi

# As root: own the data directory, then run again as the postgres user (initdb and postgres refuse root).
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chmod 0700 "$PGDATA"
  chown -R postgres:postgres "$PGDATA" /var/run/postgresql
  # HOME too (setpriv keeps root's): libpq looks there for client certificates on Citus' own connections.
  HOME="$(getent passwd postgres | cut -d: -f6)" exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH_SOURCE" "$@"
fi

file_env POSTGRES_PASSWORD
file_env POSTGRES_USER postgres
file_env POSTGRES_DB "$POSTGRES_USER"
file_env POSTGRES_INITDB_ARGS
auth_method="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"

first_start() {
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$auth_method" != trust ]; then
    log "PGDATA is empty and POSTGRES_PASSWORD is not set: set it (or POSTGRES_HOST_AUTH_METHOD=trust, insecure)"
    exit 1
  fi
  # The password goes to initdb through a file only the server user can read (never on a command line;
  # no /dev/fd in a debootstrapped image for process substitution), removed right after.
  local initdb_args=(--username="$POSTGRES_USER" --auth-local=trust --auth-host="$auth_method")
  local pwfile=""
  if [ -n "$POSTGRES_PASSWORD" ]; then
    pwfile="$(umask 077 && mktemp)"
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
    initdb_args+=(--pwfile="$pwfile")
  fi
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of words by contract
  initdb "${initdb_args[@]}" $POSTGRES_INITDB_ARGS || { rm -f "$pwfile"; exit 1; }
  rm -f "$pwfile"
  printf '\nlisten_addresses = '"'*'"'\n' >>"$PGDATA/postgresql.conf"
  printf '\nhost all all all %s\n' "$auth_method" >>"$PGDATA/pg_hba.conf"

  # A temporary server on the Unix socket only, for POSTGRES_DB and the init scripts.
  pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -c unix_socket_directories=/var/run/postgresql" start
  local psql=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
  if [ "$POSTGRES_DB" != postgres ]; then
    local exists
    exists="$("${psql[@]}" --dbname postgres -tA --set db="$POSTGRES_DB" <<<"SELECT 1 FROM pg_database WHERE datname = :'db'")"
    if [ "$exists" != 1 ]; then "${psql[@]}" --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db"'; fi
  fi
  local f
  for f in /docker-entrypoint-initdb.d/*; do
    [ -e "$f" ] || continue
    case "$f" in
      *.sh)
        if [ -x "$f" ]; then log "running $f"; "$f"; else log "sourcing $f"; . "$f"; fi ;;
      *.sql) log "running $f"; "${psql[@]}" --dbname "$POSTGRES_DB" -f "$f" ;;
      *.sql.gz) log "running $f"; gunzip -c "$f" | "${psql[@]}" --dbname "$POSTGRES_DB" ;;
      *) log "ignoring $f" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop
  log "first start done; starting postgres"
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then first_start; fi
# The init scripts ran against POSTGRES_DB with these set; the server itself must not inherit the password.
unset POSTGRES_PASSWORD
exec "$@"

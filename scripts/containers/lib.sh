# Shared by the container test set-up scripts (sourced, not run): where the cache lives, logging.
# Everything these scripts make lives outside the repository, under $CONTAINERS_CACHE.
CONTAINERS_CACHE="${CITUS_LAB_CONTAINERS_CACHE:-$HOME/.cache/citus-lab/containers}"
mkdir -p "$CONTAINERS_CACHE"

log() { printf '%s: %s\n' "${LOG_NAME:-containers}" "$*" >&2; }
die() { log "$*"; exit 1; }

# docker_up: the Docker engine answers (any client on PATH; Debian's 20.10 engine or newer).
docker_up() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# image_present NAME: the engine has an image with that name:tag.
image_present() { docker image inspect "$1" >/dev/null 2>&1; }

# citus_pg_config: prints the pg_config of the PostgreSQL whose Citus the test image copies
# ($CITUS_LAB_PG_BIN/pg_config when set, as the tool picks PostgreSQL, else Debian's 15), or prints why
# there is no Citus to copy and returns 1.
citus_pg_config() {
  if [ -n "${CITUS_LAB_TEST_NO_CITUS:-}" ]; then echo "CITUS_LAB_TEST_NO_CITUS is set"; return 1; fi
  local pg_config="${CITUS_LAB_PG_BIN:-/usr/lib/postgresql/15/bin}/pg_config"
  [ -x "$pg_config" ] || pg_config="$(command -v pg_config || true)"
  [ -n "$pg_config" ] || { echo "no pg_config found"; return 1; }
  local pkglibdir sharedir
  pkglibdir="$("$pg_config" --pkglibdir)" && sharedir="$("$pg_config" --sharedir)" || { echo "$pg_config failed"; return 1; }
  if [ ! -f "$pkglibdir/citus.so" ] || [ ! -f "$sharedir/extension/citus.control" ]; then
    echo "no citus.so in $pkglibdir or no citus.control in $sharedir/extension"
    return 1
  fi
  echo "$pg_config"
}

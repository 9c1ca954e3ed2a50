# Sourced by scripts/test.sh (bash, set -euo pipefail): a private PostgreSQL for the registry tests.
# Why: the registry suite runs against SQLite *and* PostgreSQL; locally the postgres tests skip when no
# server is available, but in CI (CI=true) a missing server is an error, never a silent skip.
# Exports CALCITRACK_TEST_POSTGRES_URL. Idempotent: a running cluster in .cache/pg is reused.
_ct_pg_setup() {
  local root="${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
  local dir="$root/.cache/pg" data sock port bindir run_as=()
  data="$dir/data"; sock="$dir/sock"
  _ct_pg_fail() {
    echo "services.sh: $1" >&2
    if [ "${CI:-}" = "true" ]; then return 1; fi
    echo "services.sh: PostgreSQL tests will be skipped" >&2
    return 2
  }
  bindir=""
  _ct_find_bindir() {
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
      if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then bindir="$d"; return 0; fi
    done
    if command -v pg_ctl >/dev/null 2>&1; then
      d="$(dirname "$(readlink -f "$(command -v pg_ctl)")")"
      if [ -x "$d/initdb" ] && [ -x "$d/psql" ]; then bindir="$d"; return 0; fi
    fi
    return 1
  }
  if ! _ct_find_bindir; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
      echo "services.sh: installing PostgreSQL (apt-get) ..." >&2
      if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null 2>&1 \
             || { apt-get update -qq >/dev/null 2>&1 \
                  && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null 2>&1; }; }; then
        _ct_pg_fail "apt-get install postgresql failed"; return $?
      fi
      _ct_find_bindir || { _ct_pg_fail "PostgreSQL installed but initdb/pg_ctl not found"; return $?; }
    else
      _ct_pg_fail "PostgreSQL (initdb, pg_ctl) is not installed and cannot be installed (not root or no apt-get)"
      return $?
    fi
  fi
  if [ "$(id -u)" = "0" ]; then
    id postgres >/dev/null 2>&1 || { _ct_pg_fail "running as root but there is no 'postgres' user"; return $?; }
    run_as=(runuser -u postgres --)
  fi
  mkdir -p "$dir" "$sock"
  [ "$(id -u)" = "0" ] && chown postgres "$dir" "$sock"
  if [ ! -f "$data/PG_VERSION" ]; then
    rm -rf "$data"
    "${run_as[@]}" "$bindir/initdb" -D "$data" -A trust -U postgres -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
      || { _ct_pg_fail "initdb failed (see $dir/initdb.log)"; return $?; }
  fi
  if "${run_as[@]}" "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1 && [ -f "$dir/port" ]; then
    port="$(cat "$dir/port")"
  else
    port="$("${PYTHON:-python3}" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    echo "$port" >"$dir/port"
    "${run_as[@]}" "$bindir/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 30 \
      -o "-p $port -k $sock -c listen_addresses=127.0.0.1 -c fsync=on" start >/dev/null \
      || { _ct_pg_fail "could not start PostgreSQL (see $dir/server.log)"; return $?; }
  fi
  if ! "${run_as[@]}" "$bindir/psql" -h "$sock" -p "$port" -U postgres -d postgres -tAc \
       "SELECT 1 FROM pg_database WHERE datname='calcitrack_test'" | grep -q 1; then
    "${run_as[@]}" "$bindir/createdb" -h "$sock" -p "$port" -U postgres calcitrack_test \
      || { _ct_pg_fail "createdb failed"; return $?; }
  fi
  # The unix socket: a third of the round-trip time of TCP on localhost.
  export CALCITRACK_TEST_POSTGRES_URL="postgresql+psycopg://postgres@/calcitrack_test?host=$sock&port=$port"
  echo "services.sh: PostgreSQL ready on $sock port $port (CALCITRACK_TEST_POSTGRES_URL exported)" >&2
}
if [ -z "${CALCITRACK_TEST_POSTGRES_URL:-}" ]; then
  _ct_pg_status=0
  _ct_pg_setup || _ct_pg_status=$?
  if [ "$_ct_pg_status" = "1" ]; then exit 1; fi
  unset _ct_pg_status
fi

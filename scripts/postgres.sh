#!/usr/bin/env bash
# A throw-away PostgreSQL cluster on a loopback port, for the tests.
#
#   scripts/postgres.sh start DIR   creates and starts a cluster in the empty folder DIR
#                                   and prints its URL, postgres://postgres@127.0.0.1:PORT
#   scripts/postgres.sh stop DIR    stops it, cutting every connection (the caller deletes DIR)
#   scripts/postgres.sh resume DIR  starts a stopped cluster again on its port
#
# The cluster trusts every loopback connection and does not sync to disk: it is
# made for one test run and never holds anything worth keeping.
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ]; then
  echo "postgres.sh: PostgreSQL is not installed (scripts/setup.sh installs it)" >&2
  exit 1
fi

# PostgreSQL refuses to run as root: as root, the cluster belongs to the
# postgres user that Debian's package creates.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# Starts the server in DIR on `port`; fails if the port is taken.
launch() {
  as_owner "$bin/pg_ctl" --pgdata="$dir/data" --log="$dir/server.log" --wait \
    --options="-c listen_addresses=127.0.0.1 -c port=$1 -c unix_socket_directories=$dir \
      -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null
}

command=${1:-}
dir=${2:-}
if [ -z "$dir" ] || [ ! -d "$dir" ]; then
  echo "usage: scripts/postgres.sh start|stop|resume DIR (an existing folder)" >&2
  exit 2
fi

case "$command" in
  start)
    [ "$(id -u)" -ne 0 ] || chown postgres: "$dir"
    as_owner "$bin/initdb" --pgdata="$dir/data" --username=postgres --auth=trust \
      --encoding=UTF8 --no-sync >"$dir/initdb.log" 2>&1 || {
      cat "$dir/initdb.log" >&2
      exit 1
    }
    # A free port: try random ones until the server starts on one.
    for _ in 1 2 3 4 5 6 7 8; do
      port=$((20000 + RANDOM % 30000))
      if launch "$port"; then
        echo "$port" >"$dir/port"
        echo "postgres://postgres@127.0.0.1:$port"
        exit 0
      fi
    done
    echo "postgres.sh: the server did not start; its log:" >&2
    cat "$dir/server.log" >&2
    exit 1
    ;;
  stop)
    as_owner "$bin/pg_ctl" --pgdata="$dir/data" --mode=fast stop >/dev/null
    ;;
  resume)
    launch "$(cat "$dir/port")"
    ;;
  *)
    echo "usage: scripts/postgres.sh start|stop|resume DIR" >&2
    exit 2
    ;;
esac

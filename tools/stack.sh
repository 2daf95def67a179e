#!/usr/bin/env bash
# Local stack: nats-server (JetStream) and PostgreSQL under var/, bound to
# loopback. Used by `make up`, `make down` and `make run`.
#
#   tools/stack.sh up | down | status | env
#
# Ports (override with the environment):
#   TP_NATS_PORT (4222)  TP_NATS_MONITOR_PORT (8222)  TP_PG_PORT (55432)
# PostgreSQL refuses to run as root; as root the cluster runs as the
# unprivileged user TP_PG_USER (default: nobody).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VAR="${TP_VAR_DIR:-$ROOT/var}"
NATS_PORT="${TP_NATS_PORT:-4222}"
NATS_MONITOR_PORT="${TP_NATS_MONITOR_PORT:-8222}"
PG_PORT="${TP_PG_PORT:-55432}"
PG_OS_USER="${TP_PG_USER:-nobody}"
PG_DB="${TP_PG_DATABASE:-trading}"

pg_bindir() {
  if [ -n "${TP_PG_BINDIR:-}" ]; then echo "$TP_PG_BINDIR"; return; fi
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  [ -n "$d" ] || { echo "stack: PostgreSQL binaries not found (install postgresql)" >&2; exit 1; }
  echo "$d"
}

as_pg_user() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$PG_OS_USER" -- "$@"; else "$@"; fi
}

wait_for_port() {  # host port what
  for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "stack: $3 did not open $1:$2 in 10 s" >&2
  return 1
}

nats_up() {
  mkdir -p "$VAR/nats/data"
  if [ -f "$VAR/nats/pid" ] && kill -0 "$(cat "$VAR/nats/pid")" 2>/dev/null; then
    echo "stack: nats-server already running (pid $(cat "$VAR/nats/pid"))"; return
  fi
  sed -e "s#@PORT@#$NATS_PORT#; s#@MONITOR_PORT@#$NATS_MONITOR_PORT#; s#@STORE_DIR@#$VAR/nats/data#" \
    "$ROOT/deploy/nats/local.conf.in" > "$VAR/nats/nats.conf"
  nohup nats-server -c "$VAR/nats/nats.conf" > "$VAR/nats/nats.log" 2>&1 &
  echo $! > "$VAR/nats/pid"
  wait_for_port 127.0.0.1 "$NATS_PORT" nats-server
  echo "stack: nats-server on nats://127.0.0.1:$NATS_PORT (monitor http://127.0.0.1:$NATS_MONITOR_PORT)"
}

pg_up() {
  local bin; bin="$(pg_bindir)"
  mkdir -p "$VAR/pg"
  if [ ! -f "$VAR/pg/data/PG_VERSION" ]; then
    rm -rf "$VAR/pg/data"; mkdir -p "$VAR/pg/data" "$VAR/pg/run"
    [ "$(id -u)" -eq 0 ] && chown -R "$PG_OS_USER" "$VAR/pg"
    as_pg_user "$bin/initdb" -D "$VAR/pg/data" -U tp --auth=trust -E UTF8 --no-locale > "$VAR/pg/initdb.log"
  fi
  mkdir -p "$VAR/pg/run"; [ "$(id -u)" -eq 0 ] && chown -R "$PG_OS_USER" "$VAR/pg"
  if as_pg_user "$bin/pg_ctl" -D "$VAR/pg/data" status > /dev/null 2>&1; then
    echo "stack: postgres already running"
  else
    as_pg_user "$bin/pg_ctl" -D "$VAR/pg/data" -l "$VAR/pg/postgres.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=$VAR/pg/run" start > /dev/null
  fi
  if ! psql "host=127.0.0.1 port=$PG_PORT user=tp dbname=postgres" -tAc \
      "SELECT 1 FROM pg_database WHERE datname='$PG_DB'" | grep -q 1; then
    psql "host=127.0.0.1 port=$PG_PORT user=tp dbname=postgres" -qc "CREATE DATABASE $PG_DB" 
  fi
  echo "stack: postgres on host=127.0.0.1 port=$PG_PORT user=tp dbname=$PG_DB"
}

nats_down() {
  if [ -f "$VAR/nats/pid" ]; then
    local pid; pid="$(cat "$VAR/nats/pid")"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    fi
    rm -f "$VAR/nats/pid"
    echo "stack: nats-server stopped"
  fi
}

pg_down() {
  if [ -f "$VAR/pg/data/postmaster.pid" ]; then
    as_pg_user "$(pg_bindir)/pg_ctl" -D "$VAR/pg/data" -m fast -w stop > /dev/null || true
    echo "stack: postgres stopped"
  fi
}

case "${1:-}" in
  up) nats_up; pg_up ;;
  down) nats_down; pg_down ;;
  status)
    if [ -f "$VAR/nats/pid" ] && kill -0 "$(cat "$VAR/nats/pid")" 2>/dev/null; then echo "nats-server: running"; else echo "nats-server: stopped"; fi
    if [ -f "$VAR/pg/data/postmaster.pid" ]; then echo "postgres: running"; else echo "postgres: stopped"; fi ;;
  env)
    echo "TP_NATS__URL=nats://127.0.0.1:$NATS_PORT"
    echo "TP_DB__CONNECTION=host=127.0.0.1 port=$PG_PORT user=tp dbname=$PG_DB" ;;
  *) echo "usage: tools/stack.sh up|down|status|env" >&2; exit 2 ;;
esac

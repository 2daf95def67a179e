#!/usr/bin/env bash
# `make down`: stops the services started by `make up`, then the stack.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VAR="${TP_VAR_DIR:-$ROOT/var}"
if [ -f "$VAR/launcher.pid" ]; then
  pid="$(cat "$VAR/launcher.pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$VAR/launcher.pid"
  echo "down: services stopped"
fi
TP_VAR_DIR="$VAR" "$ROOT/tools/stack.sh" down

#!/usr/bin/env bash
# `make up`: the local stack plus the seven services, left running
# (`make down` stops them). Logs in var/log/, launcher pid in var/launcher.pid.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${BUILD_DIR:-$ROOT/build}"
VAR="${TP_VAR_DIR:-$ROOT/var}"
if [ -f "$VAR/launcher.pid" ] && kill -0 "$(cat "$VAR/launcher.pid")" 2>/dev/null; then
  echo "up: already running (pid $(cat "$VAR/launcher.pid"))"; exit 0
fi
TP_VAR_DIR="$VAR" "$ROOT/tools/stack.sh" up
python3 "$ROOT/tools/make_keys.py" "$VAR/keys"
mkdir -p "$VAR/log"
nohup "$BUILD/tools/launcher/run_platform" --serve --root "$ROOT" --build "$BUILD" --var "$VAR" \
  > "$VAR/log/launcher.log" 2>&1 &
echo $! > "$VAR/launcher.pid"
for _ in $(seq 1 600); do
  if grep -q "all services running" "$VAR/log/launcher.log"; then
    grep "ready" "$VAR/log/launcher.log"; echo "up: running; make down stops it"; exit 0
  fi
  if ! kill -0 "$(cat "$VAR/launcher.pid")" 2>/dev/null; then
    cat "$VAR/log/launcher.log"; echo "up: the launcher failed" >&2; exit 1
  fi
  sleep 0.1
done
echo "up: services not ready after 60 s; see $VAR/log/" >&2
exit 1

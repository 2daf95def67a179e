#!/usr/bin/env bash
# `make run`: start the local stack, run the platform on the bundled real
# data, print the summary, stop everything it started.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${BUILD_DIR:-$ROOT/build}"
VAR="${TP_VAR_DIR:-$ROOT/var}"
export TP_VAR_DIR="$VAR"
cleanup() { "$ROOT/tools/stack.sh" down || true; }
trap cleanup EXIT
# Every run starts from the bundled data, not from what an earlier run left.
"$ROOT/tools/stack.sh" down > /dev/null 2>&1 || true
rm -rf "$VAR/nats" "$VAR/pg" "$VAR/log"
"$ROOT/tools/stack.sh" up
python3 "$ROOT/tools/make_keys.py" "$VAR/keys"
"$BUILD/tools/launcher/run_platform" --root "$ROOT" --build "$BUILD" --var "$VAR"

#!/usr/bin/env bash
# `make run`: start the local stack, run the platform on the bundled real
# data, print a summary, stop everything it started.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cleanup() { "$ROOT/tools/stack.sh" down || true; }
trap cleanup EXIT
"$ROOT/tools/stack.sh" up
if [ -x "$ROOT/tools/run-pipeline.sh" ]; then
  "$ROOT/tools/run-pipeline.sh"
else
  echo "run: the broker and database are up; the services arrive with issue #3."
fi

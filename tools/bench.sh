#!/usr/bin/env bash
# `make bench`: runs the benchmarks on this machine and writes
# bench/results/report.json and bench/results/report.md.
# Every figure is a median over rounds measured in the same run, and the
# platform's numbers are reported as ratios to raw JetStream measured beside them.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${BUILD_DIR:-$ROOT/build}"
OUT="$ROOT/bench/results"
mkdir -p "$OUT"
echo "bench: bus (raw JetStream baseline, signed publish/consume, hop latency)..."
"$BUILD/bench/bus_bench" --messages "${BENCH_MESSAGES:-100000}" --repeat "${BENCH_ROUNDS:-3}" \
  --latency-seconds "${BENCH_LATENCY_SECONDS:-5}" > "$OUT/bus.json"
echo "bench: regime HMM (training on 30k bars, online update per bar)..."
"$BUILD/bench/regime_bench" --csv "$ROOT/data/binance-us/BTCUSDT_1m_20230301_20230321.csv" \
  --repeat "${BENCH_ROUNDS:-5}" > "$OUT/regime.json"
echo "bench: LinTS bandit (select and learn, 16 features x 32 arms)..."
"$BUILD/bench/bandit_bench" --repeat "${BENCH_ROUNDS:-5}" > "$OUT/bandit.json"
echo "bench: audit ledger (appends into PostgreSQL, verification)..."
"$BUILD/bench/ledger_bench" --repeat "${BENCH_ROUNDS:-3}" > "$OUT/ledger.json"
echo "bench: execsim matching and fill engine (order events on one core)..."
"$BUILD/bench/execsim_bench" --repeat "${BENCH_ROUNDS:-5}" > "$OUT/execsim.json"
if [ -n "${BENCH_SKIP_PIPELINE:-}" ]; then
  echo "bench: pipeline skipped (BENCH_SKIP_PIPELINE set); the report keeps no pipeline figures"
  rm -f "$OUT/pipeline.json"
elif [ -x "$BUILD/bench/pipeline_bench" ]; then
  echo "bench: pipeline (bars through to ledger entries, real services)..."
  "$BUILD/bench/pipeline_bench" --root "$ROOT" --build "$BUILD" > "$OUT/pipeline.json"
fi
python3 "$ROOT/tools/bench_report.py" "$OUT"
echo "bench: wrote $OUT/report.json and $OUT/report.md"

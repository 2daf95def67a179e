#!/usr/bin/env python3
"""Combines the benchmark JSON files in a results folder into report.json and report.md."""
import json
import os
import platform
import sys


def load(folder, name):
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def main(folder):
    bus = load(folder, "bus.json")
    pipeline = load(folder, "pipeline.json")
    regime = load(folder, "regime.json")
    bandit = load(folder, "bandit.json")
    ledger = load(folder, "ledger.json")
    execsim = load(folder, "execsim.json")
    loadavg = os.getloadavg()
    report = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                          "load_average_at_report": loadavg},
              "bus": bus, "pipeline": pipeline, "regime": regime,
              "bandit": bandit, "ledger": ledger, "execsim": execsim}
    with open(os.path.join(folder, "report.json"), "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    lines = ["# Benchmark report", "",
             "Machine: %d CPUs, %s. Medians over rounds of one run; ratios are against raw "
             "JetStream measured in the same run. Load average when the report was written: %.2f %.2f %.2f." % (
                 (os.cpu_count(), platform.platform()) + tuple(loadavg)), ""]
    if bus:
        lines += ["## Bus (%d messages of %d B per round, %d rounds)" %
                  (bus["messages_per_round"], bus["payload_bytes"], bus["rounds"]), "",
                  "| measure | msg/s | ratio to raw |", "|---|---:|---:|",
                  "| raw JetStream async publish (baseline) | %.0f | 1.00 |" % bus["raw_publish_per_second"],
                  "| signed publish (tp::bus::Publisher) | %.0f | %.2f |" %
                  (bus["signed_publish_per_second"], bus["signed_to_raw_publish_ratio"]),
                  "| raw JetStream pull consume + ack (baseline) | %.0f | 1.00 |" % bus["raw_consume_per_second"],
                  "| verified consume (tp::bus::ConsumerLoop) | %.0f | %.2f |" %
                  (bus["signed_consume_per_second"], bus["signed_to_raw_consume_ratio"]), "",
                  "### One hop, publish to handled: raw JetStream beside the signed platform hop", "",
                  "Raw: async publish of a timestamped payload, pull fetch + ack. Signed: "
                  "tp::bus::Publisher to tp::bus::ConsumerLoop (sign, verify, replay guard, ack). "
                  "Publisher, consumer and nats-server share the machine's cores.", "",
                  "| offered load | sending | path | messages | p50 ms | p99 ms | p99.9 ms | max ms | p99 ratio to raw |",
                  "|---:|---|---|---:|---:|---:|---:|---:|---:|"]
        raws = bus.get("raw_latency") or [None] * len(bus["latency"])
        for raw, l in zip(raws, bus["latency"]):
            sending = "send_asap" if l["send_asap"] else "buffered"
            if raw:
                lines.append("| %d/s | %s | raw | %d | %.3f | %.3f | %.3f | %.3f | 1.00 |" % (
                    raw["offered_per_second"], sending, raw["messages"], raw["p50_ms"], raw["p99_ms"],
                    raw["p999_ms"], raw["max_ms"]))
            ratio = "%.2f" % (l["p99_ms"] / raw["p99_ms"]) if raw and raw["p99_ms"] > 0 else "n/a"
            lines.append("| %d/s | %s | signed | %d | %.3f | %.3f | %.3f | %.3f | %s |" % (
                l["offered_per_second"], sending, l["messages"], l["p50_ms"], l["p99_ms"], l["p999_ms"],
                l["max_ms"], ratio))
        at10k = [l["p99_ms"] for l in bus["latency"] if l["offered_per_second"] == 10000]
        raw10k = [r["p99_ms"] for r in raws if r and r["offered_per_second"] == 10000]
        if at10k:
            lines += ["", "Target p99 < 5 ms at 10k/s: %s (best signed p99 %.2f ms%s)." % (
                "met" if min(at10k) < 5 else "NOT met", min(at10k),
                "; best raw JetStream p99 on the same machine %.2f ms" % min(raw10k) if raw10k else "")]
        lines.append("")
    if pipeline:
        lines += ["## Pipeline (real services, bars through to ledger entries)", "",
                  "%d bars produced %d messages on all streams and %d ledger entries in %.1f s." % (
                      pipeline["bars"], pipeline["messages_all_streams"], pipeline["ledger_entries"],
                      pipeline["seconds"]), "",
                  "| measure | per second | ratio to raw JetStream publish |", "|---|---:|---:|"]
        raw = bus["raw_publish_per_second"] if bus else None
        for label, key in (("bars", "bars_per_second"), ("messages, all streams", "messages_per_second"),
                           ("ledger entries", "ledger_entries_per_second")):
            ratio = "%.3f" % (pipeline[key] / raw) if raw else "n/a"
            lines.append("| %s | %.0f | %s |" % (label, pipeline[key], ratio))
        lines.append("")
    if regime:
        lines += ["## Regime HMM (one core, CPU time, median of %d)" % regime["repeat"], "",
                  "Training a 3-state full-covariance Gaussian HMM on the bundled BTCUSDT file; the baseline "
                  "beside it is one EM iteration of the same fit (one restart).", "",
                  "| features | observations | restarts | fit s | one EM iteration s | fit / iteration | target < 1 s |",
                  "|---|---:|---:|---:|---:|---:|---|"]
        for t in regime["training"]:
            lines.append("| %s | %d | %d | %.3f | %.4f | %.1f | %s |" % (
                t["features"], t["observations"], t["restarts"], t["cpu_seconds_median"],
                t["one_iteration_cpu_seconds_median"], t["fit_to_one_iteration_ratio"],
                "met" if t["target_met"] else "NOT met"))
        lines += ["", "Online forward filter, one update per bar (D = 2): the transition step is O(K^2), "
                  "the emissions O(K D^2); ns / K^2 staying flat or falling shows the cost is at most quadratic.", "",
                  "| states K | ns per update | ns / K^2 |", "|---:|---:|---:|"]
        for u in regime["online_update"]:
            lines.append("| %d | %.0f | %.1f |" % (u["states"], u["ns_per_update_median"], u["ns_per_k_squared"]))
        b = regime["per_bar_in_service"]
        lines += ["", "Whole per-bar cost in the regime service's model (features %s, %d states, "
                  "HmmRegimeModel::on_bar): %.0f ns." % (b["features"], b["states"], b["ns_per_bar_median"]), ""]
    if bandit:
        lines += ["## LinTS bandit (paramctl), %d features x %d arms, median of %d rounds of %d calls" % (
                      bandit["features"], bandit["arms"], bandit["rounds"], bandit["calls_per_round"]), "",
                  "| measure | median us | p99 us |", "|---|---:|---:|",
                  "| select (posterior sample per arm, argmax) | %.2f | %.2f |" % (
                      bandit["select_us_median"], bandit["select_us_p99"]),
                  "| select through paramctl's chooser | %.2f | %.2f |" % (
                      bandit["chooser_select_us_median"], bandit["chooser_select_us_p99"]),
                  "| learn (rank-one update) | %.2f | |" % bandit["learn_us_median"], "",
                  "Target select < %g us: %s." % (bandit["select_target_us"],
                                                  "met" if bandit["select_target_met"] else "NOT met"), ""]
    if ledger:
        lines += ["## Audit ledger (%d entries per round, %d rounds, medians)" % (
                      ledger["entries_per_round"], ledger["rounds"]), "",
                  "| measure | per second | baseline in the same run | ratio | target |", "|---|---:|---:|---:|---|",
                  "| append into PostgreSQL (hash chain + Merkle rows, COPY) | %.0f | plain multi-row INSERT %.0f | %.2f | %s |" % (
                      ledger["append_per_second"], ledger["baseline_insert_per_second"],
                      ledger["append_to_baseline_ratio"],
                      "%d: %s" % (ledger["target_append_per_second"], "met" if ledger["meets_append_target"] else "NOT met")),
                  "| verify chain + tree in memory (%d threads) | %.0f | one SHA-256 per entry %.0f | %.2f | %s |" % (
                      ledger["threads"], ledger["verify_per_second"], ledger["baseline_sha256_per_second"],
                      ledger["verify_to_sha256_ratio"],
                      "%d: %s" % (ledger["target_verify_per_second"], "met" if ledger["meets_verify_target"] else "NOT met")),
                  "| verify reading from PostgreSQL | %.0f | | | |" % ledger["verify_db_per_second"], ""]
    if execsim:
        lines += ["## execsim matching and fill engine (one core, CPU time, median of %d rounds)" % execsim["rounds"], "",
                  "%d bars, %d requests per round (new orders of every type and contingency, cancels, replaces) "
                  "producing %d execution events (%d fills); up to %d orders working at once. Order events = "
                  "requests in + execution events out." % (
                      execsim["bars"], execsim["requests_per_round"], execsim["exec_events_per_round"],
                      execsim["fills_per_round"], execsim["max_working_orders"]), "",
                  "| measure | per second | engine requests/s over this baseline |", "|---|---:|---:|",
                  "| baseline: copy requests into the engine's argument form | %.0f | %.2f |" % (
                      execsim["baseline_copy_requests_per_second"], execsim["engine_to_copy_baseline_ratio"]),
                  "| baseline: decode requests from protobuf | %.0f | %.2f |" % (
                      execsim["baseline_decode_requests_per_second"], execsim["engine_to_decode_baseline_ratio"]),
                  "| engine: requests | %.0f | |" % execsim["engine_requests_per_second"],
                  "| engine: execution events | %.0f | |" % execsim["engine_exec_events_per_second"],
                  "| engine: order events (requests + execution events) | %.0f | |" %
                  execsim["engine_order_events_per_second"],
                  "| whole pure core (lockstep, engine, reports, positions): requests | %.0f | |" %
                  execsim["core_requests_per_second"], "",
                  "Target >= %d order events/s on one core: %s (%.0f ns per order event)." % (
                      execsim["target_order_events_per_second"], "met" if execsim["target_met"] else "NOT met",
                      execsim["engine_ns_per_order_event"]), ""]
    with open(os.path.join(folder, "report.md"), "w") as f:
        f.write("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

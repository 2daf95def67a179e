#!/usr/bin/env python3
"""Writes the Grafana dashboards of deploy/grafana/dashboards/ (provisioned by
deploy/grafana/provisioning/dashboards/). The JSON files are what Grafana
loads; this script is how they are edited, so that panel ids, grid positions
and datasource references stay consistent.

    deploy/grafana/build_dashboards.py           # rewrite the JSON files
    deploy/grafana/build_dashboards.py --check   # exit 1 if a file is stale

Datasources (deploy/grafana/provisioning/datasources/datasources.yml):
  uid "prometheus"  Prometheus (the services' /metrics)
  uid "tradingdb"   PostgreSQL, read-only role grafana_reader (positions,
                    PnL, bandit decisions, the ledger)
Every PromQL expression and SQL query here is run against a live stack by
`make check-deploy` (tests/deploy/check_live.py).
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "dashboards")

PROM = {"type": "prometheus", "uid": "prometheus"}
PG = {"type": "grafana-postgresql-datasource", "uid": "tradingdb"}
RATE = "$__rate_interval"
SVC = 'service=~"$service"'


class Board:
    def __init__(self, uid, title, description, tags, service_variable=True):
        self.uid, self.title, self.description, self.tags = uid, title, description, tags
        self.panels = []
        self.next_id = 1
        self.x = 0
        self.y = 0
        self.row_height = 0
        self.service_variable = service_variable

    def _place(self, w, h):
        if self.x + w > 24:
            self.x = 0
            self.y += self.row_height
            self.row_height = 0
        pos = {"h": h, "w": w, "x": self.x, "y": self.y}
        self.x += w
        self.row_height = max(self.row_height, h)
        return pos

    def row(self, title):
        if self.x:
            self.y += self.row_height
        self.x, self.row_height = 0, 0
        self.panels.append({"id": self.next_id, "type": "row", "title": title, "collapsed": False,
                            "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y}, "panels": []})
        self.next_id += 1
        self.y += 1

    def panel(self, kind, title, targets, w=12, h=8, unit=None, description=None, options=None,
              field_config=None, datasource=PROM):
        refs = "ABCDEFGHIJ"
        tlist = []
        for i, t in enumerate(targets):
            t = dict(t)
            t["refId"] = refs[i]
            t["datasource"] = datasource
            tlist.append(t)
        defaults = {}
        if unit:
            defaults["unit"] = unit
        if field_config:
            defaults.update(field_config)
        p = {"id": self.next_id, "type": kind, "title": title, "datasource": datasource,
             "gridPos": self._place(w, h), "targets": tlist,
             "fieldConfig": {"defaults": defaults, "overrides": []}, "options": options or {}}
        if description:
            p["description"] = description
        self.panels.append(p)
        self.next_id += 1

    def json(self):
        templating = []
        if self.service_variable:
            templating.append({
                "name": "service", "label": "service", "type": "query", "datasource": PROM,
                "query": {"query": "label_values(tp_publisher_messages_published_total, service)",
                          "refId": "service"},
                "definition": "label_values(tp_publisher_messages_published_total, service)",
                "includeAll": True, "allValue": ".*", "multi": True, "refresh": 2, "sort": 1,
                "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
            })
        return {
            "uid": self.uid, "title": self.title, "description": self.description,
            "tags": ["trading-platform"] + self.tags, "timezone": "utc", "editable": True,
            "graphTooltip": 1, "schemaVersion": 39, "version": 1, "refresh": "30s",
            "time": {"from": "now-1h", "to": "now"}, "timepicker": {},
            "annotations": {"list": []}, "links": [
                {"title": "Trading platform", "type": "dashboards", "tags": ["trading-platform"],
                 "asDropdown": True, "includeVars": False, "keepTime": True}],
            "templating": {"list": templating}, "panels": self.panels,
        }


def prom(expr, legend=None, instant=False, fmt=None):
    t = {"expr": expr, "range": not instant, "instant": instant}
    if legend:
        t["legendFormat"] = legend
    if fmt:
        t["format"] = fmt
    return t


def sql(query, fmt="table"):
    return {"rawSql": " ".join(query.split()), "format": fmt, "rawQuery": True, "editorMode": "code"}


STAT = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
        "colorMode": "background", "graphMode": "none", "textMode": "auto"}
TABLE = {"showHeader": True, "cellHeight": "sm"}
BARS = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": True},
        "displayMode": "gradient", "orientation": "horizontal", "showUnfilled": True}


def pipeline():
    b = Board("tp-pipeline", "Trading platform / Pipeline overview",
              "Message rates per stage, backlog, ack-pending, dead letters and rejects by reason.",
              ["pipeline"])
    b.row("Health")
    b.panel("stat", "Services up", [prom('up{job="trading-platform"}', "{{service}}", instant=True)],
            w=10, h=4, options=STAT, field_config={
                "mappings": [{"type": "value", "options": {"0": {"text": "DOWN", "color": "red"},
                                                             "1": {"text": "UP", "color": "green"}}}]},
            description="1 when Prometheus can scrape the service's admin port (alert TPServiceDown).")
    b.panel("stat", "Ingestion complete", [prom("max(tp_ingester_complete)", instant=True)],
            w=4, h=4, options=STAT, field_config={
                "mappings": [{"type": "value", "options": {"0": {"text": "reading"},
                                                             "1": {"text": "complete"}}}]})
    b.panel("stat", "Kill switch", [prom("max(tp_decision_kill_switch_engaged)", instant=True)],
            w=4, h=4, options=STAT, field_config={
                "mappings": [{"type": "value", "options": {"0": {"text": "off", "color": "green"},
                                                             "1": {"text": "ENGAGED", "color": "red"}}}]})
    b.panel("stat", "Dead letters in range",
            [prom("sum(increase(tp_consumer_messages_dead_lettered_total[$__range]))", instant=True)],
            w=6, h=4, options=STAT, field_config={
                "thresholds": {"mode": "absolute", "steps": [{"color": "green", "value": None},
                                                              {"color": "red", "value": 1}]}})
    b.row("Rates per stage")
    b.panel("timeseries", "Published per service",
            [prom("sum by (service) (rate(tp_publisher_messages_published_total{%s}[%s]))" % (SVC, RATE),
                  "{{service}}")], unit="mps",
            description="Messages acknowledged by JetStream, per producing service.")
    b.panel("timeseries", "Handled per consumer",
            [prom("sum by (service, consumer) (rate(tp_consumer_messages_handled_total{%s}[%s]))" % (SVC, RATE),
                  "{{consumer}}")], unit="mps",
            description="Messages handled and acknowledged, per durable consumer.")
    b.panel("timeseries", "Bars ingested by quality flag",
            [prom("sum by (symbol, flag) (rate(tp_ingester_bars_total[%s]))" % RATE, "{{symbol}} {{flag}}")],
            unit="mps")
    b.panel("timeseries", "Stage outputs",
            [prom("sum(rate(tp_regime_posteriors_total[%s]))" % RATE, "regime posteriors"),
             prom("sum(rate(tp_paramctl_choices_emitted_total[%s]))" % RATE, "parameter choices"),
             prom("sum(rate(tp_signal_signals_emitted_total[%s]))" % RATE, "signals"),
             prom("sum(rate(tp_decision_intents_total[%s]))" % RATE, "order intents"),
             prom("sum(rate(tp_execsim_reports_total[%s]))" % RATE, "execution reports"),
             prom("sum(rate(tp_ledger_entries_total[%s]))" % RATE, "ledger entries")], unit="mps")
    b.row("Backlog")
    b.panel("timeseries", "Lag behind the stream's leading consumer",
            [prom('tp:consumer_lag_behind_leader:messages{%s}' % SVC, "{{consumer}}")], unit="short",
            description="Recording rule: how many stream sequences a consumer trails the most advanced "
                        "consumer of the same stream (consumers that read the whole stream only). "
                        "Alert TPConsumerLagGrowing.")
    b.panel("timeseries", "Ack pending per consumer",
            [prom("sum by (service, consumer) (tp_consumer_ack_pending_messages{%s})" % SVC, "{{consumer}}")],
            unit="short", description="Fetched and not yet acknowledged (bounded by consumer.batch_size).")
    b.panel("timeseries", "Join buffers",
            [prom("sum(tp_decision_pending_bars)", "decision: bars waiting for inputs"),
             prom("sum(tp_execsim_waiting_bars)", "execsim: bars waiting for decisions")], unit="short")
    b.panel("timeseries", "Publisher in flight",
            [prom("sum by (service) (tp_publisher_in_flight_messages{%s})" % SVC, "{{service}}")], unit="short")
    b.row("Failures")
    b.panel("timeseries", "Rejects by reason",
            [prom("sum by (service, reason) (rate(tp_consumer_messages_rejected_total{%s}[%s]))" % (SVC, RATE),
                  "{{service}} {{reason}}")], unit="mps",
            description="Messages terminated as permanently invalid (bad_signature, stale, replay, ...). "
                        "Alerts TPSignatureFailures, TPReplayOrStaleMessages.")
    b.panel("timeseries", "Dead letters",
            [prom("sum by (service, consumer) (increase(tp_consumer_messages_dead_lettered_total{%s}[%s]))"
                  % (SVC, RATE), "{{consumer}}")], unit="short",
            description="Stored on dlq.<stream>.<consumer>. Alert TPDeadLettersAppearing.")
    b.panel("timeseries", "NAKs and redeliveries",
            [prom("sum by (consumer) (rate(tp_consumer_messages_nacked_total{%s}[%s]))" % (SVC, RATE),
                  "nak {{consumer}}"),
             prom("sum by (consumer) (rate(tp_consumer_redeliveries_total{%s}[%s]))" % (SVC, RATE),
                  "redelivered {{consumer}}")], unit="mps")
    b.panel("timeseries", "Publish errors and duplicates",
            [prom("sum by (service, reason) (rate(tp_publisher_publish_errors_total{%s}[%s]))" % (SVC, RATE),
                  "error {{service}} {{reason}}"),
             prom("sum by (service) (rate(tp_publisher_duplicates_total{%s}[%s]))" % (SVC, RATE),
                  "duplicate {{service}}")], unit="mps",
            description="Errors appear on the first failed publish. Duplicates: a republish dropped by the "
                        "stream's duplicate window (expected after a restart).")
    b.panel("timeseries", "Decision rejections by reason",
            [prom("sum by (reason) (rate(tp_decision_rejections_total[%s]))" % RATE, "{{reason}}")], unit="mps")
    b.panel("timeseries", "Ingester rows rejected by reason",
            [prom("sum by (reason) (rate(tp_ingester_rows_rejected_total[%s]))" % RATE, "{{reason}}")], unit="mps",
            description="CSV rows that are not bars; the series appears with the first rejected row.")
    return b


def latency():
    b = Board("tp-latency", "Trading platform / Latency",
              "Handler and publish-to-ack latency histograms as quantiles.", ["latency"])
    b.row("Consumers: receipt to ack decision")
    for q in ("0.5", "0.9", "0.99"):
        b.panel("timeseries", "Handler latency p%s" % q[2:].ljust(2, "0"),
                [prom("histogram_quantile(%s, sum by (le, service, consumer) "
                      "(rate(tp_consumer_handler_duration_seconds_bucket{%s}[%s])))" % (q, SVC, RATE),
                      "{{consumer}}")], w=8, unit="s")
    b.panel("timeseries", "Mean handler latency per service",
            [prom("sum by (service) (rate(tp_consumer_handler_duration_seconds_sum{%s}[%s])) / "
                  "sum by (service) (rate(tp_consumer_handler_duration_seconds_count{%s}[%s]))"
                  % (SVC, RATE, SVC, RATE), "{{service}}")], unit="s")
    b.panel("heatmap", "Handler latency distribution",
            [prom("sum by (le) (rate(tp_consumer_handler_duration_seconds_bucket{%s}[%s]))" % (SVC, RATE),
                  "{{le}}", fmt="heatmap")],
            options={"calculate": False, "yAxis": {"unit": "s"}, "cellGap": 1,
                     "color": {"mode": "scheme", "scheme": "Oranges"}})
    b.row("Publishers: publish to pub-ack")
    for q in ("0.5", "0.9", "0.99"):
        b.panel("timeseries", "Publish ack latency p%s" % q[2:].ljust(2, "0"),
                [prom("histogram_quantile(%s, sum by (le, service) "
                      "(rate(tp_publisher_ack_duration_seconds_bucket{%s}[%s])))" % (q, SVC, RATE),
                      "{{service}}")], w=8, unit="s")
    return b


def trading():
    b = Board("tp-trading", "Trading platform / Trading",
              "Orders, fills, PnL, exposure, regime and the bandit's parameter choices.", ["trading"],
              service_variable=False)
    b.row("Orders and fills")
    b.panel("stat", "Kill switch", [prom("max(tp_decision_kill_switch_engaged)", instant=True)],
            w=4, h=5, options=STAT, field_config={
                "mappings": [{"type": "value", "options": {"0": {"text": "off", "color": "green"},
                                                             "1": {"text": "ENGAGED", "color": "red"}}}]})
    b.panel("stat", "Order intents",
            [prom("sum(tp_decision_intents_total)", instant=True)], w=5, h=5, options=STAT)
    b.panel("stat", "Fills",
            [prom('sum(tp_execsim_reports_total{exec_type=~"EXEC_FILL|EXEC_PARTIAL_FILL"})', instant=True)],
            w=5, h=5, options=STAT)
    b.panel("stat", "Working orders", [prom("sum(tp_execsim_working_orders)", instant=True)],
            w=5, h=5, options=STAT)
    b.panel("stat", "Outcomes for the bandit", [prom("sum(tp_execsim_outcomes_total)", instant=True)],
            w=5, h=5, options=STAT)
    b.panel("timeseries", "Order intents and rejections",
            [prom("sum(rate(tp_decision_intents_total[%s]))" % RATE, "intents"),
             prom("sum by (reason) (rate(tp_decision_rejections_total[%s]))" % RATE, "{{reason}}")], unit="mps")
    b.panel("timeseries", "Execution reports by type",
            [prom("sum by (exec_type) (rate(tp_execsim_reports_total[%s]))" % RATE, "{{exec_type}}")], unit="mps")
    b.row("PnL and exposure (PostgreSQL: execsim_positions)")
    b.panel("table", "Positions and PnL per strategy and instrument",
            [sql("""SELECT strategy, venue || '/' || symbol AS instrument,
                    quantity_e8 / 1e8 AS position, mark_price_e8 / 1e8 AS mark,
                    realized_pnl_e8 / 1e8 AS realized_pnl, unrealized_pnl_e8 / 1e8 AS unrealized_pnl,
                    fees_e8 / 1e8 AS fees, (realized_pnl_e8 + unrealized_pnl_e8 - fees_e8) / 1e8 AS net_pnl,
                    equity_e8 / 1e8 AS equity, to_timestamp(as_of_ns / 1e9) AS as_of
                    FROM execsim_positions ORDER BY strategy, instrument""")],
            w=24, h=7, options=TABLE, datasource=PG,
            description="Latest Position per (strategy, instrument). Realised PnL is gross of fees; "
                        "net = realised + unrealised - fees (docs/services/execsim.md).")
    b.panel("bargauge", "Net PnL per strategy",
            [sql("""SELECT strategy, sum(realized_pnl_e8 + unrealized_pnl_e8 - fees_e8) / 1e8 AS net_pnl
                    FROM execsim_positions GROUP BY strategy ORDER BY strategy""")],
            w=12, h=6, options=BARS, datasource=PG)
    b.panel("bargauge", "Exposure per instrument (|position| x mark)",
            [sql("""SELECT venue || '/' || symbol AS instrument,
                    sum(abs(quantity_e8::numeric) * mark_price_e8 / 1e16) AS exposure
                    FROM execsim_positions GROUP BY venue, symbol ORDER BY instrument""")],
            w=12, h=6, options=BARS, datasource=PG)
    b.panel("table", "Recent fills",
            [sql("""SELECT to_timestamp(bar_time_ns / 1e9) AS bar_time, strategy, venue || '/' || symbol AS instrument,
                    side, quantity_e8 / 1e8 AS quantity, price_e8 / 1e8 AS price, fee_e8 / 1e8 AS fee, liquidity
                    FROM execsim_fills ORDER BY bar_time_ns DESC, exec_id DESC LIMIT 20""")],
            w=24, h=8, options=TABLE, datasource=PG)
    b.row("Regime")
    b.panel("timeseries", "Posteriors by most likely regime",
            [prom("sum by (most_likely) (rate(tp_regime_posteriors_total[%s]))" % RATE, "{{most_likely}}")],
            unit="mps", options={"tooltip": {"mode": "multi"}},
            field_config={"custom": {"stacking": {"mode": "percent"}, "fillOpacity": 60}})
    b.panel("table", "Active regime model",
            [prom("tp_regime_active_model == 1", "{{version}}", instant=True, fmt="table")],
            w=6, options=TABLE)
    b.panel("table", "Model promotions",
            [sql("""SELECT promoted_at, version, operator FROM regime_promotions
                    ORDER BY promotion_id DESC LIMIT 10""")],
            w=6, options=TABLE, datasource=PG)
    b.row("Bandit (paramctl)")
    b.panel("timeseries", "Parameter choices emitted",
            [prom("sum(rate(tp_paramctl_choices_emitted_total[%s]))" % RATE, "choices")], unit="mps")
    b.panel("timeseries", "Posteriors held for execsim's watermark",
            [prom("max(tp_paramctl_held_posteriors)", "held")],
            description="Event-time learning: regime posteriors held back until execsim's positions and "
                        "outcomes up to the previous bar are in (docs/services/paramctl.md). A value that "
                        "keeps growing means execsim is behind or does not book a strategy paramctl decides for.")
    b.panel("table", "Decisions per preset",
            [sql("""SELECT strategy, preset_id AS preset, count(*) AS decisions,
                    to_timestamp(max(event_time_ns) / 1e9) AS last_chosen
                    FROM paramctl_decisions GROUP BY strategy, preset_id
                    ORDER BY strategy, decisions DESC""")],
            options=TABLE, datasource=PG,
            description="Which preset the bandit chose, per decision epoch.")
    b.panel("table", "Rewards per preset",
            [sql("""SELECT d.strategy, d.preset_id AS preset, count(*) AS outcomes,
                    avg(o.reward) AS mean_reward, sum(o.realized_pnl_e8) / 1e8 AS realized_pnl_net
                    FROM paramctl_decisions d JOIN paramctl_outcomes o USING (decision_id)
                    GROUP BY d.strategy, d.preset_id ORDER BY d.strategy, d.preset_id""")],
            w=24, h=6, options=TABLE, datasource=PG)
    return b


def audit():
    b = Board("tp-audit", "Trading platform / Audit ledger",
              "Entries appended, chain and tree size, verification.", ["audit"], service_variable=False)
    b.row("Ledger")
    b.panel("stat", "Chain length", [prom("max(tp_ledger_chain_length)", instant=True)],
            w=6, h=5, options=STAT, description="Entries in the hash chain (the next index).")
    b.panel("stat", "Entries in PostgreSQL",
            [sql("SELECT coalesce(max(index) + 1, 0) AS entries FROM ledger_entries")],
            w=6, h=5, options=STAT, datasource=PG)
    b.panel("stat", "Last verification",
            [prom("min(tp_ledger_verification_ok)", instant=True)], w=6, h=5, options=STAT,
            field_config={"mappings": [{"type": "value", "options": {
                "0": {"text": "FAILED", "color": "red"}, "1": {"text": "OK", "color": "green"}}}]},
            description="tp_ledger_verification_ok: the ledger's periodic self-verification "
                        "(verification.interval, docs/services/ledger.md). On FAILED its log has the "
                        "first bad index; `tradectl audit verify` gives the same report.")
    b.panel("stat", "Since last verification",
            [prom("time() - max(tp_ledger_last_verification_timestamp_seconds)", instant=True)],
            w=6, h=5, options=STAT, unit="s",
            description="tp_ledger_last_verification_timestamp_seconds: time since the last "
                        "periodic verification (passed or not).")
    b.panel("timeseries", "Entries appended per stream",
            [prom("sum by (stream) (rate(tp_ledger_entries_total[%s]))" % RATE, "{{stream}}")], unit="mps")
    b.panel("timeseries", "Chain length and Merkle tree size",
            [prom("max(tp_ledger_chain_length)", "chain length"),
             prom("max(tp_ledger_tree_head_size)", "signed tree head size")], unit="short",
            description="tp_ledger_tree_head_size: size of the latest signed tree head.")
    b.panel("timeseries", "Ledger consumers: lag behind the leading consumer",
            [prom('tp:consumer_lag_behind_leader:messages{service="ledger"}', "{{stream}}")], unit="short")
    b.panel("timeseries", "Ledger rejects by reason",
            [prom('sum by (stream, reason) (increase(tp_consumer_messages_rejected_total{service="ledger"}[%s]))'
                  % RATE, "{{stream}} {{reason}}")], unit="short",
            description="The ledger verifies every message it records; a reject here is a message that "
                        "could not be authenticated.")
    b.row("Entries (PostgreSQL: ledger_entries)")
    b.panel("table", "Entries by stream",
            [sql("""SELECT stream, count(*) AS entries, max(stream_sequence) AS last_sequence,
                    to_timestamp(max(received_ns) / 1e9) AS last_received
                    FROM ledger_entries GROUP BY stream ORDER BY stream""")],
            w=12, options=TABLE, datasource=PG)
    b.panel("table", "Entries by producer and key",
            [sql("""SELECT producer, key_id, count(*) AS entries FROM ledger_entries
                    GROUP BY producer, key_id ORDER BY producer, key_id""")],
            w=12, options=TABLE, datasource=PG,
            description="Which keys signed what: during a key rotation the new key id appears here.")
    b.panel("table", "Latest entries",
            [sql("""SELECT index, stream, stream_sequence, subject, producer, message_type, key_id,
                    correlation_id, encode(entry_hash, 'hex') AS entry_hash
                    FROM ledger_entries ORDER BY index DESC LIMIT 25""")],
            w=24, h=9, options=TABLE, datasource=PG)
    return b


BOARDS = {"pipeline-overview.json": pipeline, "latency.json": latency, "trading.json": trading,
          "audit.json": audit}


def main(argv):
    check = "--check" in argv[1:]
    stale = []
    for name, make in BOARDS.items():
        text = json.dumps(make().json(), indent=2) + "\n"
        path = os.path.join(OUT, name)
        if check:
            try:
                with open(path) as f:
                    if f.read() != text:
                        stale.append(path)
            except OSError:
                stale.append(path)
        else:
            os.makedirs(OUT, exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
            print("build_dashboards: wrote %s" % path)
    if stale:
        print("build_dashboards: stale: %s; run deploy/grafana/build_dashboards.py" % " ".join(stale),
              file=sys.stderr)
        return 1
    if check:
        print("build_dashboards: %d dashboards up to date" % len(BOARDS))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

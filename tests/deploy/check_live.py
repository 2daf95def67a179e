#!/usr/bin/env python3
"""Live deployment check (`make check-deploy`): starts the production-shaped
local stack (tests/deploy/live_stack.py: NATS with per-service users and
permissions, PostgreSQL, the seven services, a real Prometheus with
deploy/prometheus/), replays the bundled data, and checks that

1. `promtool check metrics` passes on every service's /metrics;
2. Prometheus scrapes every service (all targets up);
3. every PromQL expression of the Grafana dashboards (deploy/grafana/dashboards)
   returns data, every template variable has values, and every alert and
   recording rule expression evaluates without error, both through the HTTP
   API and in Prometheus's own rule evaluation (/api/v1/rules health "ok");
   an empty result is accepted only for metrics listed in
   deploy/prometheus/metric-status.yml;
4. every SQL query of the dashboards returns rows as Grafana's read-only role
   grafana_reader, which cannot write;
5. the kill switch, flipped with tradectl through deploy/docker/tp-cli.sh and
   the tradectl NATS user, fires TPKillSwitchOn;
6. every service exits 0 on SIGTERM.

    tests/deploy/check_live.py --root . --build build [--work DIR] [--keep SECONDS]

Ports are free loopback ports; fix them with CHECK_DEPLOY_NATS_PORT,
CHECK_DEPLOY_NATS_MONITOR_PORT, CHECK_DEPLOY_PG_PORT,
CHECK_DEPLOY_ADMIN_BASE_PORT (7 consecutive ports) and
CHECK_DEPLOY_PROMETHEUS_PORT.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import time
import urllib.parse

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live_stack  # noqa: E402

# Values Grafana would give its built-in variables; the check's Prometheus
# scrapes every 2 s, so one minute holds ~30 samples.
GRAFANA_VARS = {"$__rate_interval": "1m", "$__interval": "10s", "$__range": "5m"}

passed, failed, pending = [], [], []


def ok(what):
    passed.append(what)
    print("  ok       %s" % what)


def fail(what, why):
    failed.append((what, why))
    print("  FAILED   %s: %s" % (what, why))


def note_pending(what, why):
    pending.append((what, why))
    print("  pending  %s (%s)" % (what, why))


def metric_names(expr):
    """Metric and recording-rule names used in a PromQL expression."""
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # drop label values and strings
    return set(re.findall(r"(?<![A-Za-z0-9_:])(tp[_:][A-Za-z0-9_:]+|up)(?![A-Za-z0-9_:])", bare))


class Prometheus:
    def __init__(self, port):
        self.base = "http://127.0.0.1:%d" % port

    def api(self, path, **params):
        url = self.base + path + ("?" + urllib.parse.urlencode(params, doseq=True) if params else "")
        status, body = live_stack.http_get(url, timeout=15)
        try:
            doc = json.loads(body)
        except ValueError:
            return None, "HTTP %s: %s" % (status, body[:200])
        if doc.get("status") != "success":
            return None, "%s: %s" % (doc.get("errorType"), doc.get("error"))
        return doc["data"], None

    def query(self, expr):
        data, err = self.api("/api/v1/query", query=expr)
        if err:
            return None, err
        return data["result"] if data["resultType"] in ("vector", "matrix") else [data["result"]], None

    def scalar(self, expr, default=0.0):
        result, err = self.query(expr)
        if err or not result:
            return default
        try:
            return float(result[0]["value"][1])
        except (KeyError, IndexError, TypeError, ValueError):
            return default


def wait_for(what, predicate, timeout, interval=1.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def load_status(root):
    with open(os.path.join(root, "deploy/prometheus/metric-status.yml")) as f:
        status = yaml.safe_load(f)
    return set(status.get("on_first_event") or []), set((status.get("needs_service_change") or {}).keys())


def dashboard_targets(root):
    out = []
    for path in sorted(glob.glob(os.path.join(root, "deploy/grafana/dashboards/*.json"))):
        with open(path) as f:
            board = json.load(f)
        name = os.path.basename(path)
        for var in board.get("templating", {}).get("list", []):
            q = var.get("query")
            q = q.get("query") if isinstance(q, dict) else q
            out.append((name, "variable $" + var["name"], "variable", q))
        for panel in board.get("panels", []):
            for t in panel.get("targets", []):
                ds = (t.get("datasource") or panel.get("datasource") or {}).get("type", "")
                if "expr" in t:
                    out.append((name, panel["title"] + " [" + t["refId"] + "]", "promql", t["expr"]))
                elif "rawSql" in t:
                    out.append((name, panel["title"] + " [" + t["refId"] + "]", "sql", t["rawSql"]))
                else:
                    out.append((name, panel["title"], "unknown", json.dumps(t)))
                if "postgres" not in ds and "prometheus" not in ds:
                    fail("%s: %s" % (name, panel["title"]), "unknown datasource type %r" % ds)
    return out


def rule_exprs(root):
    out = []
    for path in sorted(glob.glob(os.path.join(root, "deploy/prometheus/rules/*.yml"))):
        with open(path) as f:
            doc = yaml.safe_load(f)
        for group in doc["groups"]:
            for rule in group["rules"]:
                name = rule.get("alert") or rule.get("record")
                out.append((os.path.basename(path), name, rule["expr"]))
    return out


def substitute(expr):
    expr = expr.replace('=~"$service"', '=~".*"')
    for k, v in GRAFANA_VARS.items():
        expr = expr.replace(k, v)
    if "$" in re.sub(r"\$value|\$labels", "", expr):
        raise ValueError("unknown variable in %r" % expr)
    return expr


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default=".")
    ap.add_argument("--build", default="build")
    ap.add_argument("--work", default=None)
    ap.add_argument("--keep", type=float, default=0, help="leave the stack running N seconds at the end")
    ap.add_argument("--activity-timeout", type=float, default=300)
    args = ap.parse_args()
    root = os.path.abspath(args.root)
    work = args.work or os.path.join(os.path.abspath(args.build), "check-deploy")
    for b in live_stack.SERVICES + ["tradectl"]:
        if not os.access(os.path.join(args.build, "services", b, b), os.X_OK):
            print("check_live: %s/services/%s/%s not built" % (args.build, b, b), file=sys.stderr)
            return 2
    stack = live_stack.Stack(root, args.build, work)
    print("== live stack (work dir %s)" % work)
    try:
        stack.start_all()
        run_checks(stack, root, args)
    except Exception as e:  # noqa: BLE001 - report any failure, then stop the stack
        fail("live stack", str(e))
    finally:
        if args.keep:
            print("check_live: keeping the stack for %.0f s: prometheus http://127.0.0.1:%d"
                  % (args.keep, stack.ports.get("prometheus", 0)))
            time.sleep(args.keep)
        print("== stopping (every service must exit 0 on SIGTERM)")
        results = stack.stop()
        for name in live_stack.SERVICES:
            if name in results:
                if results[name] == 0:
                    ok("%s exited 0 on SIGTERM" % name)
                else:
                    fail("%s on SIGTERM" % name, "exit status %s; log %s"
                         % (results[name], stack.path("log", name + ".log")))
    print("\ncheck_live: %d passed, %d failed, %d pending (needs a service change)"
          % (len(passed), len(failed), len(pending)))
    for what, why in failed:
        print("  FAILED %s: %s" % (what, why))
    return 1 if failed else 0


def run_checks(stack, root, args):
    prom = Prometheus(stack.ports["prometheus"])
    on_first_event, needs_change = load_status(root)

    print("== Prometheus scrapes every service")
    def all_up():
        data, err = prom.api("/api/v1/targets")
        if err:
            return False
        tp = [t for t in data["activeTargets"] if t["labels"].get("job") == "trading-platform"]
        return len(tp) == len(live_stack.SERVICES) and all(t["health"] == "up" for t in tp)
    if wait_for("targets up", all_up, 60):
        data, _ = prom.api("/api/v1/targets")
        for t in data["activeTargets"]:
            if t["labels"].get("job") == "trading-platform":
                ok("target %s (%s) up" % (t["labels"]["service"], t["scrapeUrl"]))
    else:
        data, _ = prom.api("/api/v1/targets")
        fail("targets", json.dumps([(t["labels"], t["health"], t.get("lastError"))
                                    for t in (data or {}).get("activeTargets", [])]))

    print("== pipeline activity (waiting for fills, outcomes and ledger entries)")
    def busy():
        return (prom.scalar('sum(tp_execsim_reports_total{exec_type="EXEC_FILL"})') > 0
                and prom.scalar("sum(tp_execsim_outcomes_total)") > 0
                and prom.scalar("max(tp_ledger_chain_length)") > 20000
                and prom.scalar("count(tp:consumer_lag_behind_leader:messages)") > 0
                and prom.scalar("count(tp_regime_posteriors_total)") > 0)
    if not wait_for("activity", busy, args.activity_timeout, 2):
        fail("pipeline activity", "no fills/outcomes/20k ledger entries within %.0f s" % args.activity_timeout)
    else:
        ok("pipeline running: ledger chain length %.0f" % prom.scalar("max(tp_ledger_chain_length)"))
    time.sleep(6)  # a few more scrapes and rule evaluations

    print("== promtool check metrics on every service's /metrics")
    for name in live_stack.SERVICES:
        status, body = live_stack.http_get("http://127.0.0.1:%d/metrics" % stack.admin[name])
        if status != 200:
            fail("/metrics of %s" % name, "HTTP %s" % status)
            continue
        r = subprocess.run(["promtool", "check", "metrics"], input=body, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode == 0:
            ok("promtool check metrics: %s (%d lines)" % (name, body.count("\n")))
        else:
            fail("promtool check metrics: %s" % name, r.stdout.strip())

    print("== kill switch: tradectl killswitch on (NATS user tradectl)")
    cli = ["sh", os.path.join(root, "deploy/docker/tp-cli.sh"),
           os.path.join(stack.build, "services/tradectl/tradectl")]
    env = stack.cli_env("tradectl", {"TP_KEYS__FILE": stack.path("secrets", "keys", "tradectl.json")})
    r = subprocess.run(cli + ["killswitch", "on", "--reason", "check-deploy", "--operator", "check-deploy"],
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    if r.returncode != 0:
        fail("tradectl killswitch on", r.stdout.strip())
    else:
        ok("tradectl killswitch on: %s" % r.stdout.strip().splitlines()[-1] if r.stdout.strip() else "")
        def firing():
            data, err = prom.api("/api/v1/alerts")
            return not err and any(a["labels"]["alertname"] == "TPKillSwitchOn" and a["state"] == "firing"
                                   for a in data["alerts"])
        if wait_for("TPKillSwitchOn firing", firing, 60):
            ok("alert TPKillSwitchOn firing")
        else:
            fail("alert TPKillSwitchOn", "not firing 60 s after tradectl killswitch on")

    print("== dashboards: every PromQL expression returns data, every SQL query returns rows")
    for board, title, kind, q in dashboard_targets(root):
        what = "%s: %s" % (board, title)
        if kind == "variable":
            m = re.fullmatch(r"label_values\(([^,]+),\s*([A-Za-z_]+)\)", q or "")
            if not m:
                fail(what, "unsupported variable query %r" % q)
                continue
            data, err = prom.api("/api/v1/label/%s/values" % m.group(2), **{"match[]": m.group(1)})
            if err or not data:
                fail(what, err or "no values")
            else:
                ok("%s = %s" % (what, ",".join(data)))
        elif kind == "promql":
            try:
                expr = substitute(q)
            except ValueError as e:
                fail(what, str(e))
                continue
            result, err = prom.query(expr)
            if err:
                fail(what, "%s: %s" % (expr, err))
            elif result:
                ok("%s (%d series)" % (what, len(result)))
            else:
                judge_empty(what, expr, on_first_event, needs_change, prom)
        elif kind == "sql":
            sql_env = live_stack.clean_env({"PGPASSWORD": "unused-with-trust-auth"})
            r = subprocess.run(["psql", stack.db_conn(user="grafana_reader"), "-XAtq", "-v", "ON_ERROR_STOP=1",
                                "-c", q], env=sql_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            rows = [line for line in r.stdout.splitlines() if line.strip()]
            if r.returncode != 0:
                fail(what, r.stdout.strip())
            elif not rows:
                fail(what, "no rows: %s" % q)
            else:
                ok("%s (%d rows, role grafana_reader)" % (what, len(rows)))
        else:
            fail(what, "target has neither expr nor rawSql")
    r = subprocess.run(["psql", stack.db_conn(user="grafana_reader"), "-XAtq", "-c",
                        "CREATE TABLE grafana_must_not_write (x int)"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode == 0:
        fail("grafana_reader is read-only", "CREATE TABLE succeeded")
    else:
        ok("grafana_reader cannot write (%s)" % r.stdout.strip().splitlines()[0])

    print("== alert and recording rules evaluate without error")
    for path, name, expr in rule_exprs(root):
        result, err = prom.query(expr)
        if err:
            fail("%s: %s" % (path, name), err)
        else:
            ok("%s: %s (%d series now)" % (path, name, len(result)))
    data, err = prom.api("/api/v1/rules")
    if err:
        fail("/api/v1/rules", err)
    else:
        rules = [r for g in data["groups"] for r in g["rules"]]
        bad = [(r["name"], r.get("lastError")) for r in rules if r.get("health") != "ok"]
        if bad:
            fail("Prometheus rule evaluation", json.dumps(bad))
        else:
            ok("Prometheus evaluated all %d rules, health ok" % len(rules))

    print("== kill switch off")
    r = subprocess.run(cli + ["killswitch", "off", "--reason", "check-deploy done", "--operator", "check-deploy"],
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    if r.returncode != 0:
        fail("tradectl killswitch off", r.stdout.strip())
    elif wait_for("kill switch off", lambda: prom.scalar("max(tp_decision_kill_switch_engaged)", 1) == 0, 30):
        ok("tradectl killswitch off: tp_decision_kill_switch_engaged back to 0")
    else:
        fail("tradectl killswitch off", "gauge still 1 after 30 s")


def judge_empty(what, expr, on_first_event, needs_change, prom):
    names = metric_names(expr)
    listed = names & (on_first_event | needs_change)
    if not listed:
        fail(what, "no data: %s" % expr)
        return
    present = [n for n in listed if prom.scalar("count(%s)" % n if ":" not in n else "0") > 0]
    if present:
        fail(what, "no data although %s exist: %s" % (present, expr))
    elif listed & needs_change:
        note_pending(what, "needs %s" % ", ".join(sorted(listed & needs_change)))
    else:
        ok("%s (empty until the first %s)" % (what, ", ".join(sorted(listed))))


if __name__ == "__main__":
    sys.exit(main())

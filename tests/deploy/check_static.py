#!/usr/bin/env python3
"""Deployment checks that need no running stack (ctest -L unit, and
`make check-deploy`). One subcommand per artefact:

  nats        deploy/nats: auth.conf generated from tools/make_keys.py and up
              to date; durable names and streams match the sources;
              `nats-server -t` accepts nats.conf + auth.conf started through
              entrypoint.sh; entrypoint.sh refuses passwords nats would misparse
  compose     `docker-compose config` (Debian's docker-compose) validates
              docker-compose.yml with secrets from deploy/docker/make_secrets.sh;
              every service gets its own NATS user, key ring and exactly the HMAC
              keys make_keys.py puts in its ring; admin ports match Prometheus;
              the services with a gRPC server listen on 0.0.0.0 on the port
              of their grpc.address default, published on loopback; tradectl
              reaches the ledger's AuditService
  prometheus  `promtool check config`, `promtool check rules`, `promtool test
              rules`; the chart's copy of the rules is identical
  grafana     dashboards up to date with build_dashboards.py, valid against
              deploy/grafana/dashboard.schema.json, unique panel ids, no
              overlapping panels, datasources provisioned
  helm        values*.yaml valid against values.schema.json (jsonschema), the
              chart rendered by tests/deploy/helm_render (Go text/template +
              Sprig + gojsonschema, like `helm template`) for default, dev and
              prod values, invalid values refused; manifests validated field by
              field against the Kubernetes API models (python3-kubernetes),
              probes, resources, security context, secrets and configs checked;
              gRPC ports (container, TP_GRPC__ADDRESS, Service port grpc);
              the PrometheusRule passes promtool
  dockerfile  deploy/docker/Dockerfile: Debian 12 multi-stage, non-root,
              HEALTHCHECK; build packages known to install-deps.sh; runtime
              packages cover every shared library of the built binaries (ldd)

    tests/deploy/check_static.py SUBCOMMAND [--root DIR] [--build DIR]

Prints one line per check and ends with "N passed, M failed".
"""
import argparse
import glob
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import tempfile

import yaml

SERVICES = ["ingester", "regime", "paramctl", "signal", "decision", "execsim", "ledger"]
results = {"passed": 0, "failed": 0}


def ok(what):
    results["passed"] += 1
    print("  ok      %s" % what)


def fail(what, why=""):
    results["failed"] += 1
    print("  FAILED  %s%s" % (what, (": " + why) if why else ""))


def check(cond, what, why=""):
    (ok if cond else lambda w: fail(w, why))(what)
    return cond


def run(argv, **kw):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def load_module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def read_json_with_comments(path):
    with open(path) as f:
        return json.loads(re.sub(r"^\s*//.*$", "", f.read(), flags=re.M))


def need(tool, package):
    if shutil.which(tool):
        return True
    fail("%s on PATH" % tool, "install the Debian package %s (tools/install-deps.sh)" % package)
    return False


class Ctx:
    def __init__(self, root, build):
        self.root = os.path.abspath(root)
        self.build = os.path.abspath(build)
        self.mk = load_module(os.path.join(self.root, "tools/make_keys.py"), "make_keys")
        self.gen = load_module(os.path.join(self.root, "deploy/nats/gen_auth.py"), "gen_auth")

    def p(self, *parts):
        return os.path.join(self.root, *parts)

    def producers(self):
        return self.gen.producers_with_strategies(self.mk, self.gen.DEFAULT_STRATEGIES)

    def ring(self, service):
        return self.mk.verified_by(service, self.producers())

    def grpc_ports(self):
        """{service: port} of the services with a gRPC server: the port of
        their grpc.address default in the sources (docs/services/*.md)."""
        if getattr(self, "_grpc_ports", None) is not None:
            return self._grpc_ports
        ports = {}
        for s in SERVICES:
            for path in glob.glob(self.p("services", s, "**", "*.cc"), recursive=True):
                if "/tests/" in path:
                    continue
                with open(path) as f:
                    m = re.search(r'"grpc\.address",\s*\{\.default_value\s*=\s*"[^"]*:(\d+)"', f.read())
                if m:
                    ports[s] = int(m.group(1))
        self._grpc_ports = ports
        return ports

    def make_secrets(self, tmp):
        r = run(["bash", self.p("deploy/docker/make_secrets.sh"), tmp])
        if r.returncode != 0:
            raise RuntimeError("make_secrets.sh failed:\n" + r.stdout)


# ---------------------------------------------------------------------------
def check_nats(c):
    r = run([sys.executable, c.p("deploy/nats/gen_auth.py"), "--check"])
    check(r.returncode == 0, "deploy/nats/auth.conf is generated from tools/make_keys.py and up to date",
          r.stdout.strip())
    with open(c.p("libs/runtime/include/tp/runtime/topology.h")) as f:
        streams = re.findall(r'inline constexpr std::string_view k\w+ = "([A-Z]+)";', f.read())
    check(sorted(streams) == sorted(c.gen.STREAMS), "gen_auth.STREAMS == the streams of topology.h",
          "%s vs %s" % (streams, c.gen.STREAMS))
    sources = ""
    for path in glob.glob(c.p("services/*/*.cc")):
        with open(path) as f:
            sources += f.read()
    for service, consumers in c.gen.CONSUMERS.items():
        for stream, durable in consumers:
            literal = '"ledger-"' if service == "ledger" else '"%s"' % durable
            check(literal in sources, "durable %s (%s, stream %s) is declared in services/" % (durable, service, stream))
    for service in c.gen.CONSUMERS:
        check(service in c.mk.PRODUCERS, "%s is a producer in make_keys.py" % service)

    if not need("nats-server", "nats-server"):
        return
    with tempfile.TemporaryDirectory() as tmp:
        sec = os.path.join(tmp, "secrets")
        os.makedirs(sec)
        users = [line.split()[0] for line in run([sys.executable, c.p("deploy/nats/gen_auth.py"),
                                                 "--list-users"]).stdout.splitlines()]
        for u in users:
            with open(os.path.join(sec, "nats_password_" + u), "w") as f:
                f.write("tp" + os.urandom(20).hex() + "\n")
        env = dict(os.environ, NATS_SECRETS_DIR=sec)
        r = run(["sh", c.p("deploy/nats/entrypoint.sh"), "-c", c.p("deploy/nats/nats.conf"), "-t"], env=env)
        check(r.returncode == 0 and "valid" in r.stdout,
              "nats-server -t accepts deploy/nats/nats.conf with auth.conf (%d users, via entrypoint.sh)" % len(users),
              r.stdout.strip())
        with open(os.path.join(sec, "nats_password_" + users[0]), "w") as f:
            f.write("1234567890123456789012345678\n")
        r = run(["sh", c.p("deploy/nats/entrypoint.sh"), "-c", c.p("deploy/nats/nats.conf"), "-t"], env=env)
        check(r.returncode != 0 and "must be a letter" in r.stdout,
              "entrypoint.sh refuses a password nats-server would read as a number", r.stdout.strip())
        os.remove(os.path.join(sec, "nats_password_" + users[0]))
        r = run(["sh", c.p("deploy/nats/entrypoint.sh"), "-c", c.p("deploy/nats/nats.conf"), "-t"], env=env)
        check(r.returncode != 0, "nats-server refuses to start when a user's password is missing",
              r.stdout.strip())
    with open(c.p("deploy/nats/auth.conf")) as f:
        auth = f.read()
    check("no_auth_user" not in auth and "allow_responses" not in auth,
          "auth.conf has no anonymous user and no response-permission loophole")


# ---------------------------------------------------------------------------
def check_compose(c):
    if not need("docker-compose", "docker-compose"):
        return
    with tempfile.TemporaryDirectory() as tmp:
        c.make_secrets(tmp)
        env = dict(os.environ, TP_SECRETS_DIR=tmp)
        r = subprocess.run(["docker-compose", "-f", c.p("docker-compose.yml"), "--project-directory", c.root,
                            "config"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        if not check(r.returncode == 0, "docker-compose config validates docker-compose.yml", r.stderr.strip()):
            return
        cfg = yaml.safe_load(r.stdout)
        r2 = subprocess.run(["docker-compose", "-f", c.p("docker-compose.yml"), "--project-directory", c.root,
                             "--profile", "ops", "config", "--services"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
        all_services = set(r2.stdout.split())
        for name, sec in cfg.get("secrets", {}).items():
            check(os.path.isfile(sec["file"]), "secret %s: file exists (%s)" % (name, os.path.relpath(sec["file"], tmp)))
    services = cfg["services"]
    expected = set(SERVICES) | {"nats", "postgres", "prometheus", "grafana", "regime-seed"}
    check(expected <= set(services), "compose runs nats, postgres, prometheus, grafana and the seven services",
          "missing %s" % sorted(expected - set(services)))
    check("tradectl" in all_services, "tradectl is available under the ops profile")
    if "tradectl" in services and "ledger" in c.grpc_ports():
        got = services["tradectl"].get("environment", {}).get("TP_LEDGER_GRPC")
        check(got == "ledger:%d" % c.grpc_ports()["ledger"],
              "tradectl: TP_LEDGER_GRPC is the ledger's AuditService (ledger:%d)" % c.grpc_ports()["ledger"], str(got))
    with open(c.p("deploy/prometheus/prometheus.yml")) as f:
        prom = yaml.safe_load(f)
    targets = {}
    for job in prom["scrape_configs"]:
        if job["job_name"] == "trading-platform":
            for sc in job["static_configs"]:
                for t in sc["targets"]:
                    host, _, port = t.rpartition(":")
                    targets[host] = (int(port), sc.get("labels", {}).get("service"))
    dockerfile = os.path.relpath(c.p("deploy/docker/Dockerfile"), c.root)
    grpc = c.grpc_ports()
    check(sorted(grpc) == ["execsim", "ledger", "paramctl", "regime"],
          "the services with a gRPC server, from their grpc.address defaults: %s" % grpc)
    for name in SERVICES:
        s = services[name]
        env = s.get("environment", {})
        secrets = {x["source"]: x.get("target", x["source"]) for x in s.get("secrets", [])}
        check(s.get("build", {}).get("dockerfile") == dockerfile and s["image"].startswith("trading-platform:"),
              "%s: image trading-platform built from %s" % (name, dockerfile))
        check(s.get("command", [None])[0] == name and "/opt/tp/deploy/local/%s.json" % name in s["command"],
              "%s: runs its binary with deploy/local/%s.json" % (name, name), str(s.get("command")))
        check(env.get("TP_NATS__USER") == name and env.get("TP_NATS__PASSWORD_FILE") == "/run/secrets/nats_password"
              and secrets.get("nats_password_" + name) == "nats_password",
              "%s: NATS user %s with its own password secret" % (name, name))
        check(secrets.get("keyring_" + name) == "keyring.json" and env.get("TP_KEYS__FILE") == "/run/secrets/keyring.json",
              "%s: its own key ring" % name)
        hmac = sorted(k[len("hmac_"):] for k in secrets if k.startswith("hmac_"))
        check(hmac == sorted(c.ring(name)) and all(secrets["hmac_" + p] == p + ".key" for p in hmac),
              "%s: exactly the HMAC keys of its ring (%s)" % (name, ", ".join(sorted(c.ring(name)))),
              "mounted %s" % hmac)
        check(env.get("TP_DATABASE__PASSWORD_FILE") == "/run/secrets/db_password" and "db_password" in secrets
              and "password" not in env.get("TP_DATABASE__CONNECTION", ""),
              "%s: database password from the db_password secret only" % name)
        leaked = [k for k, v in env.items() if re.search(r"PASSWORD$|SECRET|KEY$", k) and not k.endswith("_FILE")]
        check(not leaked, "%s: no password or key in its environment" % name, str(leaked))
        port = env.get("TP_ADMIN__PORT")
        check(env.get("TP_ADMIN__ADDRESS") == "0.0.0.0" and port and targets.get(name, (None,))[0] == int(port)
              and targets[name][1] == name,
              "%s: admin port %s is the one Prometheus scrapes (service label %s)" % (name, port, name),
              "prometheus.yml has %s" % (targets.get(name),))
        published = [str(p).split("/")[0] for p in s.get("ports", [])]
        if name in grpc:
            port = grpc[name]
            check(env.get("TP_GRPC__ADDRESS") == "0.0.0.0:%d" % port and "127.0.0.1:%d:%d" % (port, port) in published,
                  "%s: gRPC on 0.0.0.0:%d (TP_GRPC__ADDRESS), published on 127.0.0.1:%d" % (name, port, port),
                  "TP_GRPC__ADDRESS=%s, ports %s" % (env.get("TP_GRPC__ADDRESS"), published))
        else:
            check("TP_GRPC__ADDRESS" not in env, "%s: no TP_GRPC__ADDRESS (no gRPC server)" % name)
        deps = s.get("depends_on", {})
        check(deps.get("nats", {}).get("condition") == "service_healthy"
              and deps.get("postgres", {}).get("condition") == "service_healthy",
              "%s: starts after healthy nats and postgres" % name)
    check(services["regime"]["depends_on"].get("regime-seed", {}).get("condition") == "service_completed_successfully",
          "regime starts after regime-seed trained and promoted the model")
    nats = services["nats"]
    vols = " ".join(str(v) for v in nats.get("volumes", []))
    check("/data/jetstream" in vols and "deploy/nats" in vols and nats.get("healthcheck"),
          "nats: JetStream on a volume, config from deploy/nats, healthcheck")
    nsecrets = sorted(x["source"] for x in nats.get("secrets", []))
    users = [line.split()[0] for line in run([sys.executable, c.p("deploy/nats/gen_auth.py"),
                                             "--list-users"]).stdout.splitlines()]
    check(nsecrets == sorted("nats_password_" + u for u in users),
          "nats: gets the password of every user in auth.conf (%d)" % len(users), str(nsecrets))
    pg = services["postgres"]
    check(pg.get("environment", {}).get("POSTGRES_PASSWORD_FILE") == "/run/secrets/db_password" and pg.get("healthcheck"),
          "postgres: password from a secret, healthcheck")
    pvols = " ".join(str(v) for v in services["prometheus"].get("volumes", []))
    check("deploy/prometheus" in pvols and "/etc/prometheus" in pvols,
          "prometheus: config and rules from deploy/prometheus")
    gvols = " ".join(str(v) for v in services["grafana"].get("volumes", []))
    with open(c.p("deploy/grafana/provisioning/dashboards/dashboards.yml")) as f:
        dash_path = yaml.safe_load(f)["providers"][0]["options"]["path"]
    check("deploy/grafana/provisioning" in gvols and "/etc/grafana/provisioning" in gvols
          and ("deploy/grafana/dashboards:%s" % dash_path) in gvols.replace(c.root + "/", ""),
          "grafana: provisioning and dashboards from deploy/grafana (dashboards at %s)" % dash_path, gvols)
    genv = services["grafana"].get("environment", {})
    check(genv.get("GF_SECURITY_ADMIN_PASSWORD__FILE", "").startswith("/run/secrets/"),
          "grafana: admin password from a secret")
    for name, s in services.items():
        ports = [str(p) for p in s.get("ports", [])]
        bad = [p for p in ports if not (p.startswith("127.0.0.1:") or "host_ip': '127.0.0.1'" in p)]
        check(not bad, "%s: ports published on loopback only" % name, str(bad))


# ---------------------------------------------------------------------------
def check_prometheus(c):
    if not need("promtool", "prometheus"):
        return
    d = c.p("deploy/prometheus")
    r = run(["promtool", "check", "config", "prometheus.yml"], cwd=d)
    check(r.returncode == 0, "promtool check config deploy/prometheus/prometheus.yml", r.stdout.strip())
    rules = sorted(glob.glob(os.path.join(d, "rules", "*.yml")))
    r = run(["promtool", "check", "rules"] + rules)
    check(r.returncode == 0 and rules, "promtool check rules (%d files)" % len(rules), r.stdout.strip())
    r = run(["promtool", "test", "rules", "tests/rules_test.yml"], cwd=d)
    check(r.returncode == 0, "promtool test rules deploy/prometheus/tests/rules_test.yml", r.stdout.strip())
    with open(os.path.join(d, "rules", "trading-platform.yml"), "rb") as a, \
            open(c.p("helm/trading-platform/files/prometheus-rules.yml"), "rb") as b:
        check(a.read() == b.read(), "helm/trading-platform/files/prometheus-rules.yml == deploy/prometheus/rules/trading-platform.yml",
              "copy deploy/prometheus/rules/trading-platform.yml over it")
    with open(os.path.join(d, "rules", "trading-platform.yml")) as f:
        doc = yaml.safe_load(f)
    alerts = {r["alert"] for g in doc["groups"] for r in g["rules"] if "alert" in r}
    for required in ["TPServiceDown", "TPConsumerLagGrowing", "TPDeadLettersAppearing", "TPSignatureFailuresSpiking",
                     "TPKillSwitchOn", "TPLedgerVerificationFailing"]:
        check(required in alerts, "alert %s is defined" % required)
    with open(c.p("docs/operations.md")) as f:
        runbook = f.read().lower()
    for g in doc["groups"]:
        for rule in g["rules"]:
            if "alert" in rule:
                anchor = rule["annotations"].get("runbook", "").split("#")[-1]
                check(anchor and ("#### %s" % rule["alert"].lower()) in runbook,
                      "alert %s: runbook section in docs/operations.md" % rule["alert"])
    with open(os.path.join(d, "metric-status.yml")) as f:
        status = yaml.safe_load(f)
    registered = set()
    for path in glob.glob(c.p("libs/*/src/*.cc")) + glob.glob(c.p("services/*/*.cc")) + \
            glob.glob(c.p("libs/*/src/*.h")):
        with open(path) as f:
            registered |= set(re.findall(r'"(tp_[a-z0-9_]+)"', f.read()))
    for m in status["on_first_event"]:
        check(m in registered, "metric %s (on first event) is registered in the sources" % m)
    for m in status["needs_service_change"]:
        if m in registered:
            print("  NOTE    %s is now registered: move it out of needs_service_change in metric-status.yml" % m)


# ---------------------------------------------------------------------------
def check_grafana(c):
    import jsonschema
    r = run([sys.executable, c.p("deploy/grafana/build_dashboards.py"), "--check"])
    check(r.returncode == 0, "dashboards are what deploy/grafana/build_dashboards.py writes", r.stdout.strip())
    with open(c.p("deploy/grafana/dashboard.schema.json")) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    with open(c.p("deploy/grafana/provisioning/datasources/datasources.yml")) as f:
        ds = yaml.safe_load(f)
    uids = {d["uid"]: d["type"] for d in ds["datasources"]}
    check(ds.get("apiVersion") == 1 and set(uids) == {"prometheus", "tradingdb"} and
          uids["prometheus"] == "prometheus" and uids["tradingdb"] == "grafana-postgresql-datasource",
          "datasources.yml provisions Prometheus (uid prometheus) and PostgreSQL (uid tradingdb)")
    pg = [d for d in ds["datasources"] if d["uid"] == "tradingdb"][0]
    check(pg.get("user") == "grafana_reader" and pg.get("secureJsonData", {}).get("password", "").startswith("$__file{"),
          "TradingDB: read-only role grafana_reader, password from a secret file")
    with open(c.p("deploy/grafana/provisioning/dashboards/dashboards.yml")) as f:
        prov = yaml.safe_load(f)
    check(prov.get("apiVersion") == 1 and prov["providers"][0]["type"] == "file",
          "dashboards.yml provisions the dashboards from files")
    boards = sorted(glob.glob(c.p("deploy/grafana/dashboards/*.json")))
    check({os.path.basename(b) for b in boards} ==
          {"pipeline-overview.json", "latency.json", "trading.json", "audit.json"},
          "four dashboards: pipeline overview, latency, trading, audit")
    uids_seen = set()
    for path in boards:
        name = os.path.basename(path)
        with open(path) as f:
            board = json.load(f)
        errors = sorted(validator.iter_errors(board), key=lambda e: list(e.path))
        check(not errors, "%s is valid against dashboard.schema.json" % name,
              "; ".join("%s: %s" % ("/".join(map(str, e.path)), e.message[:160]) for e in errors[:5]))
        check(board["uid"] not in uids_seen, "%s: unique uid %s" % (name, board["uid"]))
        uids_seen.add(board["uid"])
        ids = [p["id"] for p in board["panels"]]
        check(len(ids) == len(set(ids)), "%s: unique panel ids" % name)
        cells = {}
        overlap = []
        for p in board["panels"]:
            g = p["gridPos"]
            if g["x"] + g["w"] > 24:
                overlap.append("%s beyond 24 columns" % p["title"])
            for x in range(g["x"], g["x"] + g["w"]):
                for y in range(g["y"], g["y"] + g["h"]):
                    if (x, y) in cells:
                        overlap.append("%s / %s" % (cells[(x, y)], p["title"]))
                    cells[(x, y)] = p["title"]
        check(not overlap, "%s: panels do not overlap" % name, "; ".join(sorted(set(overlap))[:3]))
        refs = {(t.get("datasource") or {}).get("uid") for p in board["panels"] for t in p.get("targets", [])}
        check(refs <= set(uids), "%s: every target uses a provisioned datasource" % name, str(refs))


# ---------------------------------------------------------------------------
def build_helm_render(c):
    out = os.path.join(c.build, "tests", "deploy", "helm_render")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    env = dict(os.environ, GO111MODULE="off", GOPATH="/usr/share/gocode", GOFLAGS="",
               GOCACHE=os.path.join(c.build, "tests", "deploy", "go-cache"))
    r = run(["go", "build", "-o", out, "."], cwd=c.p("tests/deploy/helm_render"), env=env)
    if r.returncode != 0:
        fail("build tests/deploy/helm_render (Go, Debian packages)", r.stdout.strip())
        return None
    return out


def k8s_strict(obj, klass_name, path, errors):
    """Every field of obj is a field of the Kubernetes API model (python3-kubernetes)."""
    import kubernetes.client as k
    prim = {"str": str, "int": int, "bool": bool, "float": (int, float)}
    if klass_name in prim:
        if not isinstance(obj, prim[klass_name]) or (klass_name == "int" and isinstance(obj, bool)):
            errors.append("%s: expected %s, got %r" % (path, klass_name, obj))
        return
    if klass_name == "object" or klass_name.startswith("datetime"):
        return
    m = re.fullmatch(r"list\[(.+)\]", klass_name)
    if m:
        if not isinstance(obj, list):
            errors.append("%s: expected a list" % path)
            return
        for i, item in enumerate(obj):
            k8s_strict(item, m.group(1), "%s[%d]" % (path, i), errors)
        return
    m = re.fullmatch(r"dict\(str, (.+)\)", klass_name)
    if m:
        if not isinstance(obj, dict):
            errors.append("%s: expected a map" % path)
            return
        for key, v in obj.items():
            k8s_strict(v, m.group(1), "%s.%s" % (path, key), errors)
        return
    klass = getattr(k, klass_name)
    if not isinstance(obj, dict):
        errors.append("%s: expected an object (%s)" % (path, klass_name))
        return
    by_json = {v: key for key, v in klass.attribute_map.items()}
    for key, v in obj.items():
        if key not in by_json:
            errors.append("%s.%s: unknown field of %s" % (path, key, klass_name))
            continue
        if v is not None:
            k8s_strict(v, klass.openapi_types[by_json[key]], "%s.%s" % (path, key), errors)
    # Required fields: the generated models raise ValueError when one is None.
    try:
        klass(**{by_json[key]: True for key in obj if key in by_json})
    except ValueError as e:
        errors.append("%s: %s" % (path, e))
    except TypeError:
        pass


KINDS = {("apps/v1", "Deployment"): "V1Deployment", ("v1", "Service"): "V1Service",
         ("v1", "ConfigMap"): "V1ConfigMap", ("v1", "Secret"): "V1Secret"}


def check_helm(c):
    import jsonschema
    chart = c.p("helm/trading-platform")
    with open(os.path.join(chart, "values.schema.json")) as f:
        schema = json.load(f)
    jsonschema.Draft7Validator.check_schema(schema)
    ok("values.schema.json is a valid JSON Schema (draft-07, what helm uses)")
    with open(os.path.join(chart, "values.yaml")) as f:
        defaults = yaml.safe_load(f)

    def merged(extra):
        import copy
        out = copy.deepcopy(defaults)

        def merge(d, s):
            for k, v in s.items():
                if isinstance(v, dict) and isinstance(d.get(k), dict):
                    merge(d[k], v)
                elif v is None:
                    d.pop(k, None)
                else:
                    d[k] = v
        merge(out, extra or {})
        return out

    variants = {"values.yaml": None}
    for f in ("values-dev.yaml", "values-prod.yaml"):
        with open(os.path.join(chart, f)) as fh:
            variants[f] = yaml.safe_load(fh)
    for name, extra in variants.items():
        errs = list(jsonschema.Draft7Validator(schema).iter_errors(merged(extra)))
        check(not errs, "%s (merged over values.yaml) is valid against values.schema.json" % name,
              "; ".join(e.message for e in errs[:5]))
    for s in SERVICES:
        link = os.path.join(chart, "files", "config", s + ".json")
        check(os.path.islink(link) and os.path.realpath(link) == c.p("deploy/local", s + ".json")
              and defaults["services"][s]["config"] == {},
              "the chart's config of %s is deploy/local/%s.json (symlink files/config/%s.json)" % (s, s, s))
        check(defaults["services"][s]["keyRing"] == c.ring(s),
              "values.yaml services.%s.keyRing == make_keys.py's ring (%s)" % (s, ", ".join(c.ring(s))))
        check(defaults["services"][s].get("grpcPort") == c.grpc_ports().get(s),
              "values.yaml services.%s.grpcPort == its grpc.address default (%s)" % (s, c.grpc_ports().get(s)),
              str(defaults["services"][s].get("grpcPort")))

    if not need("go", "golang-go"):
        return
    render = build_helm_render(c)
    if not render:
        return
    ok("built tests/deploy/helm_render (text/template + Sprig + gojsonschema)")
    bad_values = {
        "replicas 2 (two consumers of one durable)": "services:\n  decision:\n    replicas: 2\n",
        "an unknown key": "natss:\n  urls: nats://x:4222\n",
        "credentials in the NATS URL": "nats:\n  urls: nats://decision:secret@nats:4222\n",
        "a password as a plain env override": "services:\n  ledger:\n    env:\n      TP_DATABASE__PASSWORD: x\n",
        "runAsNonRoot false": "podSecurityContext:\n  runAsNonRoot: false\n",
        "a gRPC port for a service without gRPC": "services:\n  decision:\n    grpcPort: 50064\n",
        "TP_GRPC__ADDRESS as an env override": "services:\n  ledger:\n    env:\n      TP_GRPC__ADDRESS: 0.0.0.0:1\n",
    }
    with tempfile.TemporaryDirectory() as tmp:
        for what, text in bad_values.items():
            path = os.path.join(tmp, "bad.yaml")
            with open(path, "w") as f:
                f.write(text)
            r = run([render, "-f", path, chart])
            check(r.returncode != 0 and "schema" in r.stdout, "the chart refuses values with %s" % what,
                  r.stdout.strip()[:300])
    for name in variants:
        args = [render] + (["-f", os.path.join(chart, name)] if name != "values.yaml" else []) + \
               ["--release", "tp", "--namespace", "trading", chart]
        r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if not check(r.returncode == 0, "helm template with %s renders" % name, r.stderr.strip()):
            continue
        docs = [d for d in yaml.safe_load_all(r.stdout) if d]
        check_manifests(c, name, docs, variants[name] or {}, merged(variants[name]))


def check_manifests(c, name, docs, values, merged_values):
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
    errors = []
    for d in docs:
        klass = KINDS.get((d["apiVersion"], d["kind"]))
        if klass:
            k8s_strict(d, klass, "%s/%s" % (d["kind"], d["metadata"]["name"]), errors)
    check(not errors, "[%s] %d manifests valid against the Kubernetes API models (unknown fields, types, required)"
          % (name, len(docs)), "; ".join(errors[:6]))
    deployments = {d["metadata"]["labels"]["app.kubernetes.io/component"]: d for d in by_kind.get("Deployment", [])}
    check(sorted(deployments) == sorted(SERVICES), "[%s] one Deployment per service" % name, str(sorted(deployments)))
    svc_objs = {d["metadata"]["labels"]["app.kubernetes.io/component"]: d for d in by_kind.get("Service", [])}
    config = [d for d in by_kind.get("ConfigMap", []) if d["metadata"]["name"].endswith("-config")]
    endpoints = [d for d in by_kind.get("ConfigMap", []) if d["metadata"]["name"].endswith("-endpoints")]
    check(len(config) == 1 and len(endpoints) == 1, "[%s] ConfigMaps for configs and endpoints" % name)
    ep = endpoints[0]["data"] if endpoints else {}
    check(set(ep) == {"TP_NATS__URLS", "TP_DATABASE__CONNECTION", "TP_ADMIN__ADDRESS", "TP_ADMIN__PORT", "TP_LOG__LEVEL"}
          and "password" not in ep.get("TP_DATABASE__CONNECTION", ""),
          "[%s] endpoints ConfigMap: NATS URLs, database (no password), admin address and port" % name, str(ep))
    for s, d in sorted(deployments.items()):
        spec = d["spec"]["template"]["spec"]
        ctr = spec["containers"][0]
        port = {p["name"]: p["containerPort"] for p in ctr.get("ports", [])}.get("admin")
        live, ready = ctr.get("livenessProbe", {}).get("httpGet", {}), ctr.get("readinessProbe", {}).get("httpGet", {})
        check(live.get("path") == "/healthz" and ready.get("path") == "/readyz" and live.get("port") == "admin"
              and ready.get("port") == "admin" and port, "[%s] %s: liveness /healthz, readiness /readyz on the admin port" % (name, s))
        res = ctr.get("resources", {})
        check(res.get("requests", {}).get("cpu") and res.get("requests", {}).get("memory") and res.get("limits", {}).get("memory"),
              "[%s] %s: resource requests and memory limit" % (name, s))
        psc, csc = spec.get("securityContext", {}), ctr.get("securityContext", {})
        check(psc.get("runAsNonRoot") is True and psc.get("runAsUser", 0) > 0 and csc.get("allowPrivilegeEscalation") is False
              and csc.get("readOnlyRootFilesystem") is True, "[%s] %s: non-root, no privilege escalation, read-only root" % (name, s))
        check(d["spec"]["replicas"] in (0, 1) and d["spec"]["strategy"]["type"] == "Recreate",
              "[%s] %s: singleton with the Recreate strategy" % (name, s))
        env = {e["name"]: e.get("value") for e in ctr.get("env", [])}
        check(env.get("TP_NATS__USER") == s and ctr["args"][0] == s and "/etc/tp/config.json" in ctr["args"],
              "[%s] %s: its binary, its config, NATS user %s" % (name, s, s))
        vols = {v["name"]: v for v in spec["volumes"]}
        items = {i["key"]: i["path"] for i in vols["secrets"]["secret"]["items"]}
        keys = sorted(k[:-4] for k in items if k.endswith(".key"))
        check(keys == sorted(c.ring(s)) and items.get("%s.json" % s) == "keyring.json"
              and items.get("nats_password_%s" % s) == "nats_password" and items.get("db_password") == "db_password",
              "[%s] %s: Secret items = its key ring, its HMAC keys, its NATS and DB passwords" % (name, s), str(items))
        cm_items = vols["config"]["configMap"]["items"]
        cfg_text = config[0]["data"].get(cm_items[0]["key"]) if config else None
        expected = (values.get("services", {}).get(s) or {}).get("config") or \
            read_json_with_comments(c.p("deploy/local", s + ".json"))
        check(cm_items[0]["key"] == s + ".json" and cfg_text is not None and
              json.loads(re.sub(r"^\s*//.*$", "", cfg_text, flags=re.M)) == expected,
              "[%s] %s: config from the ConfigMap, equal to deploy/local/%s.json" % (name, s, s))
        sel = d["spec"]["selector"]["matchLabels"]
        so = svc_objs.get(s)
        grpc_port = (merged_values.get("services", {}).get(s) or {}).get("grpcPort")
        ctr_grpc = {p["name"]: p["containerPort"] for p in ctr.get("ports", [])}.get("grpc")
        svc_grpc = [p for p in (so or {}).get("spec", {}).get("ports", []) if p.get("name") == "grpc"]
        if grpc_port:
            check(ctr_grpc == grpc_port and env.get("TP_GRPC__ADDRESS") == "0.0.0.0:%d" % grpc_port
                  and len(svc_grpc) == 1 and svc_grpc[0].get("port") == grpc_port
                  and svc_grpc[0].get("targetPort") == "grpc",
                  "[%s] %s: gRPC on 0.0.0.0:%d, container port and Service port grpc" % (name, s, grpc_port),
                  "container %s, env %s, Service %s" % (ctr_grpc, env.get("TP_GRPC__ADDRESS"), svc_grpc))
        else:
            check(ctr_grpc is None and "TP_GRPC__ADDRESS" not in env and not svc_grpc,
                  "[%s] %s: no gRPC port" % (name, s))
        check(so and so["spec"]["selector"] == sel and so["spec"]["ports"][0]["targetPort"] == "admin"
              and all(d["spec"]["template"]["metadata"]["labels"].get(k) == v for k, v in sel.items()),
              "[%s] %s: a Service selects its pods on the admin port" % (name, s))
        init = spec.get("initContainers", [])
        if s == "regime" and (values.get("regimeSeed") or {}).get("enabled"):
            check(init and init[0]["command"][-2:] == ["regime", "train"] and "--promote" in init[0]["args"],
                  "[%s] regime: init container trains and promotes the model" % name)
    secrets = by_kind.get("Secret", [])
    check(not secrets or (values.get("secrets") or {}).get("create"), "[%s] no Secret rendered unless secrets.create" % name)
    sm = by_kind.get("ServiceMonitor", [])
    if (values.get("serviceMonitor") or {}).get("enabled"):
        ep0 = sm[0]["spec"]["endpoints"][0] if sm else {}
        check(sm and sm[0]["apiVersion"] == "monitoring.coreos.com/v1" and ep0.get("port") == "admin"
              and ep0.get("path") == "/metrics" and sm[0]["spec"]["jobLabel"] == "app.kubernetes.io/part-of"
              and any(r.get("targetLabel") == "service" for r in ep0.get("relabelings", [])),
              "[%s] ServiceMonitor scrapes /metrics on admin as job trading-platform, label service" % name)
    else:
        check(not sm, "[%s] no ServiceMonitor unless enabled" % name)
    pr = by_kind.get("PrometheusRule", [])
    if (values.get("prometheusRule") or {}).get("enabled") and need("promtool", "prometheus"):
        with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
            yaml.safe_dump(pr[0]["spec"], f)
        r = run(["promtool", "check", "rules", f.name])
        os.unlink(f.name)
        check(pr and r.returncode == 0, "[%s] PrometheusRule spec passes promtool check rules" % name, r.stdout.strip())


# ---------------------------------------------------------------------------
def check_dockerfile(c):
    with open(c.p("deploy/docker/Dockerfile")) as f:
        text = f.read()
    lines = re.sub(r"\\\n", " ", text).splitlines()
    froms = [line.split() for line in lines if line.startswith("FROM ")]
    check(len(froms) >= 2, "multi-stage (%d stages)" % len(froms))
    check(re.search(r"ARG DEBIAN_RELEASE=bookworm", text) and
          all(f[1] in ("debian:${DEBIAN_RELEASE}", "debian:${DEBIAN_RELEASE}-slim") for f in froms),
          "every stage is Debian 12 (bookworm)")
    final = text[text.rindex("\nFROM "):]
    user = re.findall(r"^USER\s+(\S+)", final, flags=re.M)
    check(user and user[-1].split(":")[0] not in ("root", "0"), "the runtime stage runs as a non-root user (%s)" % user)
    check(re.search(r"^HEALTHCHECK .*CMD .*/healthz", re.sub(r"\\\n", " ", final), flags=re.M),
          "HEALTHCHECK on /healthz")
    check(not re.search(r"(?i)secret|password|\.key\b|keys/", "\n".join(
        line for line in lines if line.startswith(("COPY", "ADD", "ENV", "ARG")))),
          "no secret, password or key is copied or set in the image")
    installs = [re.findall(r"apt-get install -y --no-install-recommends ([^&]+)", line) for line in lines]
    installs = [i[0].split() for i in installs if i]
    check(len(installs) == 2, "one apt-get install per stage")
    if len(installs) != 2:
        return
    build_pkgs, runtime_pkgs = installs
    with open(c.p("tools/install-deps.sh")) as f:
        deps = f.read()
    known = set(re.findall(r"[a-z0-9][a-z0-9.+-]+", deps[deps.index("PACKAGES=("):deps.index(")\n")]))
    unknown = [p for p in build_pkgs if p not in known and p != "ca-certificates"]
    check(not unknown, "build packages are those of tools/install-deps.sh", str(unknown))
    targets = re.search(r"--target\s+([a-z ]+)", " ".join(lines)).group(1).split()
    check(sorted(targets) == sorted(SERVICES + ["tradectl"]), "builds the seven services and tradectl")
    binaries = [os.path.join(c.build, "services", b, b) for b in targets]
    binaries = [b for b in binaries if os.access(b, os.X_OK)]
    if len(binaries) != len(targets) or not shutil.which("dpkg-query"):
        print("  SKIP    runtime libraries (binaries not built in %s)" % c.build)
        return
    libs = set()
    for b in binaries:
        r = run(["ldd", b])
        libs |= {m.group(1) for m in re.finditer(r"=> (\S+) \(", r.stdout)}
    # One dpkg-query for every library (each call reads the whole file database).
    paths = sorted({os.path.realpath(lib) for lib in libs} | libs)
    r = run(["dpkg-query", "-S"] + paths)
    owner = {}
    for line in r.stdout.splitlines():
        if ": " in line:
            pkgs, path = line.split(": ", 1)
            owner[path.strip()] = pkgs.split(",")[0].split(":")[0].strip()
    needed = set()
    for lib in sorted(libs):
        pkg = owner.get(os.path.realpath(lib)) or owner.get(lib)
        if pkg:
            needed.add(pkg)
        else:
            fail("library %s belongs to a Debian package" % lib)
    closure = dependency_closure(runtime_pkgs)
    missing = sorted(needed - closure)
    check(not missing,
          "runtime packages cover the %d shared libraries of the %d binaries (%d packages)"
          % (len(libs), len(binaries), len(needed)), "missing %s" % missing)


def dependency_closure(packages):
    """Packages and their Depends/Pre-Depends, recursively (dpkg's database,
    apt-cache for packages that are not installed)."""
    seen, todo = set(), list(packages)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        r = run(["dpkg-query", "-W", "-f=${Depends}, ${Pre-Depends}, ${Provides}", p])
        if r.returncode != 0:
            r = run(["apt-cache", "show", "--no-all-versions", p])
            text = ", ".join(line.split(":", 1)[1] for line in r.stdout.splitlines()
                             if line.startswith(("Depends:", "Pre-Depends:")))
        else:
            text = r.stdout
        for alt in text.split(","):
            for name in alt.split("|"):
                name = name.strip().split(" ")[0].split(":")[0]
                if name:
                    todo.append(name)
    return seen


COMMANDS = {"nats": check_nats, "compose": check_compose, "prometheus": check_prometheus,
            "grafana": check_grafana, "helm": check_helm, "dockerfile": check_dockerfile}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=sorted(COMMANDS) + ["all"])
    ap.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    ap.add_argument("--build", default="build")
    args = ap.parse_args()
    c = Ctx(args.root, args.build)
    for name in (sorted(COMMANDS) if args.command == "all" else [args.command]):
        print("== %s" % name)
        try:
            COMMANDS[name](c)
        except Exception as e:  # noqa: BLE001 - a crash is a failed check
            import traceback
            traceback.print_exc()
            fail(name, "%s: %s" % (type(e).__name__, e))
    print("%d passed, %d failed" % (results["passed"], results["failed"]))
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())

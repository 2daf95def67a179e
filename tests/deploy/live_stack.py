"""A private, production-shaped local stack for the deployment checks.

Unlike `make up` (tools/up.sh: open NATS, trusted local PostgreSQL), this
runs what docker compose runs, minus the containers:

- nats-server with deploy/nats/nats.conf (JetStream) and deploy/nats/auth.conf
  (per-service users and permissions), started through
  deploy/nats/entrypoint.sh with password files like compose's secrets;
- PostgreSQL (Debian's binaries, as tools/stack.sh starts it), plus Grafana's
  read-only role from deploy/grafana/postgres/10-grafana-reader.sh;
- key rings from tools/make_keys.py (as deploy/docker/make_secrets.sh);
- the regime model seeded like compose's regime-seed (through
  deploy/docker/tp-cli.sh, with the regime NATS user);
- the seven services with the environment docker-compose.yml gives them
  (NATS user and password file, key ring, admin port), configured from
  deploy/local/;
- Prometheus with deploy/prometheus/prometheus.yml and its rules, targets
  rewritten to the local admin ports.

Every port is a free loopback port unless given. Everything lives in one
work directory and is stopped by stop() (or on exit).
"""
import atexit
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import yaml

SERVICES = ["ingester", "regime", "paramctl", "signal", "decision", "execsim", "ledger"]


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, what, timeout=20.0, proc=None, log=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("%s exited with %s; log %s:\n%s" % (what, proc.returncode, log, tail(log)))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("%s did not open 127.0.0.1:%d in %.0f s" % (what, port, timeout))


def tail(path, n=40):
    if not path or not os.path.exists(path):
        return ""
    with open(path, errors="replace") as f:
        return "".join(f.readlines()[-n:])


def http_get(url, timeout=5.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as e:
        return 0, str(e)


def clean_env(extra=None):
    """The environment without TP_* (services reject unknown TP_ keys)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TP_")}
    env.update(extra or {})
    return env


class Stack:
    def __init__(self, root, build, work, log=print):
        self.root = os.path.abspath(root)
        self.build = os.path.abspath(build)
        self.work = os.path.abspath(work)
        self.log = log
        self.procs = {}  # name -> (Popen, log path)
        self.pg_data = None
        self.pg_bin = None
        self.ports = {}
        self.admin = {}
        self.passwords = {}
        atexit.register(self.stop)

    # -- helpers -------------------------------------------------------------
    def path(self, *parts):
        return os.path.join(self.work, *parts)

    def spawn(self, name, argv, env=None, cwd=None):
        log_path = self.path("log", name + ".log")
        os.makedirs(os.path.dirname(log_path), exist_ok=True)
        out = open(log_path, "w")
        p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env or clean_env(),
                             cwd=cwd or self.root, start_new_session=True)
        out.close()
        self.procs[name] = (p, log_path)
        return p, log_path

    def run(self, argv, env=None, cwd=None, timeout=300, check=True):
        r = subprocess.run(argv, env=env or clean_env(), cwd=cwd or self.root, timeout=timeout,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if check and r.returncode != 0:
            raise RuntimeError("%s failed (%d):\n%s" % (" ".join(argv), r.returncode, r.stdout))
        return r

    def binary(self, name):
        return os.path.join(self.build, "services", name, name)

    # -- pieces --------------------------------------------------------------
    def make_secrets(self):
        sec = self.path("secrets")
        os.makedirs(sec, exist_ok=True)
        users = subprocess.run([sys.executable, os.path.join(self.root, "deploy/nats/gen_auth.py"),
                                "--list-users"], check=True, stdout=subprocess.PIPE, text=True).stdout
        strategies = []
        for line in users.splitlines():
            user = line.split()[0]
            pw = "tp" + os.urandom(20).hex()
            self.passwords[user] = pw
            with open(os.path.join(sec, "nats_password_" + user), "w") as f:
                f.write(pw + "\n")
            if user.startswith("strategy-"):
                strategies += ["--strategy", user[len("strategy-"):]]
        with open(os.path.join(sec, "grafana_db_password"), "w") as f:
            f.write("tp" + os.urandom(20).hex() + "\n")
        self.run([sys.executable, os.path.join(self.root, "tools/make_keys.py"),
                  os.path.join(sec, "keys")] + strategies)

    def start_nats(self, port=None, monitor_port=None):
        port = port or free_port()
        monitor_port = monitor_port or free_port()
        self.ports["nats"], self.ports["nats_monitor"] = port, monitor_port
        d = self.path("nats")
        os.makedirs(os.path.join(d, "jetstream"), exist_ok=True)
        with open(os.path.join(self.root, "deploy/nats/nats.conf")) as f:
            conf = f.read()
        conf = conf.replace("listen: 0.0.0.0:4222", "listen: 127.0.0.1:%d" % port)
        conf = conf.replace("http: 0.0.0.0:8222", "http: 127.0.0.1:%d" % monitor_port)
        conf = conf.replace('"/data/jetstream"', '"%s"' % os.path.join(d, "jetstream"))
        if "127.0.0.1:%d" % port not in conf or os.path.join(d, "jetstream") not in conf:
            raise RuntimeError("deploy/nats/nats.conf: listen/http/store_dir lines changed; "
                               "update tests/deploy/live_stack.py")
        with open(os.path.join(d, "nats.conf"), "w") as f:
            f.write(conf)
        shutil.copy(os.path.join(self.root, "deploy/nats/auth.conf"), os.path.join(d, "auth.conf"))
        env = clean_env({"NATS_SECRETS_DIR": self.path("secrets")})
        p, log = self.spawn("nats", ["sh", os.path.join(self.root, "deploy/nats/entrypoint.sh"),
                                     "-c", os.path.join(d, "nats.conf")], env=env)
        wait_port(port, "nats-server", proc=p, log=log)
        self.log("stack: nats-server with auth on 127.0.0.1:%d (monitor %d)" % (port, monitor_port))

    def start_postgres(self, port=None):
        port = port or free_port()
        self.ports["pg"] = port
        bins = sorted((p for p in (os.path.join("/usr/lib/postgresql", v, "bin")
                                   for v in os.listdir("/usr/lib/postgresql"))
                       if os.path.exists(os.path.join(p, "initdb"))),
                      key=lambda p: [int(x) for x in re.findall(r"\d+", p)])
        if not bins:
            raise RuntimeError("PostgreSQL binaries not found (install postgresql)")
        self.pg_bin = bins[-1]
        d = self.path("pg")
        data, run = os.path.join(d, "data"), os.path.join(d, "run")
        os.makedirs(run, exist_ok=True)
        as_user = []
        if os.getuid() == 0:
            as_user = ["runuser", "-u", os.environ.get("TP_PG_USER", "nobody"), "--"]
            subprocess.run(["chown", "-R", os.environ.get("TP_PG_USER", "nobody"), d], check=True)
            os.chmod(self.work, 0o755)
        self.pg_as = as_user
        self.run(as_user + [os.path.join(self.pg_bin, "initdb"), "-D", data, "-U", "tp",
                            "--auth=trust", "-E", "UTF8", "--no-locale"])
        self.pg_data = data
        self.run(as_user + [os.path.join(self.pg_bin, "pg_ctl"), "-D", data, "-l",
                            os.path.join(d, "postgres.log"), "-w", "-t", "30", "-o",
                            "-c listen_addresses=127.0.0.1 -p %d -c unix_socket_directories=%s"
                            % (port, run), "start"])
        self.psql("postgres", "CREATE DATABASE trading")
        # Grafana's read-only role, with the script compose runs.
        env = clean_env({"PGHOST": "127.0.0.1", "PGPORT": str(port), "POSTGRES_USER": "tp",
                         "POSTGRES_DB": "trading",
                         "GRAFANA_DB_PASSWORD_FILE": self.path("secrets", "grafana_db_password")})
        self.run(["sh", os.path.join(self.root, "deploy/grafana/postgres/10-grafana-reader.sh")],
                 env=env)
        self.log("stack: postgres on 127.0.0.1:%d, role grafana_reader created" % port)

    def db_conn(self, user="tp", db="trading"):
        return "host=127.0.0.1 port=%d user=%s dbname=%s" % (self.ports["pg"], user, db)

    def psql(self, db, sql, user="tp"):
        r = self.run(["psql", self.db_conn(user, db), "-v", "ON_ERROR_STOP=1", "-XAtqc", sql])
        return r.stdout

    def nats_url(self, user=None):
        if user:
            return "nats://%s:%s@127.0.0.1:%d" % (user, self.passwords[user], self.ports["nats"])
        return "nats://127.0.0.1:%d" % self.ports["nats"]

    def cli_env(self, user, extra=None):
        """Environment for deploy/docker/tp-cli.sh, as compose gives it."""
        env = clean_env({
            "TP_CLI_NATS_USER": user,
            "TP_CLI_NATS_PASSWORD_FILE": self.path("secrets", "nats_password_" + user),
            "TP_CLI_NATS_URL": self.nats_url(),
        })
        env.update(extra or {})
        return env

    def seed_regime(self):
        with open(os.path.join(self.root, "deploy/local/regime-model.json")) as f:
            text = re.sub(r"^\s*//.*$", "", f.read(), flags=re.M)
        spec = json.loads(text)
        args = ["train"]
        for k, v in spec.items():
            args += ["--" + k, v if isinstance(v, str) else json.dumps(v)]
        args += ["--promote", "--db", self.db_conn(), "--keys",
                 self.path("secrets", "keys", "regime.json"), "--operator", "check-deploy"]
        self.run(["sh", os.path.join(self.root, "deploy/docker/tp-cli.sh"), self.binary("regime")] + args,
                 env=self.cli_env("regime"), timeout=600)
        self.log("stack: regime model trained and promoted (NATS user regime)")

    def start_services(self, admin_base=None):
        for i, name in enumerate(SERVICES):
            port = admin_base + i if admin_base else free_port()
            self.admin[name] = port
        # Consumers first, the ingester last (as run_platform does).
        for name in reversed(SERVICES):
            env = clean_env({
                "TP_NATS__URLS": self.nats_url(),
                "TP_NATS__USER": name,
                "TP_NATS__PASSWORD_FILE": self.path("secrets", "nats_password_" + name),
                "TP_DATABASE__CONNECTION": self.db_conn(),
                "TP_KEYS__FILE": self.path("secrets", "keys", name + ".json"),
                "TP_ADMIN__ADDRESS": "127.0.0.1",
                "TP_ADMIN__PORT": str(self.admin[name]),
            })
            p, log = self.spawn(name, [self.binary(name), "--config",
                                       os.path.join(self.root, "deploy/local", name + ".json")], env=env)
            deadline = time.time() + 60
            while True:
                if p.poll() is not None:
                    raise RuntimeError("%s exited with %s while starting; log:\n%s" % (name, p.returncode, tail(log)))
                status, body = http_get("http://127.0.0.1:%d/readyz" % self.admin[name], timeout=1)
                if status == 200:
                    break
                if time.time() > deadline:
                    raise RuntimeError("%s not ready in 60 s (%s); log:\n%s" % (name, body, tail(log)))
                time.sleep(0.1)
            self.log("stack: %s ready (NATS user %s) admin http://127.0.0.1:%d" % (name, name, self.admin[name]))

    def prometheus_config(self, scrape_interval="2s"):
        """deploy/prometheus/prometheus.yml with local targets and a short interval."""
        src = os.path.join(self.root, "deploy/prometheus")
        with open(os.path.join(src, "prometheus.yml")) as f:
            cfg = yaml.safe_load(f)
        cfg["global"]["scrape_interval"] = scrape_interval
        cfg["global"]["evaluation_interval"] = scrape_interval
        cfg["global"]["scrape_timeout"] = scrape_interval
        seen = set()
        for job in cfg["scrape_configs"]:
            for sc in job.get("static_configs", []):
                new = []
                for t in sc["targets"]:
                    host, _, port = t.rpartition(":")
                    if host in self.admin:
                        new.append("127.0.0.1:%d" % self.admin[host])
                        seen.add(host)
                    elif job["job_name"] == "prometheus":
                        new.append("127.0.0.1:%d" % self.ports["prometheus"])
                    else:
                        raise RuntimeError("unexpected target %s in prometheus.yml" % t)
                sc["targets"] = new
        missing = set(SERVICES) - seen
        if missing:
            raise RuntimeError("prometheus.yml does not scrape %s" % sorted(missing))
        d = self.path("prometheus")
        if os.path.exists(os.path.join(d, "rules")):
            shutil.rmtree(os.path.join(d, "rules"))
        shutil.copytree(os.path.join(src, "rules"), os.path.join(d, "rules"))
        with open(os.path.join(d, "prometheus.yml"), "w") as f:
            yaml.safe_dump(cfg, f, sort_keys=False)
        return os.path.join(d, "prometheus.yml")

    def start_prometheus(self, port=None):
        port = port or free_port()
        self.ports["prometheus"] = port
        os.makedirs(self.path("prometheus", "data"), exist_ok=True)
        cfg = self.prometheus_config()
        p, log = self.spawn("prometheus", [
            "prometheus", "--config.file=" + cfg, "--storage.tsdb.path=" + self.path("prometheus", "data"),
            "--web.listen-address=127.0.0.1:%d" % port, "--log.level=warn"])
        wait_port(port, "prometheus", proc=p, log=log)
        self.log("stack: prometheus on http://127.0.0.1:%d" % port)

    def start_all(self):
        if os.path.exists(self.work):
            shutil.rmtree(self.work)
        os.makedirs(self.work)
        self.make_secrets()
        self.start_nats(int(os.environ.get("CHECK_DEPLOY_NATS_PORT", 0)) or None,
                        int(os.environ.get("CHECK_DEPLOY_NATS_MONITOR_PORT", 0)) or None)
        self.start_postgres(int(os.environ.get("CHECK_DEPLOY_PG_PORT", 0)) or None)
        self.seed_regime()
        self.start_services(int(os.environ.get("CHECK_DEPLOY_ADMIN_BASE_PORT", 0)) or None)
        self.start_prometheus(int(os.environ.get("CHECK_DEPLOY_PROMETHEUS_PORT", 0)) or None)

    def stop_service(self, name, timeout=30):
        """SIGTERM; returns the exit status (services must exit 0)."""
        if name not in self.procs:
            return None
        p, _ = self.procs.pop(name)
        if p.poll() is not None:
            return "had already exited with %s" % p.returncode
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
                return "killed after %d s" % timeout
        return p.returncode

    def stop(self):
        results = {}
        for name in ["prometheus"] + SERVICES:
            if name in self.procs:
                results[name] = self.stop_service(name)
        if "nats" in self.procs:
            results["nats"] = self.stop_service("nats")
        if self.pg_data and os.path.exists(os.path.join(self.pg_data, "postmaster.pid")):
            subprocess.run(self.pg_as + [os.path.join(self.pg_bin, "pg_ctl"), "-D", self.pg_data,
                                         "-m", "fast", "-w", "stop"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.pg_data = None
        return results

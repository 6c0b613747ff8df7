#!/usr/bin/env python3
"""``make cluster-test``: the product as separate hosts on one machine, and what scale-out must keep.

Every host is a Linux network namespace joined to a bridge in the root namespace by a veth
link: a load balancer (HAProxy, deploy/haproxy.cfg), two web hosts (gunicorn, the command of
deploy/portal-web.service), two worker hosts (deploy/portal-worker.service) and a beat host
(deploy/portal-beat.service), plus a second beat host started "by mistake". The shared
services (PostgreSQL, Redis, RabbitMQ) stay on 127.0.0.1 of the root namespace; a TCP
forwarder there (HAProxy in TCP mode) offers them on the bridge address, as if they were
hosts of their own. The hosts' commands and environment are read from the unit files (their
ExecStart, Environment and the EnvironmentFile this script writes), so the deploy files are
what runs.

What it proves, each by a measurement printed in the summary (exit status 1 if any fails):

1. limits: the burst limit answers 429 at the same call through the load balancer (calls
   spread over both web hosts) as on one web host; the monthly quota likewise.
2. revocation / suspension: the next request on every web host is refused.
3. settlement: periods spread over both workers; one worker host's namespace is killed
   (every process in it, SIGKILL) mid-run; the statements equal those of a clean run on a
   copy of the database made before. A second beat then runs the scheduled settlement
   alongside the first: no period is settled twice, statements still equal the clean copy's.
4. webhooks: every event reaches the receiver, whose unique delivery ids equal the events
   published, while a worker host is killed during delivery.
5. a web host killed under load: the client sees only 200s (the load balancer retries).

Needs root, iproute2, HAProxy, socat, PostgreSQL (DATABASE_URL gives the server and user;
the test makes its own databases ``portal_cluster`` and ``portal_cluster_copy``), Redis
(database CLUSTER_REDIS_DB, default 8, flushed) and RabbitMQ (vhost CLUSTER_VHOST, default
``cluster``, recreated). Logs: var/cluster/. Everything is torn down at the end, on failure too.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("VENV", str(ROOT / ".venv")))
PYTHON = str(VENV / "bin" / "python")
WORK = ROOT / "var" / "cluster"
DEPLOY = ROOT / "deploy"

BRIDGE = "clbr0"
NET = "10.231.0"
GATEWAY = f"{NET}.1"  # the root namespace on the bridge: the shared services and the receiver
HOSTS = {"lb": 2, "web1": 11, "web2": 12, "worker1": 21, "worker2": 22, "beat": 31, "beat2": 32}
WEB_PORT = 8000
HOOK_PORT = 9443
SITE_HOST = "portal.cluster"
SETTLE_THROUGH = "2026-03-31"
BURST_CALLS = 20
BURST_SECONDS = 120
QUOTA_GOLD = 45
WORKLOAD_PARTNERS = int(os.environ.get("CLUSTER_PARTNERS", "10"))
WORKLOAD_ROWS = int(os.environ.get("CLUSTER_ROWS", "30000"))
WEBHOOK_EVENTS = 40
PROOFS = 9


def ip(name: str) -> str:
    return f"{NET}.{HOSTS[name]}"


def ns(name: str) -> str:
    return f"cl-{name}"


def on_host(name: str | None) -> list[str]:
    """The prefix that runs a command on a host (in its namespace); none for the root namespace."""
    return ["ip", "netns", "exec", ns(name)] if name else []


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(*args: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, text=True, **kwargs)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return done


class ProofFailed(AssertionError):
    pass


# ----------------------------------------------------------------------------------------
# The unit files: ExecStart and Environment, as systemd would run them
# ----------------------------------------------------------------------------------------
def unit_command(unit: str, host: str, env_file: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """The argv and environment of ``deploy/<unit>`` on ``host``: Environment= lines, then the
    EnvironmentFile (ours) over them; ``${NAME}`` expanded, ``%H`` is the host's name and
    /srv/portal this checkout."""
    env: dict[str, str] = {}
    argv: list[str] | None = None
    for raw in (DEPLOY / unit).read_text().splitlines():
        line = raw.strip()
        if line.startswith("Environment="):
            name, _, value = line.removeprefix("Environment=").partition("=")
            env[name] = value
        elif line.startswith("ExecStart="):
            argv = shlex.split(line.removeprefix("ExecStart="))
    if argv is None:
        raise RuntimeError(f"deploy/{unit} has no ExecStart")
    env.update(env_file)

    def expand(arg: str) -> str:
        arg = arg.replace("/srv/portal", str(ROOT)).replace("%H", host)
        return re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], arg)

    return [expand(a) for a in argv], env


def base_env() -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TZ")
    return {k: v for k, v in os.environ.items() if k in keep}


# ----------------------------------------------------------------------------------------
# The cluster
# ----------------------------------------------------------------------------------------
class Cluster:
    def __init__(self, args):
        db = urlsplit(os.environ.get("DATABASE_URL", "postgres://root@127.0.0.1:5432/portal"))
        if db.scheme not in ("postgres", "postgresql"):
            raise SystemExit(
                "make cluster-test needs DATABASE_URL on PostgreSQL (postgres://user@host:port/db)"
            )
        self.pg_user = db.username or "postgres"
        self.pg_port = db.port or 5432
        self.pg_host = db.hostname or "127.0.0.1"
        self.db = "portal_cluster"
        self.copy = "portal_cluster_copy"
        self.redis_db = int(os.environ.get("CLUSTER_REDIS_DB", "8"))
        self.vhost = os.environ.get("CLUSTER_VHOST", "cluster")
        self.procs: dict[str, subprocess.Popen] = {}
        self.results: list[tuple[str, bool, str]] = []
        self.secret_key = secrets.token_urlsafe(50)
        self.receiver: Receiver | None = None
        self.keep = args.keep
        self.load_rounds = 0
        self.alive_rounds = 0
        self.clean: subprocess.Popen | None = None  # the clean settlement on the copy (main)

    # --- environments ---------------------------------------------------------------
    def env_file(self, *, on_bridge: bool = True, database: str | None = None) -> dict[str, str]:
        """The EnvironmentFile of every host (deploy/portal.env.example, filled in)."""
        host = GATEWAY if on_bridge else "127.0.0.1"
        pg_host = GATEWAY if on_bridge else self.pg_host
        return {
            "DJANGO_ENV": "production",
            "DJANGO_SETTINGS_MODULE": "portal.settings.cluster",
            "SECRET_KEY": self.secret_key,
            "DATABASE_URL": f"postgres://{self.pg_user}@{pg_host}:{self.pg_port}/{database or self.db}",
            "REDIS_URL": f"redis://{host}:6379/{self.redis_db}",
            "CELERY_BROKER_URL": f"amqp://guest:guest@{host}:5672/{self.vhost}",
            "ALLOWED_HOSTS": f"{SITE_HOST},{ip('web1')},{ip('web2')}",
            "SITE_URL": f"https://{SITE_HOST}",
            "GUNICORN_WORKERS": "2",
            "CELERY_CONCURRENCY": "2",
            "API_RATE_BURST_CALLS": str(BURST_CALLS),
            "API_RATE_BURST_SECONDS": str(BURST_SECONDS),
            "API_QUOTA_GOLD": str(QUOTA_GOLD),
            "WEBHOOK_ALLOWED_PORTS": f"443,{HOOK_PORT}",
            "WEBHOOK_DELIVERY_DEADLINE_SECONDS": "3",
            "READYZ_CACHE_SECONDS": "2",
        }

    def manage(
        self, *args: str, host: str | None = "beat", env: dict | None = None, timeout: int = 600
    ) -> str:
        """``manage.py`` on a host (an operator's shell there), or in the root namespace."""
        environment = {**base_env(), **(env or self.env_file(on_bridge=host is not None))}
        done = subprocess.run(
            [*on_host(host), PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {args[0]} failed: {done.stderr.strip()[-3000:]}")
        return done.stdout

    def shell(self, code: str, **kwargs) -> str:
        """Run ``code`` in ``manage.py shell``; its output's last line."""
        out = self.manage("shell", "--no-imports", "-c", code, **kwargs).strip()
        return out.splitlines()[-1] if out else ""

    def sql(self, query: str, params=(), *, database: str | None = None, autocommit: bool = False):
        import psycopg  # noqa: PLC0415 - the venv's, only when run

        with psycopg.connect(
            host=self.pg_host,
            port=self.pg_port,
            user=self.pg_user,
            dbname=database or self.db,
            autocommit=autocommit,
        ) as conn:
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else None

    # --- start-up ----------------------------------------------------------------------
    def databases(self) -> None:
        for name in (self.db, self.copy):
            self.sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", database="postgres", autocommit=True)
        self.sql(f"CREATE DATABASE {self.db}", database="postgres", autocommit=True)
        run("redis-cli", "-h", "127.0.0.1", "-n", str(self.redis_db), "FLUSHDB")
        run("rabbitmqctl", "-q", "delete_vhost", self.vhost, check=False)
        run("rabbitmqctl", "-q", "add_vhost", self.vhost)
        run("rabbitmqctl", "-q", "set_permissions", "-p", self.vhost, "guest", ".*", ".*", ".*")
        t = time.monotonic()
        self.manage("migrate", "--noinput", host=None)
        self.manage("seed_demo", "--force", host=None)
        self.shell(WORKLOAD.format(partners=WORKLOAD_PARTNERS, rows=WORKLOAD_ROWS), host=None)
        log(
            f"database {self.db}: migrated, demo data, {WORKLOAD_PARTNERS} x {WORKLOAD_ROWS} ledger rows "
            f"({time.monotonic() - t:.0f}s)"
        )
        # The copy for the clean runs, before any host connects (a template needs no sessions).
        self.sql(f"CREATE DATABASE {self.copy} TEMPLATE {self.db}", database="postgres", autocommit=True)

    def network(self) -> None:
        run("ip", "link", "add", BRIDGE, "type", "bridge")
        run("ip", "addr", "add", f"{GATEWAY}/24", "dev", BRIDGE)
        run("ip", "link", "set", BRIDGE, "up")
        for name in HOSTS:
            self.namespace(name)

    def namespace(self, name: str) -> None:
        run("ip", "netns", "add", ns(name))
        run("ip", "link", "add", f"clv-{name}", "type", "veth", "peer", "name", "eth0", "netns", ns(name))
        run("ip", "link", "set", f"clv-{name}", "master", BRIDGE, "up")
        run("ip", "-n", ns(name), "addr", "add", f"{ip(name)}/24", "dev", "eth0")
        run("ip", "-n", ns(name), "link", "set", "eth0", "up")
        run("ip", "-n", ns(name), "link", "set", "lo", "up")

    def spawn(self, key: str, argv: list[str], *, host: str | None, env: dict[str, str]) -> None:
        out = open(WORK / f"{key}.log", "ab")  # noqa: SIM115 - the child keeps it
        self.procs[key] = subprocess.Popen(
            [*on_host(host), *argv], cwd=ROOT, env={**base_env(), **env}, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def forwarder(self) -> None:
        """The shared services on the bridge address (they listen on 127.0.0.1 only)."""
        cfg = ["global", "    maxconn 2000", "defaults", "    mode tcp", "    timeout connect 2s",
               "    timeout client 2h", "    timeout server 2h"]  # fmt: skip
        for name, port, target in (
            ("postgres", 5432, f"{self.pg_host}:{self.pg_port}"),
            ("redis", 6379, "127.0.0.1:6379"),
            ("rabbitmq", 5672, "127.0.0.1:5672"),
        ):
            cfg += [f"listen {name}", f"    bind {GATEWAY}:{port}", f"    server {name} {target}"]
        (WORK / "services.cfg").write_text("\n".join(cfg) + "\n")
        self.spawn("services", ["haproxy", "-db", "-f", str(WORK / "services.cfg")], host=None, env={})

    def start_web(self, name: str) -> None:
        env = {**self.env_file(), "GUNICORN_BIND": f"{ip(name)}:{WEB_PORT}"}
        argv, env = unit_command("portal-web.service", name, env)
        self.spawn(name, argv, host=name, env=env)

    def start_worker(self, name: str) -> None:
        argv, env = unit_command("portal-worker.service", name, self.env_file())
        self.spawn(name, argv, host=name, env=env)
        # The webhook receiver, reached from this host's loopback (portal/settings/cluster.py).
        self.spawn(
            f"{name}-hookfwd",
            ["socat", f"TCP-LISTEN:{HOOK_PORT},bind=127.0.0.1,fork,reuseaddr", f"TCP:{GATEWAY}:{HOOK_PORT}"],
            host=name,
            env={},
        )

    def start_beat(self, name: str) -> None:
        argv, env = unit_command("portal-beat.service", name, self.env_file())
        self.spawn(name, argv, host=name, env=env)

    def start_lb(self) -> None:
        pem = WORK / "lb.pem"
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={SITE_HOST}",
            "-keyout", str(WORK / "lb.key"), "-out", str(WORK / "lb.crt"))  # fmt: skip
        pem.write_bytes((WORK / "lb.crt").read_bytes() + (WORK / "lb.key").read_bytes())
        env = {
            "PORTAL_LB_BIND": f"{ip('lb')}:443",
            "PORTAL_TLS_PEM": str(pem),
            "PORTAL_HOST": SITE_HOST,
            "PORTAL_WEB1": f"{ip('web1')}:{WEB_PORT}",
            "PORTAL_WEB2": f"{ip('web2')}:{WEB_PORT}",
            "HAPROXY_STATS_SOCKET": str(WORK / "lb.sock"),
        }
        run("haproxy", "-c", "-f", str(DEPLOY / "haproxy.cfg"), env={**base_env(), **env})
        self.spawn("lb", ["haproxy", "-db", "-f", str(DEPLOY / "haproxy.cfg")], host="lb", env=env)

    def kill_host(self, name: str) -> int:
        """SIGKILL every process in the host's namespace (the host dies); how many."""
        pids = [int(p) for p in run("ip", "netns", "pids", ns(name)).stdout.split()]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for key, proc in list(self.procs.items()):
            if key == name or key.startswith(f"{name}-"):
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=10)
                del self.procs[key]
        return len(pids)

    def stop_host(self, name: str) -> None:
        for key, proc in list(self.procs.items()):
            if key == name or key.startswith(f"{name}-"):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
                del self.procs[key]

    def teardown(self) -> None:
        if self.receiver:
            self.receiver.stop()
        for key in list(self.procs):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.procs[key].pid, signal.SIGKILL)
        for name in HOSTS:
            if run("ip", "netns", "pids", ns(name), check=False).returncode == 0:
                self.kill_host(name)
            # The veth goes with its namespace, but the kernel frees a namespace lazily.
            run("ip", "link", "del", f"clv-{name}", check=False)
            run("ip", "netns", "del", ns(name), check=False)
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        run("ip", "link", "del", BRIDGE, check=False)
        if not self.keep:
            for name in (self.db, self.copy):
                with contextlib.suppress(Exception):
                    self.sql(
                        f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", database="postgres", autocommit=True
                    )
            run("redis-cli", "-h", "127.0.0.1", "-n", str(self.redis_db), "FLUSHDB", check=False)
            run("rabbitmqctl", "-q", "delete_vhost", self.vhost, check=False)

    # --- HTTP ----------------------------------------------------------------------------
    def call(self, path: str, key: str | None = None, *, via: str = "lb", method: str = "GET", body=None):
        """One request on a new connection: through the load balancer (HTTPS) or straight to a
        web host (as the balancer would send it). (status, served-by host, json or None)."""
        headers = {"Host": SITE_HOST}
        if key:
            headers["Authorization"] = f"Api-Key {key}"
        if via == "lb":
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            conn = http.client.HTTPSConnection(ip("lb"), 443, timeout=30, context=ctx)
        else:
            conn = http.client.HTTPConnection(ip(via), WEB_PORT, timeout=30)
            headers["X-Forwarded-Proto"] = "https"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            served = resp.getheader("X-Served-By") or via
            try:
                payload = json.loads(raw) if raw else None
            except ValueError:
                payload = None
            return resp.status, served, payload
        finally:
            conn.close()

    def wait_ready(self, via: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, http.client.HTTPException):
                last = self.call("/readyz", via=via)
                if last[0] == 200:
                    return
            time.sleep(1)
        raise RuntimeError(f"{via} not ready within {timeout:.0f}s: {last}")

    def wait_lb_both(self, timeout: float = 60) -> None:
        """Until the balancer sends to both web hosts (each passed its /readyz checks)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen = set()
            for _ in range(6):
                with contextlib.suppress(OSError, http.client.HTTPException):
                    status, served, _payload = self.call("/healthz")
                    if status == 200:
                        seen.add(served)
            if seen >= {"web1", "web2"}:
                return
            time.sleep(1)
        raise RuntimeError("the load balancer does not send to both web hosts")

    def issue_key(self, partner: str, name: str, scopes: str = "read") -> str:
        out = self.manage("issue_api_key", partner, "--name", name, "--scopes", scopes, "--expires-days", "1")
        return out.strip().splitlines()[-1]

    def lb_backend(self, name: str) -> dict[str, str]:
        """The balancer's statistics of one backend (its stats socket, ``show stat``)."""
        done = run("socat", "-", f"UNIX-CONNECT:{WORK / 'lb.sock'}", input="show stat\n")
        lines = [line for line in done.stdout.splitlines() if line]
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:]]
        return next(r for r in rows if r["pxname"] == name and r["svname"] == "BACKEND")

    def lb_retries(self) -> tuple[int, int]:
        """The balancer's retries and redispatches to the web hosts."""
        backend = self.lb_backend("web")
        return int(backend["wretr"] or 0), int(backend["wredis"] or 0)

    def record(self, name: str, ok: bool, measured: str) -> None:
        self.results.append((name, ok, measured))
        log(f"{'PASS' if ok else 'FAIL'} {name}: {measured}")

    # --- statements ------------------------------------------------------------------------
    def statements(self, database: str) -> list:
        """Every statement's content: partner, period, status, totals and its lines (no ids
        that differ between databases, no times)."""
        rows = self.sql(
            """
            SELECT p.slug, s.scenario_code, s.period_start, s.period_end, s.status, s.currency,
                   s.transaction_count, s.gross_amount, s.share_amount, s.adjustment_amount,
                   COALESCE((SELECT json_agg(json_build_array(l.scenario_code, l.product_id, l.kind,
                            l.transaction_count, l.gross_amount::text, l.share_amount::text)
                            ORDER BY l.scenario_code, l.product_id, l.kind, l.gross_amount, l.share_amount)
                     FROM revenue_statementline l WHERE l.statement_id = s.id), '[]'::json)::text
            FROM revenue_statement s JOIN partners_partner p ON p.id = s.partner_id
            ORDER BY 1, 2, 3, 4, 5, 7, 8
            """,
            database=database,
        )
        return [tuple(str(v) for v in row) for row in rows]

    def duplicates(self) -> int:
        return self.sql(
            "SELECT count(*) FROM (SELECT agreement_id, period_start FROM revenue_statement "
            "GROUP BY 1, 2 HAVING count(*) > 1) d"
        )[0][0]

    def runs_running(self) -> int:
        return self.sql("SELECT count(*) FROM revenue_settlementrun WHERE status = 'running'")[0][0]

    def clean_settle(self, through: str) -> None:
        """The clean run on the copy: one process, every task run in it."""
        env = {**self.env_file(on_bridge=False, database=self.copy), "CELERY_TASK_ALWAYS_EAGER": "true"}
        self.manage("settle", "--through", through, "--inline", host=None, env=env)


# The settlement workload: partners under monthly agreements with ledger rows in January 2026
# (bench/_revenue.py's set-up, the one the settlement benchmark uses).
WORKLOAD = """
from django.contrib.auth import get_user_model
from bench._revenue import _credit_code, generate_ledger, verified_documents, world
from partners.models import Industry, Partner
for i in range({partners}):
    partner, scenario, product, agreement = world(f"cluster-{{i:02d}}")
    generate_ledger(partner=partner, scenario=scenario, product=product, rows={rows} + 97 * i)
    if i == 1:  # the partner that posts transaction batches while a web host dies
        verified_documents(partner, get_user_model().objects.get(email="bench-checker@bench"))
# Two partners without agreements: one for the quota, one to suspend.
staff = get_user_model().objects.get(email="bench-checker@bench")
for slug, tier in (("cluster-quota", "gold"), ("cluster-suspend", "standard")):
    partner = Partner.objects.create(
        legal_name=slug, display_name=slug, slug=slug, credit_code=_credit_code(),
        industry=Industry.objects.get(code="bench"), status="active", tier=tier,
    )
    verified_documents(partner, staff)
"""


# ----------------------------------------------------------------------------------------
# The webhook receiver (root namespace, on the bridge)
# ----------------------------------------------------------------------------------------
class Receiver:
    def __init__(self, delay: float):
        self.lock = threading.Lock()
        self.ids: dict[str, int] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                delivery = self.headers.get("X-FinanceN-Delivery", "")
                time.sleep(delay)
                with receiver.lock:
                    receiver.ids[delivery] = receiver.ids.get(delivery, 0) + 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((GATEWAY, HOOK_PORT), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# ----------------------------------------------------------------------------------------
# The proofs
# ----------------------------------------------------------------------------------------
def align_window(seconds: int, need: float = 15) -> None:
    """Wait for a fresh fixed window when fewer than ``need`` seconds of this one are left."""
    left = seconds - time.time() % seconds
    if left < need:
        time.sleep(left + 0.2)


def first_refusal(c: Cluster, key: str, *, via: str | tuple[str, ...], limit: int) -> tuple[int | None, set]:
    """Call /api/v1/me/ until a 429; the call number and the hosts that answered."""
    vias = (via,) if isinstance(via, str) else via
    hosts = set()
    for n in range(1, limit + 1):
        status, served, _ = c.call("/api/v1/me/", key, via=vias[n % len(vias)])
        hosts.add(served)
        if status == 429:
            return n, hosts
        if status != 200:
            raise ProofFailed(f"call {n} answered {status}")
    return None, hosts


def proof_limits(c: Cluster) -> None:
    align_window(BURST_SECONDS, need=30)
    one = c.issue_key("skyway-travel", "cluster-burst-one")
    two = c.issue_key("skyway-travel", "cluster-burst-two")
    at_one, _ = first_refusal(c, one, via="web1", limit=BURST_CALLS * 3)
    at_lb, hosts = first_refusal(c, two, via="lb", limit=BURST_CALLS * 3)
    ok = at_one == at_lb == BURST_CALLS + 1 and hosts >= {"web1", "web2"}
    c.record("burst limit shared", ok,
             f"429 at call {at_lb} over {'+'.join(sorted(hosts))}, at call {at_one} on web1 alone "
             f"(limit {BURST_CALLS}/{BURST_SECONDS}s)")  # fmt: skip
    # Quota: a gold partner's calls this month, over both hosts (alternating straight to each).
    gold = "cluster-quota"
    used = int(c.shell(
        "from django.core.cache import cache; from core.clock import business_month; "
        "from partners.keycache import quota_counter_name; from partners.models import Partner; import time; "
        f"p = Partner.objects.get(slug='{gold}'); m, _ = business_month(time.time()); "
        "print(cache.get(quota_counter_name(p.pk, m)) or 0)"
    ).strip() or 0)  # fmt: skip
    keys = [c.issue_key(gold, f"cluster-quota-{i}") for i in range(3)]  # three keys: no burst limit met
    calls, at = 0, None
    for n in range(1, QUOTA_GOLD * 2):
        status, _, _ = c.call("/api/v1/me/", keys[n % 3], via=("web1", "web2")[n % 2])
        calls = n
        if status == 429:
            at = n
            break
    expected = QUOTA_GOLD - used + 1
    c.record("monthly quota shared", at == expected,
             f"429 at call {at} over web1+web2 (quota {QUOTA_GOLD}, {used} used before: expected {expected}; "
             f"{calls} calls)")  # fmt: skip


def proof_refusals(c: Cluster) -> None:
    key = c.issue_key("skyway-travel", "cluster-revoke")
    warm = [c.call("/api/v1/me/", key, via=h)[0] for h in ("web1", "web2", "web1", "web2")]
    if warm != [200] * 4:
        raise ProofFailed(f"the key was not accepted before revocation: {warm}")
    c.manage("revoke_api_key", key.split(".")[0])
    after = {h: c.call("/api/v1/me/", key, via=h)[0] for h in ("web1", "web2")}
    c.record("revocation on every host", all(s in (401, 403) for s in after.values()),
             "next request after revoke_api_key: " + ", ".join(f"{h} {s}" for h, s in after.items())
             + " (both 200 before)")  # fmt: skip

    slug = "cluster-suspend"
    key = c.issue_key(slug, "cluster-suspend")
    warm = [c.call("/api/v1/me/", key, via=h)[0] for h in ("web1", "web2", "web1", "web2")]
    if warm != [200] * 4:
        raise ProofFailed(f"the key of {slug} was not accepted before suspension: {warm}")
    c.shell(
        "from django.contrib.auth import get_user_model; from partners.models import Partner; "
        "from partners.services.lifecycle import partner_suspend; "
        "actor = get_user_model().objects.filter(is_superuser=True).order_by('pk').first(); "
        f"partner_suspend(partner=Partner.objects.get(slug='{slug}'), actor=actor, reason='cluster test')"
    )
    after = {h: c.call("/api/v1/me/", key, via=h)[0] for h in ("web1", "web2")}
    c.record(
        "suspension on every host",
        all(s in (401, 403) for s in after.values()),
        f"next request after suspending {slug}: " + ", ".join(f"{h} {s}" for h, s in after.items()),
    )


def tasks_run(name: str, task: str) -> int:
    text = (WORK / f"{name}.log").read_text(errors="replace")
    return len(re.findall(rf"Task {re.escape(task)}\[[^\]]+\] succeeded", text))


def proof_settlement(c: Cluster) -> None:
    """Settlement fans out over both worker hosts while worker1 dies (restarted afterwards);
    statements compared with the clean run on the copy (``c.clean``, started in ``main``)."""
    before = {w: tasks_run(w, "revenue.tasks.statement_generate") for w in ("worker1", "worker2")}
    # The operator's command on the beat host; worker1 is killed while the run is under way.
    settle = subprocess.Popen(
        [*on_host("beat"), PYTHON, "manage.py", "settle", "--through", SETTLE_THROUGH, "--no-wait"],
        cwd=ROOT, env={**base_env(), **c.env_file()}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    killed_at, killed, run_id, planned = None, 0, None, 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        row = c.sql(
            "SELECT id, periods_planned, periods_done, status FROM revenue_settlementrun ORDER BY id DESC LIMIT 1"
        )
        if row:
            run_id, planned, done, status = row[0]
            if status != "running" or done >= 5:
                killed_at = done
                killed = c.kill_host("worker1")
                break
        time.sleep(0.1)
    out = settle.communicate(timeout=120)[0]
    if settle.returncode != 0 or run_id is None:
        raise ProofFailed(f"settle failed: {out[-2000:]}")
    log(
        f"settlement run {run_id}: {planned} periods; worker1 killed ({killed} processes) at {killed_at} done"
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        done, status = c.sql(
            "SELECT periods_done, status FROM revenue_settlementrun WHERE id = %s", (run_id,)
        )[0]
        if status != "running":
            break
        time.sleep(0.5)
    rerun = ""
    if status != "succeeded":
        rerun = f"; run ended {status}, rerun"
        c.manage("settle", "--through", SETTLE_THROUGH)
    c.clean.wait(timeout=300)
    if c.clean.returncode != 0:
        raise ProofFailed(f"the clean run on the copy failed: {(WORK / 'clean.log').read_text()[-2000:]}")
    ours, theirs = c.statements(c.db), c.statements(c.copy)
    spread = {w: tasks_run(w, "revenue.tasks.statement_generate") - before[w] for w in ("worker1", "worker2")}
    dups = c.duplicates()
    ok = ours == theirs and dups == 0 and spread["worker2"] > 0
    c.record("settlement exactly once, a worker host killed", ok,
             f"run {run_id}: {planned} periods, worker1 settled {spread['worker1']} then was killed "
             f"(SIGKILL, {killed} processes, {killed_at} periods done), worker2 {spread['worker2']}{rerun}; "
             f"{len(ours)} statements {'identical to' if ours == theirs else 'DIFFERENT from'} the clean copy's "
             f"({len(theirs)}); {dups} periods settled twice")  # fmt: skip
    if ours != theirs:
        diff = sorted(set(ours) ^ set(theirs))[:5]
        log(f"first differences: {diff}")
    c.start_worker("worker1")


def proof_second_beat(c: Cluster) -> None:
    """Both beats send the scheduled settlement (every 3 s for the test); each period once."""
    c.start_beat("beat2")
    # Change the schedule only once beat2 has read it (django-celery-beat misses a change made
    # while a starting beat reads the schedule).
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "Schedule changed" not in (WORK / "beat2.log").read_text(
        errors="replace"
    ):
        time.sleep(0.5)
    time.sleep(1)
    yesterday = (datetime.now(timezone(timedelta(hours=8))).date() - timedelta(days=1)).isoformat()
    clean = subprocess.Popen(
        [PYTHON, "manage.py", "settle", "--through", yesterday, "--inline"], cwd=ROOT,
        env={**base_env(), **c.env_file(on_bridge=False, database=c.copy), "CELERY_TASK_ALWAYS_EAGER": "true"},
        stdout=open(WORK / "clean2.log", "wb"), stderr=subprocess.STDOUT,  # noqa: SIM115
    )  # fmt: skip
    c.shell(
        "from django_celery_beat.models import IntervalSchedule, PeriodicTask; "
        "every, _ = IntervalSchedule.objects.get_or_create(every=3, period='seconds'); "
        "t = PeriodicTask.objects.get(name='revenue-settle'); t.crontab = None; t.interval = every; t.save()"
    )
    sent = {"beat": 0, "beat2": 0}
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and min(sent.values()) < 2:
        time.sleep(1)
        for b in sent:
            sent[b] = (
                (WORK / f"{b}.log").read_text(errors="replace").count("Sending due task revenue-settle (")
            )
    c.shell("from django_celery_beat.models import PeriodicTask; PeriodicTask.objects.filter(name='revenue-settle')"
            ".update(enabled=False)")  # fmt: skip
    time.sleep(2)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and c.runs_running():
        time.sleep(0.5)
    c.stop_host("beat2")
    clean.wait(timeout=300)
    runs = c.sql("SELECT count(*), count(*) FILTER (WHERE statements_created > 0) FROM revenue_settlementrun "
                 "WHERE trigger = 'schedule'")[0]  # fmt: skip
    ours, theirs = c.statements(c.db), c.statements(c.copy)
    dups = c.duplicates()
    ok = min(sent.values()) >= 2 and ours == theirs and dups == 0 and clean.returncode == 0
    c.record("second beat settles nothing twice", ok,
             f"beat sent revenue-settle {sent['beat']}x, beat2 {sent['beat2']}x; {runs[0]} scheduled runs, "
             f"{runs[1]} created statements; {len(ours)} statements "
             f"{'identical to' if ours == theirs else 'DIFFERENT from'} a clean run through {yesterday}; "
             f"{dups} periods settled twice")  # fmt: skip


def proof_webhooks(c: Cluster) -> None:
    c.receiver = Receiver(delay=0.4)
    # An operator sets the retry sweep to every 5 s (it is a database schedule).
    c.shell(
        "from django_celery_beat.models import IntervalSchedule, PeriodicTask; "
        "every, _ = IntervalSchedule.objects.get_or_create(every=5, period='seconds'); "
        "PeriodicTask.objects.filter(name='partners-webhook-retry-due').update(interval=every)"
    )
    c.shell(
        "from django.contrib.auth import get_user_model\n"
        "from django.db import transaction\n"
        "from partners.models import Partner\n"
        "from partners.services.webhooks import webhook_endpoint_create, webhook_event_publish\n"
        "actor = get_user_model().objects.filter(is_superuser=True).order_by('pk').first()\n"
        "p = Partner.objects.get(slug='cluster-00')\n"
        f"webhook_endpoint_create(partner=p, actor=actor, url='http://127.0.0.1:{HOOK_PORT}/hook', "
        "events=['participation.changed'])\n"
        "with transaction.atomic():\n"
        f"    for i in range({WEBHOOK_EVENTS}):\n"
        "        webhook_event_publish(partner=p, event='participation.changed', payload={'n': i})\n"
    )
    t0 = time.monotonic()
    while time.monotonic() - t0 < 30 and len(c.receiver.ids) < 6:
        time.sleep(0.1)
    killed = c.kill_host("worker2")
    at_kill = len(c.receiver.ids)
    deadline = time.monotonic() + 200
    delivered = 0
    while time.monotonic() < deadline:
        delivered = c.sql("SELECT count(*) FROM partners_webhookdelivery WHERE status = 'delivered'")[0][0]
        if delivered >= WEBHOOK_EVENTS:
            break
        time.sleep(1)
    took = time.monotonic() - t0
    ids = dict(c.receiver.ids)
    dup = sum(n - 1 for n in ids.values())
    expected = {str(r[0]) for r in c.sql("SELECT event_id FROM partners_webhookdelivery")}
    ok = set(ids) == expected and delivered == WEBHOOK_EVENTS
    c.record("webhooks once per event", ok,
             f"{WEBHOOK_EVENTS} events, worker2 killed ({killed} processes) after {at_kill} received; "
             f"{len(ids)} distinct delivery ids received, {dup} repeated (deduplicated by id), "
             f"{delivered} marked delivered, all in {took:.0f}s")  # fmt: skip
    c.start_worker("worker2")


BATCH = 25
BATCHES_PER_CLIENT = 15  # under the burst limit of each client's key


def proof_web_dies(c: Cluster) -> None:
    """Four clients post transaction batches (and call /healthz) through the balancer while
    web1 dies; a client retries a batch that failed (its external ids make that safe)."""
    c.load_rounds += 1
    prefix = f"load{c.load_rounds}"
    keys = [c.issue_key("cluster-01", f"cluster-{prefix}-{i}", "read,transactions") for i in range(4)]
    before = c.lb_retries()
    stop = threading.Event()
    outcomes: dict[str, int] = {}
    lock = threading.Lock()
    sent: list[str] = []
    answered: list[str] = []
    now = datetime.now(timezone(timedelta(hours=8))) - timedelta(hours=1)

    def note(label: str) -> None:
        with lock:
            outcomes[label] = outcomes.get(label, 0) + 1

    def attempt(path: str, key: str | None = None, body=None) -> int | None:
        try:
            status, _served, _ = c.call(path, key, method="POST" if body else "GET", body=body)
        except (OSError, http.client.HTTPException) as exc:
            note(type(exc).__name__)
            return None
        note(str(status))
        return status

    def client(n: int):
        batches = 0
        while not stop.is_set():
            if batches < BATCHES_PER_CLIENT:
                tag = f"{prefix}-{n}-{batches}"
                body = {"transactions": [
                    {"external_id": f"{tag}-{i}", "scenario": "s-cluster-01", "product": "bench-product",
                     "kind": "sale", "amount": f"{10 + i}.25", "occurred_at": now.isoformat()}
                    for i in range(BATCH)
                ]}  # fmt: skip
                with lock:
                    sent.append(tag)
                for _ in range(3):
                    if attempt("/api/v1/transactions/", keys[n], body) in (200, 201):
                        with lock:
                            answered.append(tag)
                        break
                batches += 1
            attempt("/healthz")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    time.sleep(3)
    killed = c.kill_host("web1")
    time.sleep(5)
    stop.set()
    for t in threads:
        t.join()
    rows = dict(
        c.sql(
            "SELECT substring(external_id from '^(load[0-9]+-[0-9]+-[0-9]+)-'), count(*) FROM revenue_transaction "
            "WHERE external_id LIKE %s GROUP BY 1",
            (f"{prefix}-%",),
        )
    )
    retried = [after - earlier for after, earlier in zip(c.lb_retries(), before, strict=True)]
    half = [tag for tag in sent if rows.get(tag, 0) not in (0, BATCH)]
    lost = [tag for tag in answered if rows.get(tag, 0) != BATCH]
    total = sum(outcomes.values())
    ok = (
        set(outcomes) <= {"200", "201"} and total > 0 and not half and not lost and len(answered) == len(sent)
    )
    c.record("web host dies under load", ok,
             f"{total} requests by 4 clients over 8 s ({len(sent)} batches of {BATCH} transactions), web1 killed "
             f"({killed} processes) at 3 s: " + ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items()))
             + f"; the balancer retried {retried[0]} and redispatched {retried[1]} requests; "
             f"batches half-written: {len(half)}, answered but missing: {len(lost)}")  # fmt: skip
    c.start_web("web1")
    c.wait_ready("web1")
    c.wait_lb_both()


def proof_workers_down(c: Cluster) -> None:
    """Both worker hosts stop: ``/readyz`` fails on both web hosts, the balancer takes them out
    of ``web`` and serves from ``web_alive`` (checked on ``/healthz``); the open API answers
    throughout. The workers come back and ``web`` serves again."""
    c.alive_rounds += 1
    # Four keys in turn, a call every 0.8 s: under the burst limit of each.
    keys = [c.issue_key("cluster-01", f"cluster-alive{c.alive_rounds}-{i}") for i in range(4)]
    served_alive = int(c.lb_backend("web_alive")["stot"] or 0)
    statuses: dict[int, int] = {}

    def call() -> None:
        status = c.call("/api/v1/me/", keys[sum(statuses.values()) % len(keys)])[0]
        statuses[status] = statuses.get(status, 0) + 1
        time.sleep(0.8)

    def calls_until(status: str, seconds: float) -> float:
        """Call until backend ``web`` is ``status`` (or ``seconds`` pass): how long it took."""
        started = time.monotonic()
        while c.lb_backend("web")["status"] != status and time.monotonic() - started < seconds:
            call()
        return time.monotonic() - started

    for name in ("worker1", "worker2"):
        c.stop_host(name)
    out_after = calls_until("DOWN", 60)
    readyz = c.call("/readyz")
    for _ in range(20):
        call()
    alive_answered = int(c.lb_backend("web_alive")["stot"] or 0) - served_alive
    for name in ("worker1", "worker2"):
        c.start_worker(name)
    back_after = calls_until("UP", 90)
    c.wait_lb_both()
    ok = (
        set(statuses) == {200}
        and out_after < 60
        and readyz[0] == 503
        and alive_answered >= 20
        and c.lb_backend("web")["status"] == "UP"
    )
    c.record("every worker down: the web tier keeps serving", ok,
             f"both workers stopped: web hosts out of 'web' after {out_after:.0f}s (/readyz {readyz[0]}), "
             f"'web_alive' answered {alive_answered} requests; workers back: 'web' again after "
             f"{back_after:.0f}s; API answers: " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))  # fmt: skip


# The proofs in the order they run (``--only`` picks some; each leaves the cluster whole).
PROOF_STEPS = {
    "limits": proof_limits,
    "refusals": proof_refusals,
    "settlement": proof_settlement,
    "second-beat": proof_second_beat,
    "webhooks": proof_webhooks,
    "web-dies": proof_web_dies,
    "workers-down": proof_workers_down,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards (to look at them)")
    parser.add_argument(
        "--only", action="append", choices=sorted(PROOF_STEPS), metavar="PROOF",
        help="run only these proofs (repeatable); the summary counts only those",
    )  # fmt: skip
    parser.add_argument(
        "--repeat", type=int, default=1, help="run the proofs this many times (flaky hunting)"
    )
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("make cluster-test needs root (network namespaces)", file=sys.stderr)
        return 2
    for tool in ("ip", "haproxy", "socat", "openssl", "redis-cli", "rabbitmqctl"):
        if not shutil.which(tool):
            print(f"make cluster-test needs {tool}", file=sys.stderr)
            return 2
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    c = Cluster(args)
    started = time.monotonic()
    # Leftovers of an interrupted run.
    for name in HOSTS:
        run("ip", "link", "del", f"clv-{name}", check=False)
        run("ip", "netns", "del", ns(name), check=False)
    run("ip", "link", "del", BRIDGE, check=False)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    error = None
    try:
        c.databases()
        c.clean = subprocess.Popen(
            [PYTHON, "manage.py", "settle", "--through", SETTLE_THROUGH, "--inline"], cwd=ROOT,
            env={**base_env(), **c.env_file(on_bridge=False, database=c.copy), "CELERY_TASK_ALWAYS_EAGER": "true"},
            stdout=open(WORK / "clean.log", "wb"), stderr=subprocess.STDOUT,  # noqa: SIM115
        )  # fmt: skip
        c.network()
        c.forwarder()
        for name in ("worker1", "worker2"):
            c.start_worker(name)
        c.start_beat("beat")
        for name in ("web1", "web2"):
            c.start_web(name)
        c.start_lb()
        for name in ("web1", "web2"):
            c.wait_ready(name)
        c.wait_lb_both()
        log(f"cluster up: lb, web1, web2, worker1, worker2, beat ({time.monotonic() - started:.0f}s)")
        for _ in range(args.repeat):
            for step, proof in PROOF_STEPS.items():
                if not args.only or step in args.only:
                    proof(c)
    except Exception as exc:  # noqa: BLE001 - every failure ends in the summary, after teardown
        error = f"{type(exc).__name__}: {exc}"
        log(f"ERROR {error}")
    finally:
        c.teardown()
    took = time.monotonic() - started
    print("\n== cluster test summary " + "=" * 60)
    width = max((len(r[0]) for r in c.results), default=10)
    for name, ok, measured in c.results:
        print(f"{'PASS' if ok else 'FAIL'}  {name:<{width}}  {measured}")
    if error:
        print(f"ERROR {error}")
    print(
        f"{sum(ok for _, ok, _ in c.results)}/{len(c.results)} proofs passed in {took:.0f}s; logs in {WORK}"
    )
    expected = PROOFS * args.repeat if not args.only else len(c.results)
    return (
        0
        if not error and c.results and all(ok for _, ok, _ in c.results) and len(c.results) == expected
        else 1
    )


if __name__ == "__main__":
    sys.exit(main())

"""deploy/: the units and the load balancer's configuration that ``make cluster-test`` runs.

The cluster test (bin/cluster_test.py) exercises them on namespaced hosts; these checks keep
them in step with the code on every test run, without root or a network."""

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _driver():
    spec = importlib.util.spec_from_file_location("cluster_test", ROOT / "bin" / "cluster_test.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_worker_unit_consumes_every_queue_readyz_watches():
    argv, _env = _driver().unit_command("portal-worker.service", "host-a", {})
    queues = argv[argv.index("-Q") + 1].split(",")
    assert set(queues) == set(settings.READYZ_QUEUES)
    assert set(queues) == {"default", settings.REVENUE_SETTLEMENT_QUEUE}
    # Each worker host has its own name (%H): two hosts' workers are not one node to Celery.
    assert argv[argv.index("--hostname") + 1] == "worker@host-a"


def test_the_web_unit_serves_the_wsgi_application_with_the_environment_file_over_its_defaults():
    argv, env = _driver().unit_command("portal-web.service", "web1", {"GUNICORN_WORKERS": "2"})
    assert argv[0] == str(ROOT / ".venv" / "bin" / "gunicorn")
    assert "portal.wsgi:application" in argv
    assert argv[argv.index("--workers") + 1] == "2"
    assert argv[argv.index("--bind") + 1] == "0.0.0.0:8000"
    assert env["GUNICORN_WORKERS"] == "2"


def test_every_unit_reads_the_environment_file_and_restarts():
    for unit in ("portal-web.service", "portal-worker.service", "portal-beat.service"):
        text = (DEPLOY / unit).read_text()
        assert "EnvironmentFile=/etc/portal/portal.env" in text, unit
        assert "Restart=on-failure" in text, unit


def test_the_environment_example_names_every_required_production_variable():
    names = {
        line.split("=", 1)[0]
        for line in (DEPLOY / "portal.env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert set(settings.PRODUCTION_REQUIRED) <= names
    assert "DJANGO_ENV" in names


def test_the_load_balancer_checks_readyz_on_every_web_host():
    text = (DEPLOY / "haproxy.cfg").read_text()
    assert "http-check send meth GET uri /readyz" in text
    assert "http-check expect status 200" in text
    assert "X-Forwarded-Proto https" in text
    assert "retry-on conn-failure empty-response" in text


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="HAProxy is not installed")
def test_haproxy_accepts_the_configuration(tmp_path):
    pem = tmp_path / "lb.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=t",
         "-keyout", str(tmp_path / "k"), "-out", str(tmp_path / "c")],
        check=True, capture_output=True,
    )  # fmt: skip
    pem.write_bytes((tmp_path / "c").read_bytes() + (tmp_path / "k").read_bytes())
    env = {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "PORTAL_LB_BIND": "127.0.0.1:8443",  # only parsed: -c binds nothing
        "PORTAL_TLS_PEM": str(pem),
        "PORTAL_HOST": "portal.example.com",
        "PORTAL_WEB1": "127.0.0.1:1",
        "PORTAL_WEB2": "127.0.0.1:2",
        "HAPROXY_STATS_SOCKET": str(tmp_path / "s.sock"),
    }
    done = subprocess.run(
        ["haproxy", "-c", "-f", str(DEPLOY / "haproxy.cfg")], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_only_the_cluster_settings_let_webhooks_reach_the_loopback():
    assert (ROOT / "portal" / "settings" / "cluster.py").read_text().count(
        "WEBHOOK_ALLOW_LOOPBACK = True"
    ) == 1
    base = (ROOT / "portal" / "settings" / "base.py").read_text()
    production = (ROOT / "portal" / "settings" / "production.py").read_text()
    assert "WEBHOOK_ALLOW_LOOPBACK = False" in base
    assert "WEBHOOK_ALLOW_LOOPBACK" not in production

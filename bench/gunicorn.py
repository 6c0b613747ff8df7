"""One gunicorn server (one sync worker) for the benches that measure over HTTP: started on a
free port with the bench settings and limits out of the way, ready when ``probe(port)`` answers,
stopped gracefully (the worker flushes its buffered logs and counts on the way out)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn_start(
    probe: Callable[[int], object], *, seconds: float = 30, environ: dict[str, str] | None = None
) -> tuple[subprocess.Popen, int]:
    """Start the server and wait until ``probe(port)`` stops raising ``OSError``: ``(process,
    port)``. ``environ`` overrides the worker's environment (``{"REDIS_URL": ""}``: the embedded
    default whatever this process has). Raises ``RuntimeError`` (the server stopped) when it did
    not start in time."""
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.server_settings",
        "API_RATE_BURST_CALLS": str(10**9),
        "API_RATE_SUSTAINED_CALLS": str(10**9),
        "PYTHONPATH": str(ROOT),
        **(environ or {}),
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + seconds
    while True:
        try:
            probe(port)
            return server, port
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                gunicorn_stop(server)
                raise RuntimeError("gunicorn did not start") from None
            time.sleep(0.2)


def gunicorn_stop(server: subprocess.Popen | None) -> None:
    """A graceful stop: the worker flushes its access log, usage and offer log."""
    if server is not None and server.poll() is None:
        server.terminate()
        server.wait(timeout=30)


def server_cpu_seconds(server: subprocess.Popen | None) -> float | None:
    """The CPU seconds (user and system, every thread) the server's worker has used so far,
    from ``/proc``; None where ``/proc`` cannot tell (not Linux, or no worker yet)."""
    if server is None:
        return None
    try:
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        total = 0
        for pid in children:
            # Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None
    return total / os.sysconf("SC_CLK_TCK") if children else None

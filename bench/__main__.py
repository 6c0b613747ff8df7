"""Run the benchmarks: ``python -m bench [name-filter ...]`` (``make bench``).

Benchmarks run against a database of their own: PostgreSQL when ``DATABASE_URL`` names one
(the benchmarks that need it are skipped otherwise), else ``var/bench.sqlite3``. With
``REDIS_URL`` the benchmarks that measure production's Redis run too (``api_me``: both layers
side by side).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    if "DATABASE_URL" not in os.environ:
        (ROOT / "var").mkdir(exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}"
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def available() -> set[str]:
    from django.db import connection

    have = {connection.vendor}
    if os.environ.get("REDIS_URL"):
        have.add("redis")
    return have


def main(argv: list[str]) -> int:
    _setup_django()
    from bench.harness import Result, measure, table

    filters = [a for a in argv if not a.startswith("-")]
    have = available()
    results: list[Result] = []
    for info in sorted(pkgutil.iter_modules([str(ROOT / "bench")]), key=lambda m: m.name):
        if not info.name.startswith("bench_"):
            continue
        module = importlib.import_module(f"bench.{info.name}")
        for bench in module.BENCHMARKS:
            if filters and not any(f in bench.name or f in info.name for f in filters):
                continue
            missing = [r for r in bench.requires if r not in have]
            if missing:
                results.append(Result(bench.name, 0, 0, bench.goal, skipped="needs " + ", ".join(missing)))
                continue
            print(f"running {bench.name} ...", file=sys.stderr, flush=True)
            results.append(measure(bench))
            # Each result as it comes (a later benchmark that fails does not lose it).
            print(table(results[-1:]).splitlines()[-1], file=sys.stderr, flush=True)
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The benchmark harness: every benchmark is a pair measured side by side in one run.

A benchmark module under ``bench/`` (``bench_*.py``) exposes ``BENCHMARKS``, a list of
``Benchmark``. Each has an ``ours`` and a ``baseline`` callable doing the same amount of work;
the harness warms both up, then alternates them ``rounds`` times and reports the median of
each and the ratio ours / baseline. Optional ``setup``/``teardown`` run once around the pair;
``requires`` names what must be there (``"postgresql"``) or the benchmark is skipped.

A benchmark against a server (``cpu``: the CPU seconds the server has used so far) also reports
the server's CPU per round on each side, informative beside the wall-clock ratio: on a shared
two-core machine the wall clock moves with whatever else runs, while the server's own CPU is
what a change to the code moves (docs/benchmarks.md).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Benchmark:
    name: str
    ours: Callable[[], object]
    baseline: Callable[[], object]
    goal: float | None = None  # the ratio we aim to stay at or under
    rounds: int = 7
    warmup: int = 1
    setup: Callable[[], object] | None = None
    teardown: Callable[[], object] | None = None
    requires: tuple[str, ...] = ()
    unit: str = "s"
    notes: list[str] = field(default_factory=list)
    # CPU seconds the measured server has used so far (all its threads), or None when it cannot
    # tell: measured per round beside the wall clock.
    cpu: Callable[[], float | None] | None = None


@dataclass
class Result:
    name: str
    ours: float
    baseline: float
    goal: float | None
    skipped: str = ""
    cpu_ours: float | None = None  # the server's CPU per round (median), when measured
    cpu_baseline: float | None = None

    @property
    def ratio(self) -> float:
        return self.ours / self.baseline if self.baseline else float("inf")


def measure(bench: Benchmark) -> Result:
    if bench.setup:
        bench.setup()
    try:
        for _ in range(bench.warmup):
            bench.ours()
            bench.baseline()
        ours, base, cpu_ours, cpu_base = [], [], [], []
        for i in range(bench.rounds):
            # Alternate the order so drift in the machine hits both sides alike.
            pair = [(bench.ours, ours, cpu_ours), (bench.baseline, base, cpu_base)]
            if i % 2:
                pair.reverse()
            for fn, times, cpu in pair:
                cpu_started = bench.cpu() if bench.cpu else None
                started = time.perf_counter()
                fn()
                times.append(time.perf_counter() - started)
                cpu_ended = bench.cpu() if cpu_started is not None else None
                if cpu_ended is not None:
                    cpu.append(cpu_ended - cpu_started)
        result = Result(bench.name, statistics.median(ours), statistics.median(base), bench.goal)
        if cpu_ours and cpu_base:
            result.cpu_ours, result.cpu_baseline = statistics.median(cpu_ours), statistics.median(cpu_base)
        return result
    finally:
        if bench.teardown:
            bench.teardown()


def table(results: list[Result]) -> str:
    head = f"{'benchmark':58} {'ours':>11} {'baseline':>11} {'ratio':>7} {'goal':>6}  verdict"
    lines = [head, "-" * len(head)]
    for r in results:
        if r.skipped:
            lines.append(f"{r.name:58} {'':>11} {'':>11} {'':>7} {'':>6}  skipped: {r.skipped}")
            continue
        goal = f"{r.goal:.2f}" if r.goal else "-"
        verdict = "-" if not r.goal else ("ok" if r.ratio <= r.goal else "OVER GOAL")
        lines.append(
            f"{r.name:58} {r.ours * 1000:9.2f}ms {r.baseline * 1000:9.2f}ms {r.ratio:7.2f} {goal:>6}  {verdict}"
        )
        if r.cpu_ours is not None and r.cpu_baseline:
            ratio = r.cpu_ours / r.cpu_baseline
            lines.append(
                f"{'  the same, server CPU per round (informative)':58} {r.cpu_ours * 1000:9.2f}ms"
                f" {r.cpu_baseline * 1000:9.2f}ms {ratio:7.2f} {'-':>6}  -"
            )
    return "\n".join(lines)

"""The benchmark harness: every benchmark is a pair measured side by side in one run.

A benchmark module under ``bench/`` (``bench_*.py``) exposes ``BENCHMARKS``, a list of
``Benchmark``. Each has an ``ours`` and a ``baseline`` callable doing the same amount of work;
the harness warms both up, then alternates them ``rounds`` times and reports the median of
each and the ratio ours / baseline. Optional ``setup``/``teardown`` run once around the pair;
``requires`` names what must be there (``"postgresql"``) or the benchmark is skipped.
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


@dataclass
class Result:
    name: str
    ours: float
    baseline: float
    goal: float | None
    skipped: str = ""

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
        ours, base = [], []
        for i in range(bench.rounds):
            # Alternate the order so drift in the machine hits both sides alike.
            pair = [(bench.ours, ours), (bench.baseline, base)]
            if i % 2:
                pair.reverse()
            for fn, times in pair:
                started = time.perf_counter()
                fn()
                times.append(time.perf_counter() - started)
        return Result(bench.name, statistics.median(ours), statistics.median(base), bench.goal)
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
    return "\n".join(lines)

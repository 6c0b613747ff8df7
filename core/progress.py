"""The progress of a long job as people see it: done of total, percent, and when it should end.

Each job records, where it runs, how much it has done, of how much, when it started and when it
last wrote progress; this module turns those into what a page shows. The estimate comes from
the rate between the start and the last write (not the time of the page's request), so it
does not drift while a worker is busy between two writes. ``command_progress`` shows a long
management command's progress: a bar on a terminal, plain log lines otherwise. It imports no
app.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TextIO

from django.core.management.base import OutputWrapper
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichProgress


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    started_at: datetime | None
    updated_at: datetime | None
    finished: bool

    @property
    def percent(self) -> int:
        """0 to 100; a finished job is at 100 whatever its counts (an empty file, a refusal)."""
        if self.finished:
            return 100
        if not self.total:
            return 0
        return min(100, self.done * 100 // self.total)

    @property
    def eta(self) -> datetime | None:
        """When the job should end at the rate so far; None when finished or not yet measurable
        (nothing done, no time passed, or the total is unknown)."""
        if self.finished or not self.total or not self.done or not self.started_at or not self.updated_at:
            return None
        elapsed = (self.updated_at - self.started_at).total_seconds()
        if elapsed <= 0:
            return None
        remaining = max(0, self.total - self.done) * elapsed / self.done
        return self.updated_at + timedelta(seconds=remaining)


class _RawWriter:
    """A stream that writes exactly what it is given: Django's ``OutputWrapper`` (a command's
    ``self.stdout``) ends every write with a newline, which would break a redrawn bar."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        if isinstance(self.stream, OutputWrapper):
            self.stream.write(text, ending="")
        else:
            self.stream.write(text)
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return True


def stream_is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


class CommandProgress:
    """What a long command reports as it goes: ``advance`` by a step or ``update`` to a count.
    On a terminal a bar redrawn in place (rich); otherwise plain lines, one per tenth of the
    work, and one at least every ``quiet_seconds`` while nothing moves, so a log shows both
    progress and that the command is alive."""

    def __init__(self, stream: TextIO, total: int | None, label: str, *, quiet_seconds: float = 30) -> None:
        self.stream = stream
        self.total = total
        self.label = label
        self.done = 0
        self.note = ""
        self.quiet_seconds = quiet_seconds
        self.terminal = stream_is_terminal(stream)
        self.bar: RichProgress | None = None
        self.task: TaskID | None = None
        self.logged_line: str | None = None
        self.logged_step: tuple[int, int | None] | None = None
        self.logged_at = 0.0

    # -- the two modes ---------------------------------------------------------------
    def start(self) -> None:
        if self.terminal:
            console = Console(file=_RawWriter(self.stream), force_terminal=True)  # type: ignore[arg-type]
            self.bar = RichProgress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TaskProgressColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                TextColumn("{task.fields[note]}"),
                console=console,
            )
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=self.total, note="")
        else:
            self._log(force=True)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
        elif self._line() != self.logged_line:
            self._log(force=True)

    def _tenth(self) -> int:
        return self.done * 10 // self.total if self.total else 0

    def _line(self) -> str:
        if self.total:
            line = f"{self.label}: {self.done}/{self.total} ({self.done * 100 // self.total}%)"
        else:
            line = f"{self.label}: {self.done}"
        return f"{line}, {self.note}" if self.note else line

    def _log(self, *, force: bool = False) -> None:
        """A line when the work crossed a tenth (or its total changed), when nothing was
        written for ``quiet_seconds``, or when ``force``d."""
        now = time.monotonic()
        step = (self._tenth(), self.total)
        if not (force or step != self.logged_step or now - self.logged_at >= self.quiet_seconds):
            return
        line = self._line()
        # OutputWrapper ends the line itself; a plain stream needs the newline.
        self.stream.write(line if isinstance(self.stream, OutputWrapper) else line + "\n")
        self.stream.flush()
        self.logged_line, self.logged_step, self.logged_at = line, step, now

    # -- what commands call ----------------------------------------------------------
    def update(self, done: int, *, total: int | None = None, note: str | None = None) -> None:
        self.done = done
        if total is not None:
            self.total = total
        if note is not None:
            self.note = note
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, completed=self.done, total=self.total, note=self.note)
        else:
            self._log()

    def advance(self, step: int = 1, *, note: str | None = None) -> None:
        self.update(self.done + step, note=note)

    def write(self, message: str) -> None:
        """A line of the command's own output: above the bar on a terminal (a plain write
        would tear it), as it is otherwise."""
        if self.bar is not None:
            self.bar.console.print(message.rstrip("\n"), markup=False, highlight=False, soft_wrap=True)
        elif isinstance(self.stream, OutputWrapper):
            self.stream.write(message)
        else:
            self.stream.write(message if message.endswith("\n") else message + "\n")


@contextmanager
def command_progress(
    stream: TextIO, total: int | None, label: str, *, quiet_seconds: float = 30
) -> Iterator[CommandProgress]:
    """Show a long command's progress on ``stream`` (its ``self.stdout``): a bar on a terminal,
    plain log lines otherwise (a pipe, a file, cron, CI). ``total`` may be None (unknown)."""
    progress = CommandProgress(stream, total, label, quiet_seconds=quiet_seconds)
    progress.start()
    try:
        yield progress
    finally:
        progress.stop()

"""A long command's progress: a bar redrawn in place on a terminal, plain lines otherwise."""

from __future__ import annotations

import io

from django.core.management.base import OutputWrapper

from core.progress import command_progress


class Terminal(io.StringIO):
    """What a command writes to when run by a person at a terminal."""

    def isatty(self) -> bool:
        return True


def run(stream, total=20, **options) -> None:
    with command_progress(stream, total, "settling", **options) as progress:
        for done in range(1, total + 1):
            progress.update(done, note=f"{done * 3} transactions")


def test_it_logs_plain_lines_off_a_terminal_one_per_tenth_of_the_work():
    stream = io.StringIO()

    run(stream)

    lines = stream.getvalue().splitlines()
    assert lines[0] == "settling: 0/20 (0%)"
    assert lines[1] == "settling: 2/20 (10%), 6 transactions"
    assert lines[-1] == "settling: 20/20 (100%), 60 transactions"
    assert len(lines) == 11
    assert "\x1b" not in stream.getvalue()
    assert "\r" not in stream.getvalue()


def test_it_logs_through_a_commands_stdout_without_doubling_newlines():
    out = io.StringIO()

    run(OutputWrapper(out), total=4)

    assert out.getvalue().splitlines() == [
        "settling: 0/4 (0%)",
        "settling: 1/4 (25%), 3 transactions",
        "settling: 2/4 (50%), 6 transactions",
        "settling: 3/4 (75%), 9 transactions",
        "settling: 4/4 (100%), 12 transactions",
    ]


def test_it_says_it_is_alive_when_nothing_moves():
    stream = io.StringIO()

    with command_progress(stream, 10, "waiting", quiet_seconds=0) as progress:
        progress.update(0, note="0 transactions")
        progress.update(0, note="0 transactions")

    assert stream.getvalue().splitlines().count("waiting: 0/10 (0%), 0 transactions") == 2


def test_it_counts_without_a_total():
    stream = io.StringIO()

    with command_progress(stream, None, "rows") as progress:
        progress.advance(5)

    assert stream.getvalue().splitlines() == ["rows: 0", "rows: 5"]


def test_it_draws_a_bar_on_a_terminal():
    terminal = Terminal()

    run(OutputWrapper(terminal))

    drawn = terminal.getvalue()
    assert "\r" in drawn
    assert "\x1b[" in drawn
    assert "━" in drawn
    assert "20/20" in drawn
    assert "100%" in drawn
    assert "60 transactions" in drawn
    assert "settling: " not in drawn  # no log lines


def test_a_commands_own_lines_go_above_the_bar_on_a_terminal_and_as_they_are_otherwise():
    terminal, plain = Terminal(), io.StringIO()
    for stream in (terminal, plain):
        with command_progress(OutputWrapper(stream), 2, "demo data") as progress:
            progress.write("portal.demo.seed:")
            progress.advance()

    assert "portal.demo.seed:\n" in terminal.getvalue()
    assert plain.getvalue().splitlines() == [
        "demo data: 0/2 (0%)",
        "portal.demo.seed:",
        "demo data: 1/2 (50%)",
    ]

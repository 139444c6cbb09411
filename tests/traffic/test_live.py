"""tools/traffic/live.py: the one line per second, from recorded outcomes and from a running
watcher."""

from __future__ import annotations

import io
import sys

import pytest

from tests.helpers import AppBehaviour, wait_until
from tools.traffic.live import LiveLines, LiveReport, legend, replayed, timeline_char
from tools.traffic.options import TrafficOptions
from tools.traffic.summary import Outcome, Summary, summarize
from tools.traffic.watcher import Watcher


@pytest.mark.parametrize(
    ("ok_counts", "failed_counts", "char"),
    [
        ({"1": 5}, {}, "1"),
        ({"2": 5}, {}, "2"),
        ({"1": 3, "2": 2}, {}, "m"),
        ({"1": 3}, {"reset": 1}, "x"),
        ({}, {"refused": 4}, "X"),
        ({}, {}, "."),
    ],
)
def test_timeline_char(ok_counts: dict, failed_counts: dict, char: str) -> None:
    assert timeline_char(ok_counts, failed_counts) == char


class FixedOutcomes:
    """Stands in for a Watcher when only its recorded outcomes matter."""

    def __init__(self, outcomes: list[Outcome]) -> None:
        self._outcomes = outcomes

    def outcomes_since(self, index: int) -> list[Outcome]:
        return self._outcomes[index:]

    def waiting(self, sent_before: float) -> int:
        return 2 if sent_before == 2 else 0  # two requests hang in second 1


def test_live_lines_show_each_second_and_the_timeline(capsys) -> None:
    outcomes = [
        Outcome(0.0, 0.5, "1", None),
        Outcome(0.5, 1.5, "2", None),
        Outcome(1.5, 1.75, None, "refused"),
    ]
    live = LiveReport(sys.stdout, colour=False)

    live.emit_until(FixedOutcomes(outcomes), 3)

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert lines[0].split(" | ") == [
        "    0s",
        "ok v1    1  v2    0",
        "failed   0".ljust(30),
        "p50  500 p99  500 max  500 ms".ljust(41),
        "1",
    ]
    assert lines[1].split(" | ")[1:] == [
        "ok v1    0  v2    1",
        "failed refused 1".ljust(30),
        "p50 1000 p99 1000 max 1000 ms  waiting 2".ljust(41),
        "1x",
    ]
    assert lines[2].endswith(" | 1x.")


def test_a_replayed_timeline_is_what_the_live_display_printed(capsys) -> None:
    outcomes = [
        Outcome(0.0, 0.5, "1", None),
        Outcome(0.5, 1.5, "1", None),
        Outcome(1.5, 1.75, None, "refused"),
        Outcome(2.1, 2.2, "1", None),
    ]
    summary = summarize(outcomes, url="u", keepalive=False, concurrency=8, rate=None, duration=2.5)
    live = LiveReport(sys.stdout, colour=False)
    live.emit_until(FixedOutcomes(outcomes), len(summary.timeline))
    printed = capsys.readouterr().out.splitlines()

    replay = replayed(Summary.from_dict(summary.as_dict()))

    # The live display's waiting count came from the watcher; a results file keeps its own.
    assert [line.split(" | ")[:3] for line in replay] == [line.split(" | ")[:3] for line in printed]
    assert [line.rsplit(" | ", 1)[1] for line in replay] == ["1", "1x", "1x1"]


def test_legend_says_what_is_sent() -> None:
    text = legend(TrafficOptions("http://127.0.0.1:9/", concurrency=3, rate=50, max_in_flight=9))
    assert text.startswith(
        "watching http://127.0.0.1:9/ with open loop at 50 req/s, a new connection per request,"
        " up to 9 in flight |"
    )
    closed = legend(TrafficOptions("http://127.0.0.1:9/", concurrency=3, rate=None, keepalive=True))
    assert closed.startswith("watching http://127.0.0.1:9/ with 3 loops back to back, keepalive")


def test_live_lines_print_while_the_watcher_runs(fake_app: AppBehaviour) -> None:
    stream = io.StringIO()
    watcher = Watcher(TrafficOptions(fake_app.url, concurrency=2, rate=100))
    with LiveLines(watcher, LiveReport(stream, colour=False)) as live:
        watcher.start()
        try:
            wait_until(lambda: "    1s | ok v1" in stream.getvalue(), "the line of second 1")
        finally:
            summary = watcher.stop()
    live.finish(summary)

    lines = stream.getvalue().splitlines()
    assert [line.split(" | ")[0].strip() for line in lines] == [
        f"{second}s" for second in range(len(summary.timeline))
    ]

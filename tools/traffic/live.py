"""The live display: one line per finished second while traffic runs.

 12s | ok v1  412  v2    0 | failed   0          | p50    2 p99   15 max   40 ms | 11m2x
 13s | ok v1    0  v2  371 | failed refused 37   | p50    3 p99  980 max 1210 ms  waiting 4 | 11m2xx

Requests are counted in the second they ended in; the latency is that of the successful ones,
followed by ``waiting N`` when N requests sent by the end of that second were still unanswered
as the line was printed (a stall shows there before its requests end, late or as timeouts).
The last column is one character per second of the run so far: the version when every request
of that second succeeded on one version, ``m`` for mixed versions, ``x`` when some failed, ``X``
when all failed, ``.`` when none finished.
"""

from __future__ import annotations

import io
import os
import threading
from collections import Counter
from collections.abc import Mapping
from typing import TextIO

from tools.traffic.options import TrafficOptions, way_in
from tools.traffic.summary import (
    Latency,
    Outcome,
    Summary,
    ordered_kinds,
    pacing,
    version_label,
    version_sort_key,
)
from tools.traffic.watcher import Watcher

TIMELINE_WIDTH = 60
# A request that ends just before a second boundary is recorded a moment later; waiting a
# little before printing that second keeps it out of the next second's line.
LIVE_GRACE_S = 0.05
FAILED_COLUMN_WIDTH = 30
LATENCY_COLUMN_WIDTH = 41

GREEN = "\033[32m"
RED = "\033[31m"
RESET = "\033[0m"


def use_colour(stream: TextIO) -> bool:
    return stream.isatty() and not os.environ.get("NO_COLOR")


def paint(text: str, colour: str, enabled: bool) -> str:
    return f"{colour}{text}{RESET}" if enabled else text


def timeline_char(ok: Mapping[str, int], failed: Mapping[str, int]) -> str:
    if failed:
        return "x" if ok else "X"
    if not ok:
        return "."
    if len(ok) > 1:
        return "m"
    return next(iter(ok))[:1] or "?"


def paint_timeline_char(char: str, enabled: bool) -> str:
    if char in "xX":
        return paint(char, RED, enabled)
    if char == ".":
        return char
    return paint(char, GREEN, enabled)


def latency_column(latency: Latency, waiting: int) -> str:
    text = f"p50 {latency.p50_ms:>4.0f} p99 {latency.p99_ms:>4.0f} max {latency.max_ms:>4.0f} ms"
    return f"{text}  waiting {waiting}" if waiting else text


def describe(options: TrafficOptions) -> str:
    """The traffic in a few words, e.g. "open loop at 200 req/s, a new connection per request"."""
    mode = "keepalive connections" if options.keepalive else "a new connection per request"
    text = f"{pacing(options.rate, options.concurrency)}, {mode}"
    return text if options.rate is None else f"{text}, up to {options.max_in_flight} in flight"


def heading(options: TrafficOptions) -> str:
    """The traffic and the way it went in, e.g. "through the gateway (Traefik to the pods), open
    loop at 200 req/s, ...": what a scenario's output and results file say was measured."""
    return f"{way_in(options.url) or f'to {options.url}'}, {describe(options)}"


def legend(options: TrafficOptions) -> str:
    return (
        f"watching {options.url}{f' {way}' if (way := way_in(options.url)) else ''}"
        f" with {describe(options)}"
        " | per second: ok by version | failed by kind | latency of the ok ones | timeline:"
        " 1 = all ok on v1, m = mixed versions, x = some failed, X = all failed, . = idle"
    )


class LiveReport:
    """Turns a watcher's outcomes into one line per finished second."""

    def __init__(self, stream: TextIO, colour: bool) -> None:
        self.stream = stream
        self.colour = colour
        self.next_second = 0
        self._seen = 0
        self._ok: dict[int, Counter[str]] = {}
        self._failed: dict[int, Counter[str]] = {}
        self._ended: dict[int, list[Outcome]] = {}
        self._versions: set[str] = set()
        self._chars: list[str] = []

    def collect(self, watcher: Watcher) -> None:
        new = watcher.outcomes_since(self._seen)
        self._seen += len(new)
        for outcome in new:
            second = int(outcome.end)
            self._ended.setdefault(second, []).append(outcome)
            if outcome.ok:
                version = outcome.version or "?"
                self._versions.add(version)
                self._ok.setdefault(second, Counter())[version] += 1
            else:
                self._failed.setdefault(second, Counter())[outcome.failure or "error"] += 1

    def emit_until(self, watcher: Watcher, end_second: int) -> None:
        """Prints the line of every second before end_second not printed yet."""
        self.collect(watcher)
        while self.next_second < end_second:
            line = self.line(self.next_second, watcher.waiting(sent_before=self.next_second + 1))
            print(line, file=self.stream, flush=True)
            self.next_second += 1

    def line(self, second: int, waiting: int) -> str:
        ok = self._ok.pop(second, Counter())
        failed = self._failed.pop(second, Counter())
        latency = Latency.of(self._ended.pop(second, []))
        return self.format_line(second, ok, failed, latency, waiting)

    def format_line(
        self, second: int, ok: Counter[str], failed: Counter[str], latency: Latency, waiting: int
    ) -> str:
        self._chars.append(timeline_char(ok, failed))
        return " | ".join(
            [
                f"{second:>5}s",
                self._ok_column(ok),
                self._failed_column(failed),
                latency_column(latency, waiting).ljust(LATENCY_COLUMN_WIDTH),
                self._timeline(),
            ]
        )

    def _ok_column(self, ok: Counter[str]) -> str:
        versions = sorted(self._versions, key=version_sort_key)
        if not versions:
            return "ok    0"
        parts = []
        for version in versions:
            part = f"{version_label(version)} {ok[version]:>4}"
            parts.append(paint(part, GREEN, self.colour and ok[version] > 0))
        return "ok " + "  ".join(parts)

    def _failed_column(self, failed: Counter[str]) -> str:
        if failed:
            text = "failed " + "  ".join(f"{k} {failed[k]}" for k in ordered_kinds(failed))
        else:
            text = "failed   0"
        padded = text.ljust(FAILED_COLUMN_WIDTH)
        return paint(padded, RED, self.colour and bool(failed))

    def _timeline(self) -> str:
        recent = self._chars[-TIMELINE_WIDTH:]
        return "".join(paint_timeline_char(c, self.colour) for c in recent)


def replayed(summary: Summary) -> list[str]:
    """The lines the live display printed, drawn again from a results file's timeline (what
    make report shows of a rollout, as make watch showed it)."""
    report = LiveReport(io.StringIO(), colour=False)
    lines = []
    for second in summary.timeline:
        report._versions.update(second.ok)
        ok, failed = Counter(second.ok), Counter(second.failed)
        lines.append(report.format_line(second.second, ok, failed, second.latency, second.waiting))
    return lines


class LiveLines:
    """Prints the report's lines from a background thread while the watcher runs (nothing
    when there is no report); ``finish`` prints the seconds left once the watcher stopped."""

    POLL_S = 0.25

    def __init__(self, watcher: Watcher, report: LiveReport | None) -> None:
        self.watcher = watcher
        self.report = report
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="live-lines", daemon=True)

    def __enter__(self) -> LiveLines:
        if self.report:
            self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self.report:
            self._thread.join()

    def _loop(self) -> None:
        assert self.report is not None
        while not self._stop.wait(self.POLL_S):
            self.report.emit_until(self.watcher, int(self.watcher.elapsed() - LIVE_GRACE_S))

    def finish(self, summary: Summary) -> None:
        if self.report:
            self.report.emit_until(self.watcher, len(summary.timeline))

"""What a watched run amounts to: every request's outcome, summed up per version, per failure
kind and per second, and the summary as text."""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# A request still running when the watcher stopped and had waited for it (Watcher.stop).
UNFINISHED = "unfinished"
# A slot the open loop could not send: the cap on requests in flight was reached (a stall).
NOT_SENT = "not_sent"
FAILURE_KINDS = (
    "refused",
    "reset",
    "timeout",
    "http_5xx",
    "http_other",
    "error",
    UNFINISHED,
    NOT_SENT,
)
# A successful request slower than this is counted as slow: answered, but a user noticed.
SLOW_S = 1.0


@dataclass(frozen=True, slots=True)
class Outcome:
    """One request. Times are seconds since the watcher started: sent at `start`, ended at
    `end`, and due at `scheduled` (the open loop's slot; the send itself when None)."""

    start: float
    end: float
    version: str | None
    failure: str | None
    scheduled: float | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def latency(self) -> float:
        return self.end - self.start

    @property
    def latency_from_schedule(self) -> float:
        """What a user arriving on time waited: the time spent before the send included."""
        return self.end - (self.start if self.scheduled is None else self.scheduled)


@dataclass(frozen=True)
class Latency:
    """How long the successful requests took: percentiles, the slowest, and how many were slow."""

    p50_ms: float
    p99_ms: float
    max_ms: float
    slow: int  # slower than SLOW_S

    @classmethod
    def of(cls, outcomes: Iterable[Outcome], *, from_schedule: bool = False) -> Latency:
        """From each successful request's send, or from its slot (as wrk2 corrects it)."""
        seconds = sorted(
            o.latency_from_schedule if from_schedule else o.latency for o in outcomes if o.ok
        )
        if not seconds:
            return cls(0.0, 0.0, 0.0, 0)

        def rank(fraction: float) -> float:  # nearest-rank percentile
            return seconds[max(math.ceil(fraction * len(seconds)) - 1, 0)]

        return cls(
            p50_ms=round(rank(0.50) * 1000, 1),
            p99_ms=round(rank(0.99) * 1000, 1),
            max_ms=round(seconds[-1] * 1000, 1),
            slow=sum(1 for latency in seconds if latency > SLOW_S),
        )


@dataclass(frozen=True)
class Sighting:
    """When a version first and last answered successfully."""

    first_seen_s: float
    last_seen_s: float


@dataclass(frozen=True)
class Second:
    """Requests that ended within one second of the run: successes by version, failures by kind."""

    second: int
    ok: dict[str, int]
    failed: dict[str, int]
    latency: Latency
    # Requests sent but not answered yet when the second ended: a stall shows here before
    # its requests end (as late answers or timeouts).
    waiting: int

    @property
    def total(self) -> int:
        return sum(self.ok.values()) + sum(self.failed.values())


@dataclass(frozen=True)
class Summary:
    url: str
    mode: str  # "fresh" (a new connection per request) or "keepalive"
    concurrency: int
    # Requests/s scheduled by the clock (open loop), or None: closed loop, as fast as it goes.
    rate_per_s: float | None
    duration_s: float
    requests: int
    ok: int
    failed: int
    ok_by_version: dict[str, int]
    failures_by_kind: dict[str, int]
    # The longest run of consecutive failures, from its first start to its last end.
    longest_outage_s: float
    latency: Latency  # from each request's send
    latency_from_schedule: Latency  # from each request's slot: the wait for a send included
    first_failure_s: float | None
    last_failure_s: float | None
    versions: dict[str, Sighting]
    timeline: list[Second]

    @property
    def failing_for_s(self) -> float:
        """From the first failure to the last, while other requests may still have succeeded."""
        if self.first_failure_s is None or self.last_failure_s is None:
            return 0.0
        return self.last_failure_s - self.first_failure_s

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (``--json``, the scenarios' results file)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Summary:
        """as_dict's inverse: a results file read back, e.g. for make report's tables."""
        return cls(
            **{
                **data,
                "latency": Latency(**data["latency"]),
                "latency_from_schedule": Latency(**data["latency_from_schedule"]),
                "versions": {v: Sighting(**seen) for v, seen in data["versions"].items()},
                "timeline": [
                    Second(**{**second, "latency": Latency(**second["latency"])})
                    for second in data["timeline"]
                ],
            }
        )


def longest_outage(outcomes: Iterable[Outcome]) -> float:
    """Longest run of consecutive failures (ordered by end time), from first start to last end."""
    longest = 0.0
    run_start: float | None = None
    for outcome in sorted(outcomes, key=lambda o: o.end):
        if outcome.ok:
            run_start = None
            continue
        if run_start is None:
            run_start = outcome.start
        longest = max(longest, outcome.end - run_start)
    return longest


def version_sort_key(version: str) -> tuple[int, int, str]:
    """Numeric versions in numeric order (2 before 10), anything else after, alphabetically."""
    if version.isdigit():
        return (0, int(version), "")
    return (1, 0, version)


def version_label(version: str) -> str:
    return f"v{version}" if version[:1].isdigit() or version == "?" else version


def ordered_kinds(kinds: Iterable[str]) -> list[str]:
    known = [kind for kind in FAILURE_KINDS if kind in kinds]
    return known + sorted(set(kinds) - set(FAILURE_KINDS))


def ok_counts(outcomes: Iterable[Outcome]) -> dict[str, int]:
    counts = Counter(o.version or "?" for o in outcomes if o.ok)
    return {v: counts[v] for v in sorted(counts, key=version_sort_key)}


def failure_counts(outcomes: Iterable[Outcome]) -> dict[str, int]:
    counts = Counter(o.failure for o in outcomes if not o.ok)
    return {kind: counts[kind] for kind in ordered_kinds(counts)}


def version_sightings(outcomes: Iterable[Outcome]) -> dict[str, Sighting]:
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    for outcome in outcomes:
        if not outcome.ok:
            continue
        version = outcome.version or "?"
        first[version] = min(first.get(version, outcome.end), outcome.end)
        last[version] = max(last.get(version, outcome.end), outcome.end)
    return {
        v: Sighting(round(first[v], 2), round(last[v], 2))
        for v in sorted(first, key=version_sort_key)
    }


def timeline(outcomes: Iterable[Outcome], duration: float) -> list[Second]:
    """One entry per whole second 0..int(duration), bucketed by each outcome's end time."""
    last_second = max(int(duration), 0)
    buckets: list[list[Outcome]] = [[] for _ in range(last_second + 1)]
    # A request is waiting at the end of second s when it started before s + 1 and ended
    # after it: +1 from its first second, -1 from the second it ended in.
    waiting_changes = [0] * (last_second + 1)
    for outcome in outcomes:
        # Clamped so the timeline always adds up to the request count.
        second = min(max(int(outcome.end), 0), last_second)
        buckets[second].append(outcome)
        waiting_changes[min(max(int(outcome.start), 0), second)] += 1
        waiting_changes[second] -= 1
    waiting = 0
    seconds = []
    for i, bucket in enumerate(buckets):
        waiting += waiting_changes[i]
        seconds.append(
            Second(i, ok_counts(bucket), failure_counts(bucket), Latency.of(bucket), waiting)
        )
    return seconds


def summarize(
    outcomes: Iterable[Outcome],
    *,
    url: str,
    keepalive: bool,
    concurrency: int,
    rate: float | None,
    duration: float,
) -> Summary:
    outcomes = list(outcomes)
    failures = [o for o in outcomes if not o.ok]
    return Summary(
        url=url,
        mode="keepalive" if keepalive else "fresh",
        concurrency=concurrency,
        rate_per_s=rate,
        duration_s=round(duration, 2),
        requests=len(outcomes),
        ok=len(outcomes) - len(failures),
        failed=len(failures),
        ok_by_version=ok_counts(outcomes),
        failures_by_kind=failure_counts(failures),
        longest_outage_s=round(longest_outage(outcomes), 2),
        latency=Latency.of(outcomes),
        latency_from_schedule=Latency.of(outcomes, from_schedule=True),
        first_failure_s=round(min(o.start for o in failures), 2) if failures else None,
        last_failure_s=round(max(o.end for o in failures), 2) if failures else None,
        versions=version_sightings(outcomes),
        timeline=timeline(outcomes, duration),
    )


def format_counts(counts: Mapping[str, int], label: Callable[[str], str] = str) -> str:
    return ", ".join(f"{label(key)} {n}" for key, n in counts.items())


def format_seconds(value: float) -> str:
    return f"{value:.2f}s"


def format_latency(latency: Latency) -> str:
    """p50 / p99 / max of the successful requests, and how many were slow."""
    return (
        f"p50 {latency.p50_ms:g} ms, p99 {latency.p99_ms:g} ms, max {latency.max_ms:g} ms,"
        f" {latency.slow} slower than {SLOW_S:g}s"
    )


def pacing(rate: float | None, concurrency: int) -> str:
    """How the requests were sent, e.g. "open loop at 200 req/s" or "8 loops back to back"."""
    if rate is None:
        return f"{concurrency} loops back to back"
    return f"open loop at {rate:g} req/s"


def format_summary(summary: Summary) -> str:
    ok_detail = f"  ({format_counts(summary.ok_by_version, version_label)})" if summary.ok else ""
    failed_detail = f"  ({format_counts(summary.failures_by_kind)})" if summary.failed else ""
    lines = [
        (
            f"summary for {summary.url} ({summary.mode} connections, "
            f"{pacing(summary.rate_per_s, summary.concurrency)}, {summary.duration_s:.2f}s)"
        ),
        f"  requests         {summary.requests}",
        f"  ok               {summary.ok}{ok_detail}",
        f"  failed           {summary.failed}{failed_detail}",
        f"  longest outage   {format_seconds(summary.longest_outage_s)}",
        f"  latency          {format_latency(summary.latency)}",
    ]
    if summary.rate_per_s is not None:
        lines.append(f"  from schedule    {format_latency(summary.latency_from_schedule)}")
    if summary.first_failure_s is not None and summary.last_failure_s is not None:
        lines.append(
            f"  failures from    {format_seconds(summary.first_failure_s)}"
            f" to {format_seconds(summary.last_failure_s)}"
        )
    for version, seen in summary.versions.items():
        lines.append(
            f"  {version_label(version):<16} seen from {format_seconds(seen.first_seen_s)}"
            f" to {format_seconds(seen.last_seen_s)}"
        )
    return "\n".join(lines)

"""The result of one measured scenario, what it was expected to show, and the results table."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tools.results.diagnosis import Burst, PodEvent, timeline
from tools.traffic.summary import SLOW_S, Summary, pacing

# A crash cannot be graceful: what the dead pod held, and the new connections sent to it until
# it leaves the Service, fail in one burst, short of every request failing (what was measured:
# docs/deep-dives.md, "The crash drill").
BURST_WITHIN_S = 3.0
BURST_OUTAGE_WITHIN_S = 0.5
# After the burst, on kind, a reset can still come from a port the port proxy reused
# (docs/deep-dives.md, with what was measured): at most this share of the later requests, above
# what the default rate gives and below what the proxy's ports running out, or routing on to
# the dead pod, would.
LATE_FAILED_SHARE = 0.005
# Said under a crash drill with failures after the burst: the one cause found so far.
LATE_FAILURES = (
    "  failures after the burst: on kind, Docker's port proxy reused a source port that the"
    " dead pod had reset, and the node's connection tracking sent it back there"
    " (docs/deep-dives.md, 'The crash drill'); above ~235 new connections/s this becomes an outage"
)


def after_burst(summary: Summary) -> tuple[int, int]:
    """Failed and all requests that ended from BURST_WITHIN_S after the first failure on, in
    whole seconds of the timeline."""
    if summary.first_failure_s is None:
        return 0, 0
    later = [s for s in summary.timeline if s.second >= summary.first_failure_s + BURST_WITHIN_S]
    return sum(sum(s.failed.values()) for s in later), sum(s.total for s in later)


class Expectation(enum.Enum):
    """What a scenario must show for the lesson to hold."""

    FAILURES = "some failed requests"
    NO_FAILURES = "zero failed requests"
    BURST = (
        f"one burst of failures within {BURST_WITHIN_S:g} s, at most"
        f" {LATE_FAILED_SHARE:.1%} of the later requests failing, and never"
        f" {BURST_OUTAGE_WITHIN_S:g} s of every request failing"
    )
    STUCK = "a rollout that never completes, and zero failed requests"
    REPORT_ONLY = "nothing in particular"

    def met_by(self, summary: Summary, rollout_completed: bool | None = None) -> bool:
        if self is Expectation.FAILURES:
            return summary.failed > 0
        if self is Expectation.NO_FAILURES:
            return summary.failed == 0
        if self is Expectation.BURST:
            late_failed, late_total = after_burst(summary)
            return (
                summary.failed > 0
                and late_failed <= LATE_FAILED_SHARE * late_total
                and summary.longest_outage_s <= BURST_OUTAGE_WITHIN_S
            )
        if self is Expectation.STUCK:
            return rollout_completed is False and summary.failed == 0
        return True


def release_lesson(variant: str) -> Expectation:
    """The workshop's lesson for a release: naive loses requests, safe loses none."""
    return Expectation.FAILURES if variant == "naive" else Expectation.NO_FAILURES


@dataclass(frozen=True)
class Result:
    name: str
    variant: str
    summary: Summary
    # The action (rollout, delete, kill, scale) in seconds since the traffic started.
    action_window: tuple[float, float]
    # From the action until every replica was updated and available again (what
    # `kubectl rollout status` waits for): the table's "rollout (s)".
    rollout_seconds: float
    expectation: Expectation
    events: list[str] = field(default_factory=list)
    # Failures that ended before the action began: the cluster's noise, not the lesson's.
    failed_before_action: int = 0
    # Where a scenario counts them (the lesson): container restarts on the pods there are at
    # the end, and whether the rollout completed.
    restarts: int | None = None
    rollout_completed: bool | None = None
    # Whether the traffic was healthy again before measure() stopped waiting for it.
    recovered: bool = True
    # What the pods did meanwhile, and the failed requests in bursts (tools/results/diagnosis.py).
    pod_events: list[PodEvent] = field(default_factory=list)
    failure_bursts: list[Burst] = field(default_factory=list)
    # The other watchers' summaries, where more traffic watched the same action (Setup.also).
    also: list[Summary] = field(default_factory=list)
    # The Deployment meanwhile: the fewest replicas available at once (what maxUnavailable
    # allows) and the most pods at once (what maxSurge costs); None where not watched.
    fewest_available: int | None = None
    most_pods: int | None = None

    @property
    def summaries(self) -> list[Summary]:
        return [self.summary, *self.also]

    def diagnosis(self) -> list[str]:
        """The failures against the pods' events, in time order and relative to the action."""
        return timeline(self.failure_bursts, self.pod_events, self.action_window[0])

    @property
    def met_expectation(self) -> bool:
        # A zero (or a short burst) means nothing if the traffic never came back.
        needs_recovery = self.expectation in (Expectation.NO_FAILURES, Expectation.BURST)
        met = all(self.expectation.met_by(s, self.rollout_completed) for s in self.summaries)
        return met and (self.recovered or not needs_recovery)

    def as_dict(self) -> dict[str, Any]:
        expect_failures = {
            Expectation.FAILURES: True,
            Expectation.BURST: True,
            Expectation.NO_FAILURES: False,
            Expectation.STUCK: False,
        }
        return {
            "name": self.name,
            "variant": self.variant,
            "action_window": list(self.action_window),
            "rollout_seconds": round(self.rollout_seconds, 1),
            "expectation": self.expectation.name,
            "expect_failures": expect_failures.get(self.expectation),
            "met_expectation": self.met_expectation,
            "events": self.events,
            "failed_before_action": self.failed_before_action,
            "restarts": self.restarts,
            "rollout_completed": self.rollout_completed,
            "recovered": self.recovered,
            "pod_events": [dataclasses.asdict(e) for e in self.pod_events],
            "failure_bursts": [dataclasses.asdict(b) for b in self.failure_bursts],
            "summary": self.summary.as_dict(),
            "also": [summary.as_dict() for summary in self.also],
            "fewest_available": self.fewest_available,
            "most_pods": self.most_pods,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        """as_dict's inverse: a results file read back, e.g. for make report's tables."""
        return cls(
            name=data["name"],
            variant=data["variant"],
            summary=Summary.from_dict(data["summary"]),
            action_window=(data["action_window"][0], data["action_window"][1]),
            rollout_seconds=data["rollout_seconds"],
            expectation=Expectation[data["expectation"]],
            events=data["events"],
            failed_before_action=data["failed_before_action"],
            restarts=data["restarts"],
            rollout_completed=data["rollout_completed"],
            recovered=data["recovered"],
            pod_events=[PodEvent(**event) for event in data["pod_events"]],
            failure_bursts=[Burst(**burst) for burst in data["failure_bursts"]],
            also=[Summary.from_dict(summary) for summary in data.get("also", [])],
            fewest_available=data.get("fewest_available"),
            most_pods=data.get("most_pods"),
        )


def text_table(
    header: Sequence[str], rows: Iterable[Sequence[str]], left_aligned: Collection[int]
) -> str:
    """Each column as wide as its widest cell, a rule under the header, and every column but
    the `left_aligned` ones right-aligned, so that numbers line up."""
    lines = [header, *rows]
    widths = [max(len(cells[i]) for cells in lines) for i in range(len(header))]
    text = []
    for index, cells in enumerate(lines):
        aligned = [
            cell.ljust(width) if column in left_aligned else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        text.append("  ".join(aligned).rstrip())
        if index == 0:
            text.append("  ".join("-" * w for w in widths))
    return "\n".join(text)


def markdown_table(
    header: Sequence[str], rows: Iterable[Sequence[str]], left_aligned: Collection[int]
) -> str:
    """The same table in Markdown, numbers right-aligned: what make report writes into docs/."""

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    rule = ["---" if i in left_aligned else "---:" for i in range(len(header))]
    return "\n".join([line(header), "| " + " | ".join(rule) + " |", *map(line, rows)])


# How a table is laid out: text_table for a terminal, markdown_table for the docs.
Render = Callable[[Sequence[str], Iterable[Sequence[str]], Collection[int]], str]


# "longest outage": every request failed; "failing for": from the first failure to the last,
# while some requests still succeeded (a crashed pod among healthy ones); latency and "slow":
# the successful requests, so a rollout that stalls requests without failing them shows.
COLUMNS = ("scenario", "requests", "failed", "failures by kind", "longest outage (s)",
           "failing for (s)", "p50/p99/max (ms)", f"slow (>{SLOW_S:g} s)",
           "rollout (s)")  # fmt: skip
LEFT_ALIGNED = (0, 3)


def row(result: Result) -> tuple[str, ...]:
    s = result.summary
    kinds = ", ".join(f"{k} {n:,}" for k, n in s.failures_by_kind.items()) or "-"
    return (
        result.name,
        f"{s.requests:,}",
        f"{s.failed:,}",
        kinds,
        f"{s.longest_outage_s:.1f}",
        f"{s.failing_for_s:.1f}",
        f"{s.latency.p50_ms:.0f}/{s.latency.p99_ms:.0f}/{s.latency.max_ms:.0f}",
        f"{s.latency.slow:,}",
        f"{result.rollout_seconds:.1f}",
    )


def table(results: list[Result], render: Render = text_table) -> str:
    return render(COLUMNS, map(row, results), LEFT_ALIGNED)


def report(results: list[Result]) -> str:
    """The table, then each run with failures: its failures against its pods' events. What an
    assertion about these runs says when it fails."""
    lines = [table(results)]
    for r in results:
        for s in r.also:
            kinds = ", ".join(f"{k} {n:,}" for k, n in s.failures_by_kind.items()) or "-"
            lines.append(
                f"{r.name}, also watched {watched(s)}: {s.failed:,} of {s.requests:,} failed"
                f" ({kinds})"
            )
        if r.summary.failed:
            lines += [f"{r.name}: failures against the pods' events", *r.diagnosis()]
    return "\n".join(lines)


def watched(summary: Summary) -> str:
    connections = "kept-alive connections" if summary.mode == "keepalive" else "new connections"
    return f"{pacing(summary.rate_per_s, summary.concurrency)}, {connections}"


def verdicts(results: list[Result]) -> list[str]:
    lines = []
    for r in results:
        if r.expectation is Expectation.REPORT_ONLY:
            continue
        status = "ok" if r.met_expectation else "UNEXPECTED"
        where = ""
        if r.summary.failed:
            where = (
                f" ({r.failed_before_action:,} before the action began,"
                f" {r.summary.failed - r.failed_before_action:,} from it on)"
            )
        late_failed = 0
        if not r.recovered:
            where += ", and the traffic never became healthy again"
        if r.expectation is Expectation.STUCK:
            where += ", rollout never completed" if r.rollout_completed is False else ", completed"
        if r.expectation is Expectation.BURST:
            late_failed, late_total = after_burst(r.summary)
            where += (
                f", {late_failed:,} of {late_total:,} after the burst,"
                f" longest outage {r.summary.longest_outage_s:.1f} s"
            )
        lines.append(
            f"{status}: {r.name}: expected {r.expectation.value}, got {r.summary.failed:,}{where}"
        )
        if not r.met_expectation:
            lines += r.diagnosis()
        if late_failed:
            lines.append(LATE_FAILURES)
    return lines

"""Measuring one scenario: steady traffic first, then the action (a rollout, a deleted pod...),
then traffic until the cluster has settled and every request succeeds again."""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tools.cluster import commands as cluster
from tools.results.diagnosis import PodWatch, ReplicaWatch, failure_bursts
from tools.results.result import Expectation, Result
from tools.traffic.live import LiveLines, LiveReport, heading, use_colour
from tools.traffic.options import TrafficOptions
from tools.traffic.summary import Outcome
from tools.traffic.watcher import Watcher

# Traffic before the action, so every run shows the steady state it starts from.
BASELINE_SECONDS = 3.0
# A run ends once every request of this many seconds succeeded on the expected version.
HEALTHY_SECONDS = 3.0
RECOVERY_TIMEOUT = 180.0


@dataclass(frozen=True)
class Setup:
    """How every scenario of a run is measured."""

    traffic: TrafficOptions = dataclasses.field(default_factory=TrafficOptions)
    # More traffic through the same action, each its own watcher side by side (e.g. kept-alive
    # connections beside new ones): one rollout watched every way at once.
    also: tuple[TrafficOptions, ...] = ()
    # Keep the traffic going at least until every watcher sent this many requests.
    min_requests: int = 0
    # No live lines and no running commentary, only the results.
    quiet: bool = False


class Notes:
    """What happened during one measured run, in order, printed as it happens unless quiet."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.events: list[str] = []

    def add(self, text: str) -> None:
        self.events.append(text)
        if not self.quiet:
            print(f"  → {text}", flush=True)


def healthy_recently(watcher: Watcher, version: str | None) -> bool:
    """Every request of the last HEALTHY_SECONDS succeeded (on `version`, if given)."""
    now = watcher.elapsed()
    if now < HEALTHY_SECONDS:
        return False
    recent = [o for o in watcher.outcomes() if o.end >= now - HEALTHY_SECONDS]
    return bool(recent) and all(o.ok and version in (None, o.version) for o in recent)


def measure(
    name: str,
    variant: str,
    action: Callable[[Notes], None],
    setup: Setup,
    *,
    expectation: Expectation,
    end_version: str | None,
    recovery_timeout: float = RECOVERY_TIMEOUT,
    settles: bool = True,
) -> Result:
    """Runs `action` under watched traffic. When the action `settles` the cluster, waits for
    the rollout and for terminating pods to be gone; then until traffic has been healthy for
    HEALTHY_SECONDS (or recovery_timeout passed) with at least min_requests sent."""
    if not setup.quiet:
        print(f"\n=== {name}: {heading(setup.traffic)}", flush=True)
    watcher = Watcher(setup.traffic)
    side = [Watcher(traffic) for traffic in setup.also]
    notes = Notes(setup.quiet)
    report = None if setup.quiet else LiveReport(sys.stdout, use_colour(sys.stdout))
    pods = PodWatch(watcher.elapsed)
    replicas = ReplicaWatch()
    with LiveLines(watcher, report) as live:
        for each in (watcher, *side):
            each.start()
        pods.start()
        replicas.start()
        try:
            time.sleep(BASELINE_SECONDS)  # steady-state traffic before the action, not a sync
            started = watcher.elapsed()
            action(notes)
            if settles:
                cluster.wait_for(
                    cluster.rolled_out,
                    cluster.SETTLE_TIMEOUT,
                    "all replicas to be updated and available",
                )
            rolled_out_at = watcher.elapsed()
            # Old pods drain for a while after the rollout: the traffic keeps going until
            # they are gone, so any request they drop is counted.
            if settles:
                cluster.wait_for(
                    cluster.settled, cluster.SETTLE_TIMEOUT, "terminating pods to be gone"
                )
            deadline = time.monotonic() + recovery_timeout
            while not (recovered := recovered_now([watcher, *side], end_version, setup)):
                if time.monotonic() >= deadline:
                    notes.add(f"traffic not healthy after {recovery_timeout:g} s: stopped waiting")
                    break
                time.sleep(0.25)
        finally:
            summary = watcher.stop()
            also = [each.stop() for each in side]
            pod_events = pods.stop()
            fewest_available, most_pods = replicas.stop()
    live.finish(summary)
    return Result(
        name=name,
        variant=variant,
        summary=summary,
        action_window=(round(started, 2), round(rolled_out_at, 2)),
        rollout_seconds=rolled_out_at - started,
        expectation=expectation,
        events=notes.events,
        failed_before_action=failed_before(watcher.outcomes(), started),
        recovered=recovered,
        pod_events=pod_events,
        failure_bursts=failure_bursts(watcher.outcomes()),
        also=also,
        fewest_available=fewest_available,
        most_pods=most_pods,
    )


def recovered_now(watchers: list[Watcher], end_version: str | None, setup: Setup) -> bool:
    return all(
        healthy_recently(watcher, end_version) and len(watcher.outcomes()) >= setup.min_requests
        for watcher in watchers
    )


def failed_before(outcomes: Iterable[Outcome], started: float) -> int:
    """Failures that had ended before the action began: the cluster's noise, not the lesson's.
    A failure still under way when it began (a hung request) counts as the action's."""
    return sum(1 for o in outcomes if not o.ok and o.end < started)


def run_make_action(notes: Notes, target: str, *, expect_ok: bool = True, **variables: str) -> None:
    """`make target VARIABLE=value...` as a scenario's action, its outcome in the notes."""
    command = " ".join([f"make {target}", *(f"{k}={v}" for k, v in variables.items())])
    notes.add(command)
    outcome = cluster.make(target, **variables)
    if outcome.returncode == 0:
        notes.add(f"{command}: done")
    else:
        notes.add(f"{command}: exit {outcome.returncode}: {cluster.last_line(outcome)}")
    if (outcome.returncode == 0) != expect_ok:
        raise cluster.ClusterError(f"{command} exited {outcome.returncode}, expected the opposite")

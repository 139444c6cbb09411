"""The lesson: safe.yaml minus one protection at a time, rolled under watched traffic, and one
table row per variant (its rollouts summed up) saying what the protection buys.

    results = lesson.rollouts([variant], 3, "myapp", setup)   # three measured rollouts
    print(lesson.table(results))
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence

from tools.cluster import commands as cluster
from tools.results.result import Expectation, Render, Result, text_table
from tools.scenarios.measuring import RECOVERY_TIMEOUT, Notes, Setup, measure
from tools.scenarios.variants import BROKEN_RELEASE, CONTROL, VARIANTS, Variant, render
from tools.traffic.options import TrafficOptions

# Longer than safe.yaml's 120 s progress deadline: a stuck rollout is reported by Kubernetes
# ("exceeded its progress deadline"), not cut short by kubectl's own timeout.
STUCK_ROLLOUT_TIMEOUT_S = 180
# Pods of the broken release answer 500 for good: a few seconds of that is the whole story.
BROKEN_RELEASE_WATCH_S = 5.0
EVERY_VARIANT = (CONTROL, *VARIANTS)
# The longest /delay the app answers (app/routes.py MAX_DELAY_SECONDS; a test keeps them equal).
MAX_SLOW_S = 10.0


# What each row must show for the lesson to hold (docs/lesson.md, "What the tables say"), by
# the traffic that shows it; a row not named shows nothing in particular there, and is only
# reported.
# Whatever the traffic: the control loses nothing, a broken release that passes as ready fails
# requests, and a warm-up that liveness kills never completes.
ANY_TRAFFIC = {
    CONTROL.name: Expectation.NO_FAILURES,
    "no-readiness": Expectation.FAILURES,
    "no-startup-probe": Expectation.STUCK,
}
# Short requests on new connections (make lesson's default): the app stops listening while
# nodes still send new connections to it.
SHORT_ON_NEW_CONNECTIONS = {**ANY_TRAFFIC, "no-prestop": Expectation.FAILURES}
# Slow requests on kept-alive connections (SLOW=s with --keepalive): requests are in flight
# at SIGTERM, and what stops the app before they end cuts them off.
SLOW_ON_KEPT_ALIVE = {
    **ANY_TRAFFIC,
    "no-graceful": Expectation.FAILURES,
    "short-grace": Expectation.FAILURES,
}


def expectation(variant: Variant, traffic: TrafficOptions, slow_s: float | None) -> Expectation:
    if slow_s is None and not traffic.keepalive:
        expected = SHORT_ON_NEW_CONNECTIONS
    elif slow_s is not None and traffic.keepalive:
        expected = SLOW_ON_KEPT_ALIVE
    else:
        expected = ANY_TRAFFIC
    return expected.get(variant.name, Expectation.REPORT_ONLY)


def by_name(name: str) -> Variant:
    (variant,) = (v for v in EVERY_VARIANT if v.name == name)
    return variant


def rollout(
    variant: Variant,
    number: int,
    image: str,
    setup: Setup,
    *,
    slow_s: float | None = None,
    warm_up_s: float | None = None,
) -> Result:
    """The variant serving v1, then rolled to its release under watched traffic. `slow_s`:
    every measured request asks /delay/<slow_s>, so requests are in flight when pods stop;
    `warm_up_s`: the release's own warm-up instead of its image's (render())."""
    cluster.start_from_manifest(
        render(variant, f"{image}:1"), "1", setup.traffic, f"{variant.name} v1"
    )
    if slow_s is not None:
        setup = dataclasses.replace(setup, traffic=setup.traffic.asking_delay(slow_s))
    expected = expectation(variant, setup.traffic, slow_s)
    serves_broken = variant.release == BROKEN_RELEASE
    target = f"{image}:{variant.release}"

    def roll(notes: Notes) -> None:
        notes.add(f"kubectl apply: {variant.name} with {target}")
        cluster.apply(render(variant, target, rolled_to=True, warm_up_s=warm_up_s))
        if not variant.rollout_completes:
            status = cluster.run(
                [*cluster.KUBECTL, "rollout", "status", "deployment/myapp",
                 f"--timeout={STUCK_ROLLOUT_TIMEOUT_S}s"]
            )  # fmt: skip
            notes.add(
                f"kubectl rollout status: exit {status.returncode}: {cluster.last_line(status)}"
            )

    result = measure(
        f"{variant.name} #{number}",
        variant.name,
        roll,
        setup,
        expectation=expected,
        end_version=variant.release if variant.rollout_completes and not serves_broken else None,
        recovery_timeout=BROKEN_RELEASE_WATCH_S if serves_broken else RECOVERY_TIMEOUT,
        # A stuck rollout keeps its never-ready new pod beside the old ones: nothing settles.
        settles=variant.rollout_completes,
    )
    cluster.log_rollout(f"lesson: {variant.name}", "1", variant.release, result.rollout_seconds)
    # Counted on the pods there are now: the new ones, or the stuck one beside the old.
    return dataclasses.replace(
        result, restarts=cluster.restarts(), rollout_completed=cluster.rolled_out()
    )


def rollouts(
    chosen: Sequence[Variant], count: int, image: str, setup: Setup, slow_s: float | None = None
) -> list[Result]:
    return [
        rollout(variant, number, image, setup, slow_s=slow_s)
        for variant in chosen
        for number in range(1, count + 1)
    ]


COLUMNS = ("variant", "removed", "rollouts", "requests", "failed", "failures by kind",
           "longest outage (s)", "worst p99/max (ms)", "rollout (s)", "restarts",
           "what it teaches")  # fmt: skip
LEFT_ALIGNED = (0, 1, 5, 10)


def rollout_cell(results: Sequence[Result]) -> str:
    """How long the rollouts took, or that they never completed (and when that was clear)."""
    done = sorted(r.rollout_seconds for r in results if r.rollout_completed)
    stuck = len(results) - len(done)
    if not done:
        return f"never ({max(r.rollout_seconds for r in results):.0f} s)"
    fastest, slowest = f"{done[0]:.0f}", f"{done[-1]:.0f}"
    span = fastest if fastest == slowest else f"{fastest}-{slowest}"
    return f"{span}, {stuck} never" if stuck else span


def row(variant: Variant, results: Sequence[Result]) -> tuple[str, ...]:
    kinds: Counter[str] = Counter()
    for r in results:
        kinds.update(r.summary.failures_by_kind)
    worst_p99 = max(r.summary.latency.p99_ms for r in results)
    slowest = max(r.summary.latency.max_ms for r in results)
    return (
        variant.name,
        variant.removed,
        f"{len(results)}",
        f"{sum(r.summary.requests for r in results):,}",
        f"{sum(r.summary.failed for r in results):,}",
        ", ".join(f"{k} {n:,}" for k, n in kinds.most_common()) or "-",
        f"{max(r.summary.longest_outage_s for r in results):.1f}",
        f"{worst_p99:.0f}/{slowest:.0f}",
        rollout_cell(results),
        f"{sum(r.restarts or 0 for r in results)}",
        variant.teaches,
    )


def table(results: Sequence[Result], render: Render = text_table) -> str:
    """One row per variant, in the order the variants first appear in `results`."""
    names = list(dict.fromkeys(r.variant for r in results))
    rows = [row(by_name(n), [r for r in results if r.variant == n]) for n in names]
    return render(COLUMNS, rows, LEFT_ALIGNED)

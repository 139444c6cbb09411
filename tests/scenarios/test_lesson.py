"""tools/scenarios/lesson.py: one row per variant, summed over its rollouts, from made results."""

import dataclasses

import pytest

from app.routes import MAX_DELAY_SECONDS
from tools.results.result import Expectation, Result
from tools.scenarios import lesson
from tools.scenarios.variants import VARIANTS
from tools.traffic.options import TrafficOptions
from tools.traffic.summary import Outcome, summarize


def rollout(variant: str, failed: int, seconds: float, *, completed=True, restarts=0) -> Result:
    outcomes = [Outcome(0.0, 0.01, "2", None)] * 1_000
    outcomes += [Outcome(5.0, 5.2, None, "reset")] * failed
    summary = summarize(outcomes, url="u", keepalive=False, concurrency=8, rate=None, duration=60.0)
    return Result(
        f"{variant} #x",
        variant,
        summary,
        (3.0, 3.0 + seconds),
        seconds,
        Expectation.REPORT_ONLY,
        restarts=restarts,
        rollout_completed=completed,
    )


def cells(text: str, variant: str) -> list[str]:
    (line,) = (line for line in text.splitlines() if line.startswith(f"{variant} "))
    return [cell.strip() for cell in line.split("  ") if cell.strip()]


def test_one_row_per_variant_sums_its_rollouts():
    text = lesson.table(
        [
            rollout("no-prestop", 287, 68.8),
            rollout("no-prestop", 250, 70.1),
            rollout("safe", 0, 68.5),
        ]
    )
    header, _, *rows = text.splitlines()
    for column in lesson.COLUMNS:
        assert column in header
    # In the order the variants ran.
    assert [row.split()[0] for row in rows] == ["no-prestop", "safe"]
    prestop = cells(text, "no-prestop")
    assert prestop[2:6] == ["2", "2,537", "537", "reset 537"]
    assert prestop[-3] == "69-70"
    assert prestop[-1] == lesson.by_name("no-prestop").teaches
    assert cells(text, "safe")[2:6] == ["1", "1,000", "0", "-"]


def test_a_rollout_that_never_completed_says_so_with_its_restarts():
    text = lesson.table(
        [
            rollout("no-startup-probe", 0, 121.4, completed=False, restarts=3),
            rollout("no-startup-probe", 0, 120.9, completed=False, restarts=4),
        ]
    )
    row = cells(text, "no-startup-probe")
    assert row[-3:-1] == ["never (121 s)", "7"]


def test_rollouts_that_took_the_same_whole_seconds_show_one_number():
    assert lesson.rollout_cell([rollout("x", 0, 68.1), rollout("x", 0, 68.3)]) == "68"


def test_some_rollouts_stuck_are_counted_beside_the_others():
    results = [rollout("x", 0, 60.0), rollout("x", 0, 121.0, completed=False)]
    assert lesson.rollout_cell(results) == "60, 1 never"


def test_every_variant_has_a_row_name_and_safe_comes_first():
    assert lesson.EVERY_VARIANT[0].name == "safe"
    assert [v.name for v in lesson.EVERY_VARIANT[1:]] == [v.name for v in VARIANTS]
    with pytest.raises(ValueError):
        lesson.by_name("no-such-variant")


def test_slow_requests_ask_no_longer_than_the_app_answers():
    assert lesson.MAX_SLOW_S == MAX_DELAY_SECONDS


NEW_SHORT = TrafficOptions()
KEPT_ALIVE = TrafficOptions(keepalive=True)


@pytest.mark.parametrize(
    ("traffic", "slow_s", "expected"),
    [
        # make lesson's default: short requests, a new connection each.
        (
            NEW_SHORT,
            None,
            {"safe": "NO_FAILURES", "no-readiness": "FAILURES", "no-prestop": "FAILURES",
             "no-startup-probe": "STUCK"},
        ),
        # SLOW=5 with --keepalive: requests in flight when pods stop.
        (
            KEPT_ALIVE,
            5.0,
            {"safe": "NO_FAILURES", "no-readiness": "FAILURES", "no-graceful": "FAILURES",
             "short-grace": "FAILURES", "no-startup-probe": "STUCK"},
        ),
        # Any other traffic: only what holds whatever the traffic.
        (
            KEPT_ALIVE,
            None,
            {"safe": "NO_FAILURES", "no-readiness": "FAILURES", "no-startup-probe": "STUCK"},
        ),
        (
            NEW_SHORT,
            5.0,
            {"safe": "NO_FAILURES", "no-readiness": "FAILURES", "no-startup-probe": "STUCK"},
        ),
    ],
)  # fmt: skip
def test_each_row_must_show_what_it_teaches_under_the_traffic_that_shows_it(
    traffic, slow_s, expected
):
    got = {v.name: lesson.expectation(v, traffic, slow_s).name for v in lesson.EVERY_VARIANT}
    assert {name: e for name, e in got.items() if e != "REPORT_ONLY"} == expected


def test_the_control_losing_a_request_fails_the_lesson():
    lost_one = dataclasses.replace(rollout("safe", 1, 70.0), expectation=Expectation.NO_FAILURES)
    assert not lost_one.met_expectation
    assert dataclasses.replace(lost_one, summary=rollout("safe", 0, 70.0).summary).met_expectation


@pytest.mark.parametrize(
    ("completed", "failed", "met"), [(False, 0, True), (True, 0, False), (False, 3, False)]
)
def test_a_stuck_rollout_is_met_only_when_it_never_completed_and_lost_nothing(
    completed, failed, met
):
    stuck = dataclasses.replace(
        rollout("no-startup-probe", failed, 121.0, completed=completed),
        expectation=Expectation.STUCK,
    )
    assert stuck.met_expectation is met

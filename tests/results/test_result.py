"""tools/results/result.py: expectations, the results table and the verdicts, from hand-made
results."""

import dataclasses
import json

import pytest

from tools.results.result import (
    BURST_OUTAGE_WITHIN_S,
    COLUMNS,
    LATE_FAILURES,
    Expectation,
    Result,
    after_burst,
    release_lesson,
    table,
    verdicts,
)
from tools.traffic.summary import Outcome, summarize


def result(name: str, failed: int, expectation: Expectation) -> Result:
    outcomes = [Outcome(0.0, 0.1, "1", None)] * (12_000 - failed)
    if failed:
        # One outage from 4.0 to 22.25 s, then failures among successes until 28.5 s.
        outcomes += [Outcome(4.0, 22.25, None, "refused")]
        outcomes += [Outcome(28.0, 28.5, None, "refused")] * (failed - 1)
    summary = summarize(outcomes, url="u", keepalive=False, concurrency=8, rate=None, duration=40.0)
    return Result(name, "x", summary, (3.0, 40.0), 21.5, expectation)


def test_table_has_the_demo_columns_and_a_row_per_scenario():
    lines = table(
        [
            result("naive v1 → v2", 5_400, Expectation.FAILURES),
            result("safe v1 → v2", 0, Expectation.NO_FAILURES),
        ]
    ).splitlines()
    assert lines[0].split("  ")[0] == "scenario"
    for column in COLUMNS:
        assert column in lines[0]
    assert lines[2].split() == [
        "naive", "v1", "→", "v2", "12,000", "5,400", "refused", "5,400", "24.5", "24.5",
        "100/100/100", "0", "21.5",
    ]  # fmt: skip
    assert lines[3].split()[-7:] == ["0", "-", "0.0", "0.0", "100/100/100", "0", "21.5"]


@pytest.mark.parametrize(
    ("failed", "expectation", "met"),
    [
        (0, Expectation.NO_FAILURES, True),
        (1, Expectation.NO_FAILURES, False),
        (5, Expectation.FAILURES, True),
        (0, Expectation.FAILURES, False),
        (7, Expectation.REPORT_ONLY, True),
    ],
)
def test_expectations(failed, expectation, met):
    assert result("r", failed, expectation).met_expectation is met


def crash(late: int = 0, outage: float = 0.05) -> Result:
    """A crash drill: a success every 10 ms for 40 s; from 5 s on, every request failing for
    `outage` s, then 40 failures among the successes until 6.5 s (the burst), and `late`
    failures spread over 10 to 30 s."""
    outcomes = [Outcome(t / 100, t / 100 + 0.01, "2", None) for t in range(4_000)]
    outcomes = [o for o in outcomes if not 5.0 <= o.start < 5.0 + outage]
    outcomes.append(Outcome(5.0, 5.0 + outage, None, "reset"))
    outcomes += [Outcome(5.1 + i / 30, 5.1 + i / 30 + 0.001, None, "reset") for i in range(40)]
    outcomes += [
        Outcome(10 + 20 * i / late, 10.001 + 20 * i / late, None, "reset") for i in range(late)
    ]
    summary = summarize(outcomes, url="u", keepalive=False, concurrency=8, rate=None, duration=40.0)
    return Result("safe: crash (SIGKILL)", "safe", summary, (3.0, 30.0), 25.0, Expectation.BURST)


@pytest.mark.parametrize(
    ("late", "outage", "met"),
    [
        # A crash's burst as kind shows it at 200/s, alone or with a few resets from reused ports.
        (0, 0.1, True),
        (6, 0.1, True),
        # A port the proxy keeps reusing (300/s), or traffic still routed to the dead pod.
        (100, 0.1, False),
        (1_000, 0.1, False),
        # Every request failing, however briefly the rest lasts.
        (0, BURST_OUTAGE_WITHIN_S + 0.5, False),
    ],
)
def test_a_crash_is_expected_to_fail_in_one_short_burst(late, outage, met):
    result = crash(late, outage)
    assert after_burst(result.summary)[0] == late
    assert result.met_expectation is met


def test_the_burst_is_counted_from_the_first_failure():
    late_failed, late_total = after_burst(crash(6).summary)
    # Whole seconds from 5.0 + BURST_WITHIN_S on: a success ending every 10 ms from 8 s to 40 s.
    assert late_total - late_failed == (40 - 8) * 100 + 1
    assert after_burst(crash().summary) == (0, late_total - late_failed)


def test_a_crash_that_failed_nothing_did_not_crash():
    healthy = summarize(
        [Outcome(0.0, 0.01, "2", None)],
        url="u",
        keepalive=False,
        concurrency=8,
        rate=None,
        duration=1.0,
    )
    assert after_burst(healthy) == (0, 0)
    assert not dataclasses.replace(crash(), summary=healthy).met_expectation


def test_late_crash_failures_are_explained_in_one_line():
    burst, trickle, trapped = verdicts([crash()]), verdicts([crash(6)]), verdicts([crash(100)])
    assert burst == [
        f"ok: safe: crash (SIGKILL): expected {Expectation.BURST.value}, got 41"
        " (0 before the action began, 41 from it on), 0 of 3,201 after the burst,"
        " longest outage 0.1 s"
    ]
    assert trickle[0].startswith("ok: ") and trickle[1] == LATE_FAILURES
    assert trapped[0].startswith("UNEXPECTED: ") and trapped[1] == LATE_FAILURES
    assert "100 of 3,301 after the burst" in trapped[0]


def test_verdicts_flag_what_broke_the_promise():
    lines = verdicts(
        [
            result("safe v1 → v2", 3, Expectation.NO_FAILURES),
            result("naive: delete a pod", 9, Expectation.REPORT_ONLY),
            result("naive v1 → v2", 2, Expectation.FAILURES),
        ]
    )
    assert lines == [
        "UNEXPECTED: safe v1 → v2: expected zero failed requests, got 3"
        " (0 before the action began, 3 from it on)",
        "ok: naive v1 → v2: expected some failed requests, got 2"
        " (0 before the action began, 2 from it on)",
    ]


def test_verdicts_tell_noise_before_the_action_from_the_lesson():
    noisy = dataclasses.replace(
        result("safe: rollback", 1, Expectation.NO_FAILURES), failed_before_action=1
    )
    (line,) = verdicts([noisy])
    assert line == (
        "UNEXPECTED: safe: rollback: expected zero failed requests, got 1"
        " (1 before the action began, 0 from it on)"
    )
    assert noisy.as_dict()["failed_before_action"] == 1


@pytest.mark.parametrize(
    ("expectation", "json_value"),
    [
        (Expectation.FAILURES, True),
        (Expectation.BURST, True),
        (Expectation.NO_FAILURES, False),
        (Expectation.STUCK, False),
        (Expectation.REPORT_ONLY, None),
    ],
)
def test_json_form_keeps_the_expectation_and_the_summary(expectation, json_value):
    data = result("r", 1, expectation).as_dict()
    assert data["expect_failures"] is json_value
    assert data["summary"]["failed"] == 1
    assert data["action_window"] == [3.0, 40.0]


def test_json_form_is_what_the_files_carry_with_the_verdict_computed():
    broken = dataclasses.replace(
        result("safe v1 → v2", 2, Expectation.NO_FAILURES), restarts=3, rollout_completed=False
    )
    data = json.loads(json.dumps(broken.as_dict()))
    # Computed from the summary, not stored: the promise of zero was broken by 2 failures.
    assert data["met_expectation"] is False
    assert data["summary"]["failures_by_kind"] == {"refused": 2}
    assert data["rollout_seconds"] == 21.5
    assert (data["restarts"], data["rollout_completed"]) == (3, False)


def test_a_releases_lesson_is_naive_fails_and_safe_loses_nothing():
    assert release_lesson("naive") is Expectation.FAILURES
    assert release_lesson("safe") is Expectation.NO_FAILURES


def test_a_stuck_rollouts_verdict_says_whether_it_completed():
    stuck = dataclasses.replace(
        result("no-startup-probe #1", 0, Expectation.STUCK), rollout_completed=False
    )
    assert verdicts([stuck]) == [
        f"ok: no-startup-probe #1: expected {Expectation.STUCK.value}, got 0,"
        " rollout never completed"
    ]
    completed = dataclasses.replace(stuck, rollout_completed=True)
    assert verdicts([completed])[0].startswith("UNEXPECTED: ")
    assert verdicts([completed])[0].endswith(", completed")

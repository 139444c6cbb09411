"""tools/scenarios/measuring.py without a cluster: the notes of a run and what counts as healthy."""

import dataclasses

from tests.helpers import AppBehaviour, wait_until
from tools.results.result import Expectation, Result, report, verdicts
from tools.scenarios.measuring import Notes, Setup, failed_before, healthy_recently, measure
from tools.traffic.options import TrafficOptions
from tools.traffic.summary import Outcome, summarize
from tools.traffic.watcher import Watcher


def test_notes_are_kept_in_order_and_printed_unless_quiet(capsys):
    loud, quiet = Notes(quiet=False), Notes(quiet=True)
    for notes in (loud, quiet):
        notes.add("make deploy-safe VERSION=2")
        notes.add("make deploy-safe VERSION=2: done")

    assert (
        loud.events
        == quiet.events
        == [
            "make deploy-safe VERSION=2",
            "make deploy-safe VERSION=2: done",
        ]
    )
    assert capsys.readouterr().out == (
        "  → make deploy-safe VERSION=2\n  → make deploy-safe VERSION=2: done\n"
    )


def test_healthy_only_after_every_recent_request_succeeded_on_the_version(fake_app: AppBehaviour):
    watcher = Watcher(TrafficOptions(fake_app.url, concurrency=2, rate=200))
    watcher.start()
    try:
        assert not healthy_recently(watcher, "1")  # not HEALTHY_SECONDS of traffic yet
        wait_until(lambda: healthy_recently(watcher, "1"), "3 healthy seconds on v1")
        assert healthy_recently(watcher, None)
        assert not healthy_recently(watcher, "2")
        fake_app.mode = "500"
        wait_until(lambda: not healthy_recently(watcher, None), "a failure to count")
    finally:
        watcher.stop()


def test_failed_before_the_action_counts_only_failures_over_before_it_began():
    outcomes = [
        Outcome(1.0, 1.2, None, "reset"),  # noise: over before the action at 5.0
        Outcome(2.0, 2.1, "1", None),  # succeeded: not a failure at all
        Outcome(4.0, 5.0, None, "refused"),  # ended as the action began: the action's
        Outcome(4.5, 9.5, None, "timeout"),  # hung across the start: the action's
        Outcome(6.0, 6.1, None, "reset"),  # after: the action's
    ]
    assert failed_before(outcomes, started=5.0) == 1
    assert failed_before(outcomes, started=0.5) == 0


def test_a_recovery_that_never_came_is_in_the_result_and_fails_a_zero(fake_app: AppBehaviour):
    # The app keeps serving v1 while the run waits for v2: no request fails, and yet the run
    # did not end where it should have.
    setup = Setup(TrafficOptions(fake_app.url, rate=50.0), quiet=True)
    result = measure(
        "stuck on v1",
        "safe",
        lambda notes: notes.add("nothing happens"),
        setup,
        expectation=Expectation.NO_FAILURES,
        end_version="2",
        recovery_timeout=0.5,
        settles=False,
    )
    assert result.summary.failed == 0
    assert result.recovered is False
    assert result.as_dict()["recovered"] is False
    assert not result.met_expectation
    assert verdicts([result])[0].startswith("UNEXPECTED: stuck on v1: expected zero failed")
    assert verdicts([result])[0].endswith(", and the traffic never became healthy again")
    assert "traffic not healthy after 0.5 s: stopped waiting" in result.events


def steady(setup: Setup) -> Result:
    """Nothing happens under the setup's traffic, which must end healthy on v1."""
    return measure(
        "steady",
        "safe",
        lambda notes: None,
        setup,
        expectation=Expectation.NO_FAILURES,
        end_version="1",
        settles=False,
    )


def test_a_recovery_that_came_is_in_the_result(fake_app: AppBehaviour):
    result = steady(Setup(TrafficOptions(fake_app.url, rate=50.0), quiet=True))
    assert result.recovered and result.met_expectation


def test_traffic_watched_beside_the_main_watcher_has_its_own_summary(fake_app):
    """One action watched with new connections and with kept-alive ones at once: each watcher
    sends its own traffic all through it, and the results file keeps both."""
    kept_alive = TrafficOptions(fake_app.url, rate=50.0, keepalive=True)
    setup = Setup(
        TrafficOptions(fake_app.url, rate=50.0), also=(kept_alive,), min_requests=200, quiet=True
    )
    result = steady(setup)
    (side,) = result.also
    assert (result.summary.mode, side.mode) == ("fresh", "keepalive")
    # Each ran until it alone had sent min_requests, healthy.
    assert side.requests >= 200 and result.summary.requests >= 200
    assert Result.from_dict(result.as_dict()).also == [side]


def test_a_failure_only_the_watcher_beside_saw_still_fails_a_zero():
    clean = summarize([Outcome(0.0, 0.01, "1", None)] * 10, **MODE)
    failed = summarize([Outcome(0.0, 0.01, "1", None), Outcome(1.0, 1.0, None, "reset")], **MODE)
    result = Result("r", "safe", clean, (0.0, 1.0), 1.0, Expectation.NO_FAILURES)
    assert result.met_expectation
    assert not dataclasses.replace(result, also=[failed]).met_expectation
    assert "r, also watched open loop at 50 req/s, kept-alive connections: 1 of 2 failed" in (
        report([dataclasses.replace(result, also=[failed])])
    )


MODE = {"url": "u", "keepalive": True, "concurrency": 8, "rate": 50.0, "duration": 2.0}

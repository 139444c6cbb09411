"""tools/results/diagnosis.py: pod changes from kubectl's watch lines (a fake kubectl), failure
bursts, and the timeline a failed verdict shows."""

import dataclasses
import itertools
import os

import pytest

from tests.helpers import wait_until
from tools.results import diagnosis
from tools.results.diagnosis import (
    Burst,
    PodEvent,
    PodWatch,
    ReplicaWatch,
    changes,
    failure_bursts,
    timeline,
)
from tools.results.result import Expectation, Result, report, verdicts
from tools.traffic.summary import Outcome, summarize


def lines_of(*lines: str) -> list[list[str]]:
    return [line.split("|") for line in lines]


def test_a_pod_there_before_the_run_is_deleted_stops_being_ready_and_goes():
    state = None
    seen = []
    for fields in lines_of(
        "MODIFIED|pod-a||True|0",  # an update that changes nothing we follow
        "MODIFIED|pod-a|2026-11-30T12:00:00Z|True|0",
        "MODIFIED|pod-a|2026-11-30T12:00:00Z|False|0",
        "DELETED|pod-a|2026-11-30T12:00:00Z|False|0",
    ):
        state, what = changes(state, fields)
        seen += what
    assert seen == ["deleted: terminating (preStop, then SIGTERM)", "not ready", "gone"]


def test_a_new_pod_is_created_becomes_ready_and_restarts():
    state = None
    seen = []
    for fields in lines_of(
        "ADDED|pod-b|||",
        "MODIFIED|pod-b||False|0",
        "MODIFIED|pod-b||True|0",
        "MODIFIED|pod-b||False|1",
    ):
        state, what = changes(state, fields)
        seen += what
    assert seen == ["created", "ready", "not ready", "container restarted (1 restarts)"]


@pytest.fixture
def fake_kubectl(tmp_path, monkeypatch):
    """A kubectl whose watch prints two changes of one pod, then waits to be stopped."""
    calls = tmp_path / "calls"
    script = tmp_path / "kubectl"
    script.write_text(
        f'#!/bin/sh\necho "$@" > {calls}\n'
        "printf 'MODIFIED|pod-a|2026-11-30T12:00:00Z|True|0\\n'\n"
        "printf 'DELETED|pod-a|2026-11-30T12:00:00Z|False|0\\n'\n"
        "exec sleep 30\n"
    )
    script.chmod(0o755)
    monkeypatch.setattr(diagnosis, "KUBECTL", [str(script)])
    return calls


def test_the_watch_times_each_change_by_the_runs_clock(fake_kubectl):
    clock = itertools.count(start=10.0, step=0.5)
    watch = PodWatch(lambda: next(clock))
    watch.start()
    wait_until(lambda: len(watch.events) == 2, "two pod events")
    events = watch.stop()
    assert events == [
        PodEvent(10.0, "pod-a", "deleted: terminating (preStop, then SIGTERM)"),
        PodEvent(10.5, "pod-a", "gone"),
    ]
    argv = fake_kubectl.read_text().split()
    assert argv[:6] == ["get", "pods", "-l", "app=myapp", "--watch-only", "--output-watch-events"]


def test_without_kubectl_a_run_has_no_pod_events(monkeypatch):
    monkeypatch.setattr(diagnosis, "KUBECTL", [os.path.join("/nonexistent", "kubectl")])
    watch = PodWatch(lambda: 0.0)
    watch.start()
    assert watch.stop() == []


def test_the_replica_watch_keeps_the_fewest_available_and_the_most_pods():
    watch = ReplicaWatch()
    # Before any pod is available, kubectl prints nothing for the unset count.
    for line in ["3|3", "3|4", "2|4", "|3", "3|3"]:
        watch.take(line)
    assert watch.stop() == (0, 4)


def test_without_kubectl_the_replica_watch_saw_nothing(monkeypatch):
    monkeypatch.setattr(diagnosis, "KUBECTL", [os.path.join("/nonexistent", "kubectl")])
    watch = ReplicaWatch()
    watch.start()
    assert watch.stop() == (None, None)


def test_failures_closer_than_the_gap_are_one_burst():
    outcomes = [
        Outcome(1.0, 1.1, None, "reset"),
        Outcome(1.3, 1.4, None, "reset"),  # 0.2 s after the last: same burst
        Outcome(1.5, 1.6, "1", None),  # successes do not split a burst
        Outcome(1.8, 2.0, None, "refused"),
        Outcome(9.0, 9.2, None, "reset"),  # 7 s later: a burst of its own
    ]
    assert failure_bursts(outcomes) == [
        Burst(1.0, 2.0, {"reset": 2, "refused": 1}),
        Burst(9.0, 9.2, {"reset": 1}),
    ]


def test_the_timeline_puts_failures_among_pod_events_relative_to_the_action():
    lines = timeline(
        [Burst(14.2, 14.25, {"reset": 1})],
        [PodEvent(13.9, "pod-a", "deleted: terminating"), PodEvent(25.0, "pod-a", "gone")],
        action_s=3.0,
    )
    assert lines == [
        "   13.90 s (action  +10.90 s)  pod pod-a: deleted: terminating",
        "   14.20 s (action  +11.20 s)  failed until 14.25 s: reset 1",
        "   25.00 s (action  +22.00 s)  pod pod-a: gone",
    ]


def one_reset_result() -> Result:
    outcomes = [Outcome(0.0, 0.01, "1", None)] * 100 + [Outcome(14.2, 14.25, None, "reset")]
    summary = summarize(outcomes, url="u", keepalive=False, concurrency=8, rate=None, duration=30.0)
    return Result(
        "safe v1 → v2",
        "safe",
        summary,
        (3.0, 20.0),
        17.0,
        Expectation.NO_FAILURES,
        pod_events=[PodEvent(13.9, "pod-a", "deleted: terminating")],
        failure_bursts=failure_bursts(outcomes),
    )


def test_a_failed_verdict_and_a_report_show_the_failures_against_the_pods():
    result = one_reset_result()
    lines = verdicts([result])
    assert lines[0].startswith("UNEXPECTED: safe v1 → v2: expected zero failed requests, got 1")
    assert lines[1:] == result.diagnosis()
    assert "pod pod-a: deleted: terminating" in lines[1]
    assert "failed until 14.25 s: reset 1" in lines[2]
    assert report([result]).endswith("\n".join(result.diagnosis()))
    # A run that met its expectation says nothing more.
    clean = dataclasses.replace(result, expectation=Expectation.FAILURES)
    assert verdicts([clean]) == [
        "ok: safe v1 → v2: expected some failed requests, got 1"
        " (0 before the action began, 1 from it on)"
    ]
    assert result.as_dict()["failure_bursts"] == [
        {"start_s": 14.2, "end_s": 14.25, "kinds": {"reset": 1}}
    ]

"""The lesson on a real cluster: each protection taken from safe.yaml costs what its row says.

The rollouts here go to a release that warms up for WARM_UP_S instead of myapp:2's 20 s
(except where the warm-up is the lesson): what they show happens when old pods stop, and the
shorter wait keeps CI within its time. `make lesson` measures with the real warm-up.
"""

import dataclasses

import pytest

from tests.e2e.conftest import LIVENESS_PERIOD_S, liveness_every
from tools.results.result import report
from tools.scenarios import labs, lesson, variants
from tools.scenarios.lesson import by_name
from tools.traffic.options import TrafficOptions

IMAGE = "myapp"
WARM_UP_S = 2
# Kept-alive, so every loop keeps sending to the pod its connection is on, through the preStop
# pause, and has a request there when it stops. With 16 loops over 3-4 pods, a stopping pod has
# about 4 of them (none: (3/4)^16 = 1 %; on all three pods of a rollout: 1e-6).
SLOW_LOOPS = 16
# Each request takes 5 s. More loops than a worker has threads (4) can land on one worker, so a
# request may first wait behind others: with 10 s requests a queue two deep outlasted safe's
# 20 s drain (1 of 430 requests over 3 rollouts); 5 s ones need three deep, more than 12 of the
# 16 loops on one of 6-8 workers.
SLOW_S = 5
# Slow, not lost: answered within 4 rounds.
SLOW_TIMEOUT_S = 3 * SLOW_S


# How a request to a pod that stopped listening fails: reset or refused by the pod, or, sent to
# a pod address already gone, answered by the node's filter (docs/lesson.md, "What the tables say").
STOPPED_LISTENING = {"reset", "refused", "http_other"}
# Kubernetes' progress deadline for the stuck rollout: with liveness every LIVENESS_PERIOD_S
# (conftest.py), it kills the 60 s warm-up 6 s in (3 failures x 2 s), and the container restarts
# once its 10 s preStop pause and SIGTERM are through, and again and again: 35 s shows what
# safe.yaml's 120 s does with its 10 s liveness (at 20 s, no restart had come yet).
STUCK_DEADLINE_S = 35
# A rollout here (a 2 s warm-up) runs within half a minute of traffic at 200/s: a zero stands on
# at least this many.
MIN_REQUESTS = 3_000
LAST_POD_GONE_S = 5


def kept_alive_loops(traffic: TrafficOptions) -> TrafficOptions:
    """SLOW_LOOPS kept-alive loops: with /delay/SLOW_S, some in flight on every pod that stops."""
    return dataclasses.replace(
        traffic, keepalive=True, concurrency=SLOW_LOOPS, timeout=SLOW_TIMEOUT_S
    )


def test_safe_loses_nothing_on_short_requests_on_new_connections(cluster, setup):
    """The control of the no-prestop row below (lab 4's start): the same traffic and warm-up
    (2 s), so that what that row loses is what the pause is for, not the setup."""
    control = lesson.rollout(by_name("safe"), 1, IMAGE, setup, warm_up_s=WARM_UP_S)
    message = report([control])
    assert control.summary.requests >= MIN_REQUESTS, message
    assert control.summary.failed == 0, message
    assert control.met_expectation, message
    # maxUnavailable: 0 keeps all 3 replicas available throughout; maxSurge: 1 adds one pod.
    assert (control.fewest_available, control.most_pods) == (3, 4), message


def test_without_pre_stop_requests_on_new_connections_fail_as_lab_4s_check_says(cluster, setup):
    """Lab 4's start is safe.yaml without its preStop pause, the no-prestop row (a test in
    tests/scenarios/test_labs.py holds them to the same Deployment): `make check LAB=4`'s
    rollout, with the control's traffic and warm-up, fails the lab and shows the row's lesson."""
    result = labs.check(4, labs.LABS[4].work, setup)
    message = report([result])
    assert labs.verdict(4, result).startswith("fail: lab 4: "), message
    assert not labs.passed(result), message
    # A few hundred of the rollout's requests (docs/lesson.md has the measured rows).
    summary = result.summary
    assert summary.failed > 0, message
    assert set(summary.failures_by_kind) <= STOPPED_LISTENING, message
    # All of them while old pods stopped: none before the rollout, none after the last old pod
    # was gone (it stops as the rollout completes, and nodes route to it for up to 2 s more:
    # docs/deep-dives.md, "How long kube-proxy takes").
    assert result.failed_before_action == 0, message
    started = result.action_window[0]
    assert started <= summary.first_failure_s, message
    assert summary.last_failure_s <= started + result.rollout_seconds + LAST_POD_GONE_S, message


# Slow requests are not sent beside the short ones of the control above: 16 loops of 5 s
# requests hold most of the pods' 24 threads (3 pods x 2 workers x 4), so short requests queue
# behind them and time out, whatever the Deployment (measured, docs/ci.md).
@pytest.mark.parametrize(
    ("name", "loses_requests"),
    [("safe", False), ("no-graceful", True), ("short-grace", True)],
)
def test_slow_requests_in_flight_when_a_pod_stops(cluster, setup, name, loses_requests):
    loops = dataclasses.replace(setup, traffic=kept_alive_loops(setup.traffic))
    result = lesson.rollout(by_name(name), 1, IMAGE, loops, slow_s=SLOW_S, warm_up_s=WARM_UP_S)
    summary = result.summary
    # safe: the pause, then the drain lets every slow request finish; no-graceful: SIGTERM
    # cuts them off; short-grace: the kubelet SIGKILLs the pod 2 s after its pause, mid-drain.
    assert (summary.failed > 0) == loses_requests, report([result])
    assert summary.ok_by_version.get("2", 0) > 0, report([result])


def test_without_startup_probe_a_long_warm_up_restarts_and_never_rolls_out(cluster, setup):
    variant = by_name("no-startup-probe")
    deadline = variants.replace("/spec/progressDeadlineSeconds", STUCK_DEADLINE_S)
    often = liveness_every(LIVENESS_PERIOD_S)
    variant = dataclasses.replace(
        variant, rolled_to_patch=(*variant.rolled_to_patch, deadline, often)
    )
    result = lesson.rollout(variant, 1, IMAGE, setup)
    message = report([result])
    assert result.rollout_completed is False, message
    assert result.restarts > 0, message
    assert any("progress deadline" in event for event in result.events), result.events
    # Meanwhile the old pods served everything.
    assert result.summary.failed == 0, message
    assert set(result.summary.ok_by_version) == {"1"}, message


def test_without_readiness_a_broken_release_replaces_every_pod(cluster, setup):
    result = lesson.rollout(by_name("no-readiness"), 1, IMAGE, setup)
    message = report([result])
    assert result.rollout_completed, message
    assert result.summary.failures_by_kind.get("http_5xx", 0) > 0, message


def test_max_unavailable_takes_a_pod_away_during_the_rollout(cluster, setup):
    """The control above keeps 3 available; with maxUnavailable: 1 one goes at once. 3
    replicas: Kubernetes' own default (25 %) would round down to 0 unavailable here."""
    result = lesson.rollout(by_name("max-unavailable"), 1, IMAGE, setup, warm_up_s=WARM_UP_S)
    assert result.fewest_available == 2, report([result])

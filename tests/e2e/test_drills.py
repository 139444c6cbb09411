"""Failure drills on a real cluster: what the safe Deployment does when things go wrong.

Their releases warm up for the end-to-end tests' STARTUP_DELAY (2 s, tests/e2e/conftest.py), not
myapp:2's 20 s, and each claim holds at it: the broken release never gets ready at all; a
deleted or crashed pod's failures come from the pod that stops, before its replacement is ready
(readiness keeps a warming pod out); scaling up and draining give naive pods that get traffic
while they warm up (2 s each) beside old pods stopping without a pause, so naive still loses
requests, and safe keeps warming pods out of the Service whatever the warm-up."""

import dataclasses

import pytest

from tools.cluster.commands import settled
from tools.results.result import (
    BURST_OUTAGE_WITHIN_S,
    LATE_FAILED_SHARE,
    after_burst,
    report,
    verdicts,
)
from tools.scenarios import drills

# The crash drill's traffic runs on until this many requests were sent, so that what it says of
# the requests after the burst stands on thousands of them, whatever the restarted app's warm-up.
MIN_REQUESTS = 3_000


def test_broken_release(cluster, setup):
    naive_broken, naive_back = drills.drill_broken("naive", setup)
    assert naive_broken.summary.failures_by_kind.get("http_5xx", 0) > 0
    assert naive_back.summary.ok_by_version.get("1", 0) > 0

    # The broken pod is never ready: 10 s of it show what the drill's 30 s do.
    safe_broken, safe_back = drills.drill_broken("safe", setup, give_up="10s")
    message = report([naive_broken, naive_back, safe_broken, safe_back])
    assert safe_broken.summary.failed == 0, message
    assert set(safe_broken.summary.ok_by_version) == {"1"}
    # The deploy target gave up with one clear line (checked by drill_broken: non-zero exit).
    failure_lines = [e for e in safe_broken.events if "exit " in e]
    assert len(failure_lines) == 1 and "did not complete" in failure_lines[0], safe_broken.events
    assert safe_back.summary.failed == 0, message


# Safe's zero stands on at least this many requests: delete-pod, the shortest drill, sends more.
MIN_DRILL_REQUESTS = 1_500


def test_deleting_a_safe_pod_loses_no_request(cluster, setup):
    # Naive is not run here: on one kind node its loss is a race it wins now and then (a few
    # requests, or none), so its outcome proves nothing either way.
    (result,) = drills.drill_delete_pod("safe", setup)
    message = report([result])
    assert result.summary.requests >= MIN_DRILL_REQUESTS, message
    assert result.summary.failed == 0, message


# Scaling shows what the drill does to a Deployment without protections: naive must lose
# requests, or the drill did not do what it says.
LOSES = [("naive", True), ("safe", False)]


@pytest.mark.parametrize(("variant", "loses"), LOSES)
def test_scaling_down_and_up(cluster, setup, variant, loses):
    (result,) = drills.drill_scale(variant, setup)
    message = report([result])
    assert result.summary.requests >= MIN_DRILL_REQUESTS, message
    assert (result.summary.failed > 0) == loses, message
    assert result.failed_before_action == 0, message
    assert result.summary.ok_by_version.get("2", 0) > 0, message


def test_safe_recovers_from_a_crashed_pod(cluster, setup):
    (result,) = drills.drill_crash("safe", dataclasses.replace(setup, min_requests=MIN_REQUESTS))
    summary = result.summary
    message = "\n".join([report([result]), *verdicts([result])])
    # measure() waited until all replicas were ready again and traffic was healthy.
    assert settled()
    assert summary.requests >= MIN_REQUESTS, message
    # What attendees are told: one burst, the other replicas serving throughout, and after it
    # at most a stray reset from a port kind's port proxy reused.
    assert summary.failed > 0, message
    assert summary.longest_outage_s <= BURST_OUTAGE_WITHIN_S, message
    late_failed, late_total = after_burst(summary)
    assert late_total > 0, message
    assert late_failed <= LATE_FAILED_SHARE * late_total, message
    assert result.met_expectation, message


@pytest.mark.multinode
def test_draining_a_node(cluster, multinode, setup):
    (naive,) = drills.drill_drain("naive", setup)
    (safe,) = drills.drill_drain("safe", setup)
    message = report([naive, safe])
    assert naive.summary.failed > 0, message
    assert safe.summary.failed == 0, message

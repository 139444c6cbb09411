"""Failure drills on a real cluster: what the safe Deployment does when things go wrong."""

import pytest

from tools import drills
from tools.cluster import settled
from tools.results import (
    BURST_OUTAGE_WITHIN_S,
    LATE_FAILED_SHARE,
    after_burst,
    table,
    verdicts,
)

# The crash drill runs about 25 s (the restarted app's warm-up) at 200 requests/s: fewer
# requests than this, and the traffic did not run as asked.
MIN_REQUESTS = 3_000


def test_broken_release(cluster, setup):
    naive_broken, naive_back = drills.drill_broken("naive", setup)
    assert naive_broken.summary.failures_by_kind.get("http_5xx", 0) > 0
    assert naive_back.summary.ok_by_version.get("1", 0) > 0

    safe_broken, safe_back = drills.drill_broken("safe", setup)
    report = table([naive_broken, naive_back, safe_broken, safe_back])
    assert safe_broken.summary.failed == 0, report
    assert set(safe_broken.summary.ok_by_version) == {"1"}
    # The deploy target gave up with one clear line (checked by drill_broken: non-zero exit).
    failure_lines = [e for e in safe_broken.events if "exit " in e]
    assert len(failure_lines) == 1 and "did not complete" in failure_lines[0], safe_broken.events
    assert safe_back.summary.failed == 0, report


def test_deleting_a_safe_pod_loses_no_request(cluster, setup):
    (result,) = drills.drill_delete_pod("safe", setup)
    assert result.summary.failed == 0, table([result])


def test_scaling_safe_down_and_up_loses_no_request(cluster, setup):
    (result,) = drills.drill_scale("safe", setup)
    assert result.summary.failed == 0, table([result])
    assert result.summary.ok_by_version.get("2", 0) > 0


def test_safe_recovers_from_a_crashed_pod(cluster, setup):
    (result,) = drills.drill_crash("safe", setup)
    summary = result.summary
    report = "\n".join([table([result]), *verdicts([result])])
    # measure() waited until all replicas were ready again and traffic was healthy.
    assert settled()
    assert summary.requests >= MIN_REQUESTS, report
    # What attendees are told: one burst, the other replicas serving throughout, and after it
    # at most a stray reset from a port kind's port proxy reused.
    assert summary.failed > 0, report
    assert summary.longest_outage_s <= BURST_OUTAGE_WITHIN_S, report
    late_failed, late_total = after_burst(summary)
    assert late_total > 0, report
    assert late_failed <= LATE_FAILED_SHARE * late_total, report
    assert result.met_expectation, report


@pytest.mark.multinode
def test_draining_a_node(cluster, multinode, setup):
    (naive,) = drills.drill_drain("naive", setup)
    (safe,) = drills.drill_drain("safe", setup)
    report = table([naive, safe])
    assert naive.summary.failed > 0, report
    assert safe.summary.failed == 0, report

"""Failure drills on a real cluster: what the safe Deployment does when things go wrong."""

from tools import scenarios
from tools.cluster import settled
from tools.results import table

# After SIGKILL, the kubelet sees the dead container within about a second (its relist
# period), marks the pod not ready, and the endpoints controller and kube-proxy stop routing
# to it within a second or two more. 10 s leaves room for a busy CI machine while staying
# well under the 20 s warm-up that naive keeps sending traffic into.
CRASH_FAILURES_STOP_WITHIN_S = 10


def test_broken_release(cluster, setup):
    naive_broken, naive_back = scenarios.drill_broken("naive", setup)
    assert naive_broken.summary.failures_by_kind.get("http_5xx", 0) > 0
    assert naive_back.summary.ok_by_version.get("1", 0) > 0

    safe_broken, safe_back = scenarios.drill_broken("safe", setup)
    report = table([naive_broken, naive_back, safe_broken, safe_back])
    assert safe_broken.summary.failed == 0, report
    assert set(safe_broken.summary.ok_by_version) == {"1"}
    # The deploy target gave up with one clear line (checked by drill_broken: non-zero exit).
    failure_lines = [e for e in safe_broken.events if "exit " in e]
    assert len(failure_lines) == 1 and "did not complete" in failure_lines[0], safe_broken.events
    assert safe_back.summary.failed == 0, report


def test_deleting_a_safe_pod_loses_no_request(cluster, setup):
    (result,) = scenarios.drill_delete_pod("safe", setup)
    assert result.summary.failed == 0, table([result])


def test_scaling_safe_down_and_up_loses_no_request(cluster, setup):
    (result,) = scenarios.drill_scale("safe", setup)
    assert result.summary.failed == 0, table([result])
    assert result.summary.ok_by_version.get("2", 0) > 0


def test_safe_recovers_from_a_crashed_pod(cluster, setup):
    (result,) = scenarios.drill_crash("safe", setup)
    summary = result.summary
    # measure() waited until all replicas were ready again and traffic was healthy.
    assert settled()
    if summary.failed:
        killed_at = result.action_window[0]
        assert summary.last_failure_s - killed_at <= CRASH_FAILURES_STOP_WITHIN_S, table([result])

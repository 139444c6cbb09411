"""The workshop's claim, measured: naive drops traffic, safe loses no request."""

import dataclasses
import xml.etree.ElementTree as ET

import pytest

from tools import chart, scenarios
from tools.results import report


def test_naive_rollout_refuses_traffic_while_v2_warms_up(cluster, setup, tmp_path):
    result = scenarios.rollout("naive", "1", "2", setup)
    summary = result.summary
    assert summary.failed > 0, report([result])
    # Refused by the warming-up pods; through Docker's port proxy (kind's NodePort on 127.0.0.1)
    # the proxy accepts first, so the refusal reaches the client as a reset.
    kinds = summary.failures_by_kind
    assert kinds.get("refused", 0) + kinds.get("reset", 0) > 0, report([result])
    # myapp:2 warms up for 20 s and naive sends it traffic all along: requests fail for at least
    # 10 s. Not necessarily all of them at once: once, in CI, a new pod's container restarted and
    # the next one took 17 s to start, so an old pod served on until then (failing for 40 s,
    # every request failing for 1.9 s at most; the run's pod events are in docs/ci.md).
    assert summary.failing_for_s >= 10, report([result])

    # The picture make demo draws, from this real run.
    picture = tmp_path / "naive.svg"
    chart.write_svg(picture, [result], title="naive v1 → v2")
    svg = ET.parse(picture).getroot()
    failed_bars = svg.findall(".//{*}rect[@data-kind='failed']")
    assert sum(int(bar.get("data-count")) for bar in failed_bars) == summary.failed


@pytest.mark.parametrize(
    ("old", "new", "keepalive"),
    [("1", "2", False), ("2", "1", False), ("1", "2", True), ("2", "1", True)],
    ids=["v1-v2-new-connections", "v2-v1-new-connections", "v1-v2-keepalive", "v2-v1-keepalive"],
)
def test_safe_rollout_loses_no_request(cluster, setup, old, new, keepalive):
    traffic = dataclasses.replace(setup.traffic, keepalive=keepalive)
    load = dataclasses.replace(setup, traffic=traffic, min_requests=10_000)
    result = scenarios.rollout("safe", old, new, load)
    summary = result.summary
    assert summary.failed == 0, report([result])
    assert summary.requests >= 10_000
    # The window covers the whole rollout: both versions answered during it.
    assert set(summary.ok_by_version) == {old, new}
    # And kubectl's watch saw the pods change, as a failed verdict would show them.
    changes = {event.what for event in result.pod_events}
    assert {"created", "ready", "gone"} <= changes, result.pod_events

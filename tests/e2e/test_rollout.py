"""The workshop's claim, measured as attendees meet it, with myapp:2's own 20 s warm-up: naive
drops traffic while v2 warms up, and vegeta counts the same outage as the watcher; safe loses no
request, both ways, on new connections and on kept-alive ones watching the same rollout. (Back
from v2 to v1, v2 starts at the other tests' short warm-up: its pods are up before the
rollback begins, and v1 has none.)"""

import dataclasses
import shutil
import xml.etree.ElementTree as ET

import pytest

from tools.results import chart
from tools.results.result import report
from tools.scenarios import crosscheck
from tools.scenarios import runner as scenarios
from tools.traffic import defaults


def real_warm_up(monkeypatch) -> None:
    """myapp:2 as its image has it (20 s), not the shorter STARTUP_DELAY of the other tests."""
    monkeypatch.delenv("STARTUP_DELAY", raising=False)


def test_naive_rollout_refuses_traffic_while_v2_warms_up_as_vegeta_counts_too(
    cluster, monkeypatch, require, tmp_path
):
    real_warm_up(monkeypatch)
    require(
        shutil.which(crosscheck.VEGETA) is not None,
        f"{crosscheck.VEGETA} is not installed: go install {crosscheck.VEGETA_MODULE}",
    )
    # The watcher and vegeta each at half the rate: 100 requests/s, 10 ms apart, still see
    # every second of the outage.
    result, comparison = crosscheck.crosscheck("naive", defaults.URL, defaults.RATE)
    summary = result.summary
    message = "\n".join([report([result]), crosscheck.table(comparison)])
    assert summary.failed > 0, message
    # Refused by the warming-up pods; through Docker's port proxy (kind's NodePort on 127.0.0.1)
    # the proxy accepts first, so the refusal reaches the client as a reset.
    kinds = summary.failures_by_kind
    assert kinds.get("refused", 0) + kinds.get("reset", 0) > 0, message
    # myapp:2 warms up for 20 s and naive sends it traffic all along: requests fail for at least
    # 10 s. Not necessarily all of them at once: a new pod whose container restarts (the host's
    # cgroup v1 freezer, docs/ci.md) lets an old pod serve on beside pods that refuse.
    assert summary.failing_for_s >= 10, message
    # vegeta, an established load generator, counted the same outage.
    assert comparison.disagreements() == [], message

    # The picture make demo draws, from this real run.
    picture = tmp_path / "naive.svg"
    chart.write_svg(picture, [result], title="naive v1 → v2")
    svg = ET.parse(picture).getroot()
    failed_bars = svg.findall(".//{*}rect[@data-kind='failed']")
    assert sum(int(bar.get("data-count")) for bar in failed_bars) == summary.failed


@pytest.mark.parametrize(("old", "new"), [("1", "2"), ("2", "1")], ids=["v1-v2", "v2-v1"])
def test_safe_rollout_loses_no_request_on_new_or_kept_alive_connections(
    cluster, setup, monkeypatch, old, new
):
    if new == "2":
        real_warm_up(monkeypatch)
    # Two watchers through the one rollout, each at half the workshop's 200 requests/s, so the
    # machine carries what it carries under one: a new connection per request, and kept-alive
    # connections, which stay with a stopping pod until it closes them. (Each at 200/s, a
    # container restart under that load stalled every connection for seconds: docs/ci.md.) A
    # watcher that could not keep its rate counts the slots it did not send as failed
    # (`not_sent`), so a starved client cannot pass for a safe server.
    half = dataclasses.replace(setup.traffic, rate=setup.traffic.rate / 2)
    kept_alive = dataclasses.replace(half, keepalive=True)
    load = dataclasses.replace(setup, traffic=half, also=(kept_alive,), min_requests=10_000)
    result = scenarios.rollout("safe", old, new, load)
    message = report([result])
    for summary in result.summaries:
        assert summary.failed == 0, message
        assert summary.requests >= 10_000, message
        # The window covers the whole rollout: both versions answered during it.
        assert set(summary.ok_by_version) == {old, new}, message
    # And kubectl's watch saw the pods change, as a failed verdict would show them.
    changes = {event.what for event in result.pod_events}
    assert {"created", "ready", "gone"} <= changes, result.pod_events

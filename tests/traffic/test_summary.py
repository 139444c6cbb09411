"""tools/traffic/summary.py: what a run amounts to, from hand-made outcomes."""

from __future__ import annotations

import json

import pytest

from tools.traffic.summary import Latency, Outcome, format_summary, longest_outage, summarize


def ok(start: float, end: float, version: str = "1") -> Outcome:
    return Outcome(start, end, version, None)


def failed(start: float, end: float, kind: str = "refused") -> Outcome:
    return Outcome(start, end, None, kind)


def latency_ms(p50: float, p99: float, most: float, slow: int = 0) -> dict:
    return {"p50_ms": p50, "p99_ms": p99, "max_ms": most, "slow": slow}


def test_outcome_is_ok_only_without_failure() -> None:
    assert ok(0.0, 0.1).ok
    assert not failed(0.0, 0.1).ok


def test_longest_outage_is_zero_without_failures() -> None:
    assert longest_outage([]) == 0.0
    assert longest_outage([ok(0.0, 0.5), ok(0.5, 1.0)]) == 0.0


def test_longest_outage_spans_first_start_to_last_end_of_a_run() -> None:
    outcomes = [
        failed(1.0, 1.25),
        failed(1.25, 1.5, "reset"),
        ok(1.5, 1.75),
        failed(2.0, 2.5),
        failed(2.5, 3.5, "timeout"),
        failed(3.5, 4.0),
        ok(4.0, 4.25),
    ]
    assert longest_outage(outcomes) == 2.0


def test_longest_outage_orders_by_end_time() -> None:
    # Given out of order. By end time the success at 2.5 splits the failures, and the first
    # outage runs from the start of (1.0, 1.5), the first failure by end time, to 2.0.
    outcomes = [failed(2.75, 3.0), ok(2.0, 2.5), failed(1.0, 1.5), failed(0.5, 2.0)]
    assert longest_outage(outcomes) == 1.0


def test_longest_outage_of_a_single_failure_is_its_duration() -> None:
    assert longest_outage([ok(0.0, 0.5), failed(0.5, 2.5), ok(2.5, 3.0)]) == 2.0


def test_summarize_counts_a_rollout_exactly() -> None:
    outcomes = [
        ok(0.0, 0.25, "1"),
        ok(0.25, 0.5, "1"),
        ok(0.5, 1.25, "1"),
        failed(1.25, 1.5, "refused"),
        failed(1.5, 2.25, "reset"),
        ok(2.25, 2.5, "2"),
        ok(2.5, 2.75, "1"),
        failed(2.75, 3.0, "http_5xx"),
        ok(3.0, 3.25, "2"),
        ok(3.25, 3.5, "?"),
    ]
    summary = summarize(
        outcomes, url="http://x/", keepalive=False, concurrency=3, rate=None, duration=3.756
    )

    assert summary.as_dict() == {
        "url": "http://x/",
        "mode": "fresh",
        "concurrency": 3,
        "rate_per_s": None,
        "duration_s": 3.76,
        "requests": 10,
        "ok": 7,
        "failed": 3,
        "ok_by_version": {"1": 4, "2": 2, "?": 1},
        "failures_by_kind": {"refused": 1, "reset": 1, "http_5xx": 1},
        "longest_outage_s": 1.0,
        "latency": latency_ms(250.0, 750.0, 750.0),
        # No slots (a closed loop): from the send.
        "latency_from_schedule": latency_ms(250.0, 750.0, 750.0),
        "first_failure_s": 1.25,
        "last_failure_s": 3.0,
        "versions": {
            "1": {"first_seen_s": 0.25, "last_seen_s": 2.75},
            "2": {"first_seen_s": 2.5, "last_seen_s": 3.25},
            "?": {"first_seen_s": 3.5, "last_seen_s": 3.5},
        },
        # Waiting: sent by the end of that second and answered (or failed) in a later one.
        "timeline": [
            {
                "second": 0,
                "ok": {"1": 2},
                "failed": {},
                "latency": latency_ms(250.0, 250.0, 250.0),
                "waiting": 1,
            },
            {
                "second": 1,
                "ok": {"1": 1},
                "failed": {"refused": 1},
                "latency": latency_ms(750.0, 750.0, 750.0),
                "waiting": 1,
            },
            {
                "second": 2,
                "ok": {"1": 1, "2": 1},
                "failed": {"reset": 1},
                "latency": latency_ms(250.0, 250.0, 250.0),
                "waiting": 1,
            },
            {
                "second": 3,
                "ok": {"2": 1, "?": 1},
                "failed": {"http_5xx": 1},
                "latency": latency_ms(250.0, 250.0, 250.0),
                "waiting": 0,
            },
        ],
    }
    assert json.loads(json.dumps(summary.as_dict())) == summary.as_dict()
    assert summary.failing_for_s == 1.75
    assert [second.total for second in summary.timeline] == [2, 2, 3, 3]


def test_summarize_without_requests() -> None:
    summary = summarize([], url="http://x/", keepalive=True, concurrency=1, rate=None, duration=0.4)

    assert summary.mode == "keepalive"
    assert summary.requests == summary.ok == summary.failed == 0
    assert summary.first_failure_s is None
    assert summary.last_failure_s is None
    assert summary.failing_for_s == 0.0
    assert summary.longest_outage_s == 0.0
    assert summary.versions == {}
    assert summary.as_dict()["timeline"] == [
        {"second": 0, "ok": {}, "failed": {}, "latency": latency_ms(0.0, 0.0, 0.0), "waiting": 0}
    ]
    assert summary.latency == Latency(0.0, 0.0, 0.0, 0)


def test_summarize_orders_versions_numerically() -> None:
    outcomes = [ok(0.0, 0.5, "10"), ok(0.0, 0.5, "9")]
    summary = summarize(outcomes, url="u", keepalive=False, concurrency=1, rate=None, duration=1)
    assert list(summary.ok_by_version) == ["9", "10"]


def test_latency_is_of_the_successful_requests_by_nearest_rank() -> None:
    # 100 successes of 1..100 ms, one of 1.5 s, and a timeout that does not count.
    outcomes = [ok(0.0, n / 1000) for n in range(1, 101)] + [ok(0.0, 1.5), failed(0.0, 5.0)]
    latency = Latency.of(outcomes)
    assert (latency.p50_ms, latency.p99_ms, latency.max_ms) == (51.0, 100.0, 1500.0)
    assert latency.slow == 1


@pytest.mark.parametrize(
    ("outcome", "waiting"),
    [
        (ok(0.2, 0.9), [0, 0, 0, 0]),
        (ok(0.2, 3.5), [1, 1, 1, 0]),  # a stall: waiting through seconds 0 to 2
        (failed(1.5, 3.0, "timeout"), [0, 1, 1, 0]),
    ],
)
def test_waiting_counts_requests_unanswered_at_the_end_of_each_second(outcome, waiting) -> None:
    summary = summarize([outcome], url="u", keepalive=False, concurrency=1, rate=None, duration=3.9)
    assert [second.waiting for second in summary.timeline] == waiting


def test_human_summary_mentions_every_figure() -> None:
    outcomes = [ok(0.0, 0.5, "1"), failed(0.5, 1.0, "reset"), ok(1.0, 1.5, "2")]
    text = format_summary(
        summarize(
            outcomes, url="http://x/", keepalive=False, concurrency=2, rate=None, duration=2.0
        )
    )
    for expected in [
        "requests         3",
        "v1 1, v2 1",
        "reset 1",
        "longest outage   0.50s",
        "failures from    0.50s to 1.00s",
        "latency          p50 500 ms, p99 500 ms, max 500 ms, 0 slower than 1s",
    ]:
        assert expected in text

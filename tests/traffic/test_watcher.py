"""tools/traffic/watcher.py against real HTTP servers and sockets on 127.0.0.1."""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Iterator

import pytest

from tests.helpers import AppBehaviour, wait_until
from tools.traffic.options import TrafficError, TrafficOptions
from tools.traffic.summary import NOT_SENT, UNFINISHED, Outcome, Summary
from tools.traffic.watcher import Watcher


def watcher(url: str, **options) -> Watcher:
    # As fast as the loops go unless a test paces them.
    return Watcher(TrafficOptions(url, **{"rate": None, **options}))


def wait_for_outcomes(running: Watcher, count: int) -> None:
    wait_until(lambda: len(running.outcomes()) >= count, f"{count} outcomes")


@contextlib.contextmanager
def running(started: Watcher) -> Iterator[Watcher]:
    started.start()
    try:
        yield started
    finally:
        started.stop()


def watch_briefly(url: str, count: int = 30, **options) -> Summary:
    with running(watcher(url, **options)) as w:
        wait_for_outcomes(w, count)
        return w.stop()


# --------------------------------------------------------------------------- real traffic


def test_fresh_mode_counts_versions_with_one_connection_per_request(fake_app: AppBehaviour) -> None:
    summary = watch_briefly(fake_app.url, count=40, concurrency=4)

    assert summary.mode == "fresh"
    assert summary.failed == 0
    assert summary.failures_by_kind == {}
    assert summary.ok_by_version == {"1": summary.requests}
    assert fake_app.connections == summary.requests


def test_fresh_mode_hangs_up_first_instead_of_asking_the_server_to(
    fake_app: AppBehaviour,
) -> None:
    # The fake app keeps every connection open until the client closes it, unless the request
    # says "Connection: close"; so each connection must end with the client's hang-up.
    summary = watch_briefly(fake_app.url, count=40, concurrency=4)

    assert summary.failed == 0
    wait_until(
        lambda: fake_app.hung_up_by_client == fake_app.connections == summary.requests,
        f"the client to hang up each of {summary.requests} connections"
        f" (hung up: {fake_app.hung_up_by_client}, connections: {fake_app.connections})",
    )


def test_keepalive_mode_reuses_one_connection_per_loop(fake_app: AppBehaviour) -> None:
    summary = watch_briefly(fake_app.url, count=40, concurrency=2, keepalive=True)

    assert summary.mode == "keepalive"
    assert summary.failed == 0
    assert summary.ok_by_version == {"1": summary.requests}
    assert 1 <= fake_app.connections <= 2


def test_keepalive_reconnects_when_server_says_connection_close(fake_app: AppBehaviour) -> None:
    fake_app.mode = "ok-close"
    summary = watch_briefly(fake_app.url, count=40, concurrency=2, keepalive=True)

    assert summary.failed == 0
    assert fake_app.connections == summary.requests


@pytest.mark.parametrize("keepalive", [False, True])
def test_version_change_is_seen_without_failures(fake_app: AppBehaviour, keepalive: bool) -> None:
    with running(watcher(fake_app.url, concurrency=2, keepalive=keepalive)) as w:
        wait_for_outcomes(w, 20)
        fake_app.version = "2"
        wait_until(lambda: any(o.version == "2" for o in w.outcomes()), "version 2")
        summary = w.stop()

    assert summary.failed == 0
    assert set(summary.ok_by_version) == {"1", "2"}
    assert set(summary.versions) == {"1", "2"}


def test_refused_connections_are_counted(refused_url: str) -> None:
    summary = watch_briefly(refused_url, count=20, concurrency=2)

    assert summary.ok == 0
    assert summary.failures_by_kind == {"refused": summary.requests}
    assert summary.first_failure_s is not None


@pytest.mark.parametrize("keepalive", [False, True])
@pytest.mark.parametrize(
    ("mode", "kind"), [("500", "http_5xx"), ("404", "http_other"), ("close", "reset")]
)
def test_failures_are_counted_by_kind(
    fake_app: AppBehaviour, mode: str, kind: str, keepalive: bool
) -> None:
    fake_app.mode = mode
    summary = watch_briefly(fake_app.url, count=20, concurrency=2, keepalive=keepalive)

    assert summary.ok == 0
    assert summary.failures_by_kind == {kind: summary.requests}


def test_unanswered_requests_are_timeouts(silent_url: str) -> None:
    summary = watch_briefly(silent_url, count=3, concurrency=2, timeout=0.2)

    assert summary.ok == 0
    assert summary.failures_by_kind == {"timeout": summary.requests}


def test_stop_ends_every_request_loop(silent_url: str) -> None:
    w = watcher(silent_url, concurrency=3, timeout=0.2)
    with running(w):
        wait_for_outcomes(w, 1)
    wait_until(
        lambda: not any(t.name.startswith("watch-worker") for t in threading.enumerate()),
        "request loops to end",
    )
    assert all(o.failure == "timeout" for o in w.outcomes())


def test_a_request_still_running_when_the_watcher_stops_is_counted_not_dropped(
    trickling_url: str,
) -> None:
    w = watcher(trickling_url, concurrency=2, timeout=0.3)
    w.start()
    wait_until(lambda: w.waiting(sent_before=float("inf")) == 2, "both loops to send")
    summary = w.stop()
    # Each read got a byte in time, so no socket timeout ended them: after stop_wait_s() they
    # are counted as what they are, not left out of the summary.
    assert (summary.requests, summary.failed) == (2, 2)
    assert summary.failures_by_kind == {UNFINISHED: 2}
    assert len(w.outcomes()) == 2


def test_stop_waits_for_a_request_that_needs_two_socket_timeouts() -> None:
    assert watcher("http://127.0.0.1:9/", timeout=2.0).stop_wait_s() > 2 * 2.0


def test_rate_paces_request_starts(fake_app: AppBehaviour) -> None:
    rate = 100.0
    with running(watcher(fake_app.url, concurrency=4, rate=rate)) as w:
        wait_for_outcomes(w, 15)
    outcomes = w.outcomes()

    # The k-th request (0-based) cannot start before k / rate: the open loop schedules one
    # slot every 1/rate seconds. Only a lower bound, so a slow machine cannot break it.
    starts = sorted(o.start for o in outcomes)
    assert all(start >= k / rate - 1e-6 for k, start in enumerate(starts))
    assert all(o.ok and o.scheduled is not None and o.start >= o.scheduled for o in outcomes)


def most_at_once(outcomes: list[Outcome]) -> int:
    """The most requests in flight at the same moment."""
    changes = sorted([(o.start, 1) for o in outcomes] + [(o.end, -1) for o in outcomes])
    return max(itertools.accumulate(change for _, change in changes), default=0)


def test_open_loop_sends_on_schedule_while_earlier_requests_wait(fake_app: AppBehaviour) -> None:
    # 0.2 s answers, a slot every 0.02 s: about 10 in flight on one kept connection's worth of
    # loops. A closed loop would wait for each answer and never have more than one.
    fake_app.delay_s = 0.2
    with running(watcher(fake_app.url, concurrency=1, rate=50.0)) as w:
        wait_until(lambda: w.waiting(sent_before=float("inf")) >= 5, "5 requests in flight")
        summary = w.stop()
    assert summary.failed == 0
    assert most_at_once(w.outcomes()) >= 5


def test_closed_loop_waits_for_each_answer(fake_app: AppBehaviour) -> None:
    fake_app.delay_s = 0.05
    with running(watcher(fake_app.url, concurrency=2)) as w:
        wait_for_outcomes(w, 10)
    assert most_at_once(w.outcomes()) <= 2


def test_every_slot_is_sent_or_counted_not_sent_while_the_server_hangs(
    fake_app: AppBehaviour,
) -> None:
    # The case: a server that answers after 3 s, 100 requests/s asked for. The cap on
    # requests in flight (50 here) is reached after half a second; each slot due after that
    # is a failure of its own kind, not a request that silently never happened.
    fake_app.delay_s = 3.0
    rate, cap = 100.0, 50
    w = watcher(fake_app.url, concurrency=2, rate=rate, max_in_flight=cap, timeout=5.0)
    with running(w):
        wait_until(lambda: w.elapsed() >= 1.0, "one second of slots")
        summary = w.stop()
    # Every slot due until stop() was asked, the one at 0 s included, and none after it.
    assert rate * 1.0 + 1 <= summary.requests <= rate * summary.duration_s + 1
    assert summary.ok == cap  # answered after 3 s: stop() waited for them
    assert summary.failures_by_kind == {NOT_SENT: summary.requests - cap}
    assert summary.ok + summary.failed == summary.requests == len(w.outcomes())
    # Latency from the slot includes the wait to be sent; from the send, only the answer.
    assert summary.latency_from_schedule.max_ms >= summary.latency.max_ms >= 3000


def test_keepalive_open_loop_keeps_its_connections(fake_app: AppBehaviour) -> None:
    # 3 s of slots: a stall of this process (CI compiles beside the tests) opens one connection
    # per slot that finds every one busy, and 0.3 s of them once opened 16 for 61 requests.
    with running(watcher(fake_app.url, concurrency=2, rate=200.0, keepalive=True)) as w:
        wait_for_outcomes(w, 600)
        summary = w.stop()
    assert summary.failed == 0
    # The kept connections carry the traffic; a slot that finds every one busy adds one more
    # to the pool, kept from then on.
    assert fake_app.connections < summary.requests / 4


def test_outcomes_since_returns_only_the_newer_ones(fake_app: AppBehaviour) -> None:
    with running(watcher(fake_app.url, concurrency=1)) as w:
        wait_for_outcomes(w, 5)
    everything = w.outcomes()
    assert w.outcomes_since(2) == everything[2:]
    assert w.outcomes_since(len(everything)) == []


def test_check_reachable_accepts_any_http_answer(fake_app: AppBehaviour) -> None:
    watcher(fake_app.url).check_reachable()
    fake_app.mode = "500"
    watcher(fake_app.url).check_reachable()


def test_check_reachable_reports_refused(refused_url: str) -> None:
    with pytest.raises(TrafficError, match=r"connection refused$"):
        watcher(refused_url).check_reachable()


def test_check_reachable_reports_timeout(silent_url: str) -> None:
    with pytest.raises(TrafficError, match="timed out"):
        watcher(silent_url, timeout=0.2).check_reachable()


def test_waiting_counts_requests_sent_and_not_answered_yet(silent_url: str) -> None:
    w = watcher(silent_url, concurrency=2, timeout=5)
    with running(w):
        wait_until(lambda: w.waiting(sent_before=60) == 2, "both loops to wait for an answer")
        assert w.waiting(sent_before=0) == 0  # nothing was sent before the watcher started
        assert w.outcomes() == []

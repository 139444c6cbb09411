"""Tests for tools/watch.py against real HTTP servers and sockets on 127.0.0.1."""

from __future__ import annotations

import contextlib
import http.client
import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tools.watch import (
    FAILURE_KINDS,
    LiveReport,
    Outcome,
    Watcher,
    WatchError,
    classify,
    format_summary,
    longest_outage,
    summarize,
    timeline_char,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
WATCH_SCRIPT = "tools/watch.py"
SUMMARY_KEYS = {
    "url",
    "mode",
    "concurrency",
    "duration_s",
    "requests",
    "ok",
    "failed",
    "ok_by_version",
    "failures_by_kind",
    "longest_outage_s",
    "first_failure_s",
    "last_failure_s",
    "versions",
    "timeline",
}


# --------------------------------------------------------------------------- test servers


@dataclass
class AppBehaviour:
    """What the fake app answers; tests change it while the server runs."""

    url: str = ""
    mode: str = "ok"  # ok | ok-close | 404 | 500 | close
    version: str = "1"
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count_connection(self) -> None:
        with self.lock:
            self.connections += 1


class AppHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # so keepalive clients really keep their connection
    timeout = 5  # an idle connection cannot hold up teardown for long

    def handle(self) -> None:
        self.server.behaviour.count_connection()
        super().handle()

    def do_GET(self) -> None:
        behaviour = self.server.behaviour
        if behaviour.mode == "close":
            self.close_connection = True
            return
        status = {"404": 404, "500": 500}.get(behaviour.mode, 200)
        body = b"hello\n"
        self.send_response(status)
        self.send_header("X-App-Version", behaviour.version)
        self.send_header("X-Served-By", "test-pod")
        self.send_header("Content-Length", str(len(body)))
        if behaviour.mode == "ok-close":
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class AppServer(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True  # server_close() waits for handler threads: nothing left behind
    request_queue_size = 64  # fast fresh-connection loops must not overflow the backlog

    def handle_error(self, request, client_address) -> None:
        pass  # clients hanging up mid-request is what these tests provoke


@pytest.fixture
def fake_app() -> Iterator[AppBehaviour]:
    """A real HTTP server on 127.0.0.1 (named so as not to shadow conftest's Flask `app`)."""
    server = AppServer(("127.0.0.1", 0), AppHandler)
    behaviour = AppBehaviour(url=f"http://127.0.0.1:{server.server_address[1]}/")
    server.behaviour = behaviour
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield behaviour
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def refused_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture
def silent_url() -> Iterator[str]:
    """Listens but never accepts or answers, so every request times out."""
    with socket.create_server(("127.0.0.1", 0), backlog=1) as sock:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/"


# --------------------------------------------------------------------------- helpers


def wait_until(condition, what: str, limit_s: float = 15.0) -> None:
    deadline = time.monotonic() + limit_s
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.01)


def wait_for_outcomes(watcher: Watcher, count: int) -> None:
    wait_until(lambda: len(watcher.outcomes()) >= count, f"{count} outcomes")


@contextlib.contextmanager
def running(watcher: Watcher) -> Iterator[Watcher]:
    watcher.start()
    try:
        yield watcher
    finally:
        watcher.stop()


def watch_briefly(url: str, count: int = 30, **options) -> dict:
    with running(Watcher(url, **options)) as watcher:
        wait_for_outcomes(watcher, count)
        return watcher.stop()


def run_cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, WATCH_SCRIPT, *args],
        cwd=REPO_ROOT,
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def ok(start: float, end: float, version: str = "1") -> Outcome:
    return Outcome(start, end, version, None)


def failed(start: float, end: float, kind: str = "refused") -> Outcome:
    return Outcome(start, end, None, kind)


# --------------------------------------------------------------------------- pure functions


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (ConnectionRefusedError(), "refused"),
        (ConnectionResetError(), "reset"),
        (BrokenPipeError(), "reset"),
        (ConnectionAbortedError(), "reset"),
        (http.client.RemoteDisconnected("closed"), "reset"),
        (http.client.IncompleteRead(b"partial", 10), "reset"),
        (http.client.BadStatusLine("garbage"), "reset"),
        (socket.timeout("timed out"), "timeout"),  # noqa: UP041 - the alias is what we test
        (TimeoutError(), "timeout"),
        (OSError("no route"), "error"),
        (socket.gaierror("unknown host"), "error"),
        (http.client.LineTooLong("header line"), "error"),
        (ValueError("odd"), "error"),
    ],
)
def test_classify_maps_exceptions_to_failure_kinds(exc: BaseException, kind: str) -> None:
    assert classify(exc) == kind
    assert kind in FAILURE_KINDS


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
    summary = summarize(outcomes, url="http://x/", keepalive=False, concurrency=3, duration=3.756)

    assert summary == {
        "url": "http://x/",
        "mode": "fresh",
        "concurrency": 3,
        "duration_s": 3.76,
        "requests": 10,
        "ok": 7,
        "failed": 3,
        "ok_by_version": {"1": 4, "2": 2, "?": 1},
        "failures_by_kind": {"refused": 1, "reset": 1, "http_5xx": 1},
        "longest_outage_s": 1.0,
        "first_failure_s": 1.25,
        "last_failure_s": 3.0,
        "versions": {
            "1": {"first_seen_s": 0.25, "last_seen_s": 2.75},
            "2": {"first_seen_s": 2.5, "last_seen_s": 3.25},
            "?": {"first_seen_s": 3.5, "last_seen_s": 3.5},
        },
        "timeline": [
            {"second": 0, "ok": {"1": 2}, "failed": {}},
            {"second": 1, "ok": {"1": 1}, "failed": {"refused": 1}},
            {"second": 2, "ok": {"1": 1, "2": 1}, "failed": {"reset": 1}},
            {"second": 3, "ok": {"2": 1, "?": 1}, "failed": {"http_5xx": 1}},
        ],
    }
    assert json.loads(json.dumps(summary)) == summary


def test_summarize_without_requests() -> None:
    summary = summarize([], url="http://x/", keepalive=True, concurrency=1, duration=0.4)

    assert summary["mode"] == "keepalive"
    assert summary["requests"] == summary["ok"] == summary["failed"] == 0
    assert summary["first_failure_s"] is None
    assert summary["last_failure_s"] is None
    assert summary["longest_outage_s"] == 0.0
    assert summary["versions"] == {}
    assert summary["timeline"] == [{"second": 0, "ok": {}, "failed": {}}]


def test_summarize_orders_versions_numerically() -> None:
    outcomes = [ok(0.0, 0.5, "10"), ok(0.0, 0.5, "9")]
    summary = summarize(outcomes, url="u", keepalive=False, concurrency=1, duration=1)
    assert list(summary["ok_by_version"]) == ["9", "10"]


@pytest.mark.parametrize(
    ("ok_counts", "failed_counts", "char"),
    [
        ({"1": 5}, {}, "1"),
        ({"2": 5}, {}, "2"),
        ({"1": 3, "2": 2}, {}, "m"),
        ({"1": 3}, {"reset": 1}, "x"),
        ({}, {"refused": 4}, "X"),
        ({}, {}, "."),
    ],
)
def test_timeline_char(ok_counts: dict, failed_counts: dict, char: str) -> None:
    assert timeline_char(ok_counts, failed_counts) == char


class FixedOutcomes:
    """Stands in for a Watcher when only its recorded outcomes matter."""

    def __init__(self, outcomes: list[Outcome]) -> None:
        self._outcomes = outcomes

    def _outcomes_since(self, index: int) -> list[Outcome]:
        return self._outcomes[index:]


def test_live_lines_show_each_second_and_the_timeline(capsys) -> None:
    outcomes = [ok(0.0, 0.5, "1"), ok(0.5, 1.5, "2"), failed(1.5, 1.75, "refused")]
    live = LiveReport(sys.stdout, colour=False)

    live.emit_until(FixedOutcomes(outcomes), 3)

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert lines[0].split(" | ") == ["    0s", "ok v1    1  v2    0", "failed   0".ljust(44), "1"]
    assert lines[1].split(" | ")[1:] == [
        "ok v1    0  v2    1",
        "failed refused 1".ljust(44),
        "1x",
    ]
    assert lines[2].endswith(" | 1x.")


def test_human_summary_mentions_every_figure() -> None:
    outcomes = [ok(0.0, 0.5, "1"), failed(0.5, 1.0, "reset"), ok(1.0, 1.5, "2")]
    text = format_summary(
        summarize(outcomes, url="http://x/", keepalive=False, concurrency=2, duration=2.0)
    )
    for expected in ["requests         3", "v1 1, v2 1", "reset 1", "longest outage   0.50s"]:
        assert expected in text


# --------------------------------------------------------------------------- URL validation


@pytest.mark.parametrize(
    "url",
    ["ftp://x", "not a url", "https://127.0.0.1/", "http://", "http://h:99999/", "http://h:0/"],
)
def test_watcher_rejects_unusable_urls(url: str) -> None:
    with pytest.raises(WatchError) as raised:
        Watcher(url)
    assert "\n" not in str(raised.value)


def test_watcher_accepts_url_without_port_or_path() -> None:
    watcher = Watcher("http://example.invalid")  # constructing does not connect
    assert (watcher.target.host, watcher.target.port, watcher.target.path) == (
        "example.invalid",
        80,
        "/",
    )


@pytest.mark.parametrize(
    "options", [{"concurrency": 0}, {"rate": 0}, {"rate": -1.0}, {"timeout": 0}]
)
def test_watcher_rejects_bad_options(options: dict) -> None:
    with pytest.raises(WatchError):
        Watcher("http://127.0.0.1:8080/", **options)


# --------------------------------------------------------------------------- real traffic


def test_fresh_mode_counts_versions_with_one_connection_per_request(fake_app: AppBehaviour) -> None:
    summary = watch_briefly(fake_app.url, count=40, concurrency=4)

    assert summary["mode"] == "fresh"
    assert summary["failed"] == 0
    assert summary["failures_by_kind"] == {}
    assert summary["ok_by_version"] == {"1": summary["requests"]}
    assert fake_app.connections == summary["requests"]


def test_keepalive_mode_reuses_one_connection_per_loop(fake_app: AppBehaviour) -> None:
    summary = watch_briefly(fake_app.url, count=40, concurrency=2, keepalive=True)

    assert summary["mode"] == "keepalive"
    assert summary["failed"] == 0
    assert summary["ok_by_version"] == {"1": summary["requests"]}
    assert 1 <= fake_app.connections <= 2


def test_keepalive_reconnects_when_server_says_connection_close(fake_app: AppBehaviour) -> None:
    fake_app.mode = "ok-close"
    summary = watch_briefly(fake_app.url, count=40, concurrency=2, keepalive=True)

    assert summary["failed"] == 0
    assert fake_app.connections == summary["requests"]


@pytest.mark.parametrize("keepalive", [False, True])
def test_version_change_is_seen_without_failures(fake_app: AppBehaviour, keepalive: bool) -> None:
    with running(Watcher(fake_app.url, concurrency=2, keepalive=keepalive)) as watcher:
        wait_for_outcomes(watcher, 20)
        fake_app.version = "2"
        wait_until(lambda: any(o.version == "2" for o in watcher.outcomes()), "version 2")
        summary = watcher.stop()

    assert summary["failed"] == 0
    assert set(summary["ok_by_version"]) == {"1", "2"}
    assert set(summary["versions"]) == {"1", "2"}


def test_refused_connections_are_counted(refused_url: str) -> None:
    summary = watch_briefly(refused_url, count=20, concurrency=2)

    assert summary["ok"] == 0
    assert summary["failures_by_kind"] == {"refused": summary["requests"]}
    assert summary["first_failure_s"] is not None


@pytest.mark.parametrize("keepalive", [False, True])
@pytest.mark.parametrize(
    ("mode", "kind"), [("500", "http_5xx"), ("404", "http_other"), ("close", "reset")]
)
def test_failures_are_counted_by_kind(
    fake_app: AppBehaviour, mode: str, kind: str, keepalive: bool
) -> None:
    fake_app.mode = mode
    summary = watch_briefly(fake_app.url, count=20, concurrency=2, keepalive=keepalive)

    assert summary["ok"] == 0
    assert summary["failures_by_kind"] == {kind: summary["requests"]}


def test_unanswered_requests_are_timeouts(silent_url: str) -> None:
    summary = watch_briefly(silent_url, count=3, concurrency=2, timeout=0.2)

    assert summary["ok"] == 0
    assert summary["failures_by_kind"] == {"timeout": summary["requests"]}


def test_stop_ends_every_request_loop(silent_url: str) -> None:
    watcher = Watcher(silent_url, concurrency=3, timeout=0.2)
    with running(watcher):
        wait_for_outcomes(watcher, 1)
    wait_until(
        lambda: not any(t.name.startswith("watch-worker") for t in threading.enumerate()),
        "request loops to end",
    )
    assert all(o.failure == "timeout" for o in watcher.outcomes())


def test_rate_paces_request_starts(fake_app: AppBehaviour) -> None:
    rate = 100.0
    with running(Watcher(fake_app.url, concurrency=4, rate=rate)) as watcher:
        wait_for_outcomes(watcher, 15)
    outcomes = watcher.outcomes()

    # The k-th request (0-based) cannot start before k / rate: pacing hands out one slot
    # every 1/rate seconds. Only a lower bound, so a slow machine cannot break it.
    starts = sorted(o.start for o in outcomes)
    assert all(start >= k / rate - 1e-6 for k, start in enumerate(starts))
    assert all(o.ok for o in outcomes)


def test_check_reachable_accepts_any_http_answer(fake_app: AppBehaviour) -> None:
    Watcher(fake_app.url).check_reachable()
    fake_app.mode = "500"
    Watcher(fake_app.url).check_reachable()


def test_check_reachable_reports_refused(refused_url: str) -> None:
    with pytest.raises(WatchError, match=r"connection refused$"):
        Watcher(refused_url).check_reachable()


def test_check_reachable_reports_timeout(silent_url: str) -> None:
    with pytest.raises(WatchError, match="timed out"):
        Watcher(silent_url, timeout=0.2).check_reachable()


# --------------------------------------------------------------------------- CLI


def assert_one_error_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("watch:")
    return lines[0]


def test_cli_json_summary(fake_app: AppBehaviour) -> None:
    result = run_cli(fake_app.url, "--duration", "1", "--json", "--concurrency", "2")

    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert set(summary) == SUMMARY_KEYS
    assert summary["requests"] > 0
    assert summary["failed"] == 0
    assert set(summary["ok_by_version"]) == {"1"}
    assert "watching" in result.stderr  # live output goes to stderr with --json
    assert "Traceback" not in result.stderr


def test_cli_human_summary(fake_app: AppBehaviour) -> None:
    result = run_cli(fake_app.url, "--duration", "1", "--concurrency", "2", "--keepalive")

    assert result.returncode == 0, result.stderr
    assert "\x1b[" not in result.stdout  # no colour when not a terminal
    assert "summary for" in result.stdout
    assert "requests" in result.stdout
    assert " 0s | ok v1" in result.stdout
    assert result.stderr == ""


def test_cli_max_failures_exceeded_exits_1(fake_app: AppBehaviour) -> None:
    fake_app.mode = "500"
    result = run_cli(
        fake_app.url, "--duration", "1", "--json", "--concurrency", "2", "--max-failures", "0"
    )

    assert result.returncode == 1, result.stderr
    summary = json.loads(result.stdout)
    assert summary["failed"] > 0
    assert set(summary["failures_by_kind"]) == {"http_5xx"}


def test_cli_max_failures_not_exceeded_exits_0(fake_app: AppBehaviour) -> None:
    result = run_cli(fake_app.url, "--duration", "0.5", "--json", "--max-failures", "0")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("url", ["ftp://x", "not a url"])
def test_cli_invalid_url_is_one_line_error(url: str) -> None:
    result = run_cli(url)
    assert_one_error_line(result)
    assert result.stdout == ""


def test_cli_refused_url_is_one_line_error(refused_url: str) -> None:
    result = run_cli(refused_url)
    line = assert_one_error_line(result)
    assert line.endswith("connection refused")
    assert result.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ["--concurrency", "0"],
        ["--concurrency", "many"],
        ["--rate", "0"],
        ["--duration", "-1"],
        ["--timeout", "0"],
    ],
)
def test_cli_bad_argument_values_are_one_line_errors(args: list[str]) -> None:
    assert_one_error_line(run_cli("http://127.0.0.1:9/", *args))


def test_cli_ctrl_c_prints_summary_without_traceback(fake_app: AppBehaviour) -> None:
    command = [sys.executable, WATCH_SCRIPT, fake_app.url, "--concurrency", "2", "--timeout", "0.5"]
    with subprocess.Popen(
        command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        try:
            # The legend is printed once Ctrl-C is handled, so the signal cannot come too early.
            assert proc.stdout.readline().startswith("watching")
            proc.send_signal(signal.SIGINT)
            stdout, stderr = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()

    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert "summary for" in stdout

"""Watch an HTTP endpoint during a rollout and count every failed request.

Hammers URL from several threads (like a few parallel ``curl`` loops), prints one line per
second while it runs and a summary at the end, so a rollout can be judged by numbers:
how many requests failed, how (refused, reset, timeout, 5xx, ...), for how long, and when
each app version started and stopped answering.

Usage:
    python3 tools/watch.py http://127.0.0.1:8080/
    python3 tools/watch.py http://127.0.0.1:8080/ --keepalive --concurrency 4 --rate 200
    python3 tools/watch.py http://127.0.0.1:8080/ --duration 60 --json --max-failures 0

Options:
    --concurrency N   parallel request loops (default 8)
    --keepalive       reuse one connection per loop instead of a new one per request
    --rate R          total requests per second across all loops (default: as fast as possible)
    --duration S      stop after S seconds (default: run until Ctrl-C)
    --timeout S       per-request socket timeout in seconds (default 2)
    --json            print the summary as JSON on stdout (live lines go to stderr)
    --max-failures N  exit 1 when more than N requests failed
    --no-check        skip the initial reachability check

Live lines, one per second of the watch (requests counted in the second they ended in):
       12s | ok v1  412  v2    0 | failed   0                                   | 111111mm22xx
       13s | ok v1    0  v2  371 | failed refused 37  reset 2                  | 111111mm22xx2
The last column is one character per second of the run so far: the version when every
request of that second succeeded on one version, ``m`` for mixed versions, ``x`` when some
failed, ``X`` when all failed, ``.`` when no request finished.

Exit status: 0, or 1 when --max-failures is exceeded, or 2 on bad usage / unreachable URL.
Importable as ``tools.watch`` (standard library only).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import signal
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TextIO
from urllib.parse import urlsplit

FAILURE_KINDS = ("refused", "reset", "timeout", "http_5xx", "http_other", "error")

USER_AGENT = "myapp-watch"
VERSION_HEADER = "X-App-Version"
TIMELINE_WIDTH = 60
# A request that ends just before a second boundary is recorded a moment later; waiting a
# little before printing that second keeps it out of the next second's line.
LIVE_GRACE_S = 0.05
FAILED_COLUMN_WIDTH = 44

Summary = dict[str, Any]


class WatchError(Exception):
    """A problem meant for the user; the message is a single line."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """One request. Times are seconds since the watcher started."""

    start: float
    end: float
    version: str | None
    failure: str | None

    @property
    def ok(self) -> bool:
        return self.failure is None


# --------------------------------------------------------------------------- classification


_RESET_ERRORS = (
    ConnectionResetError,
    BrokenPipeError,
    ConnectionAbortedError,
    http.client.RemoteDisconnected,
    http.client.IncompleteRead,
    http.client.BadStatusLine,
)


def classify(exc: BaseException) -> str:
    """Map a request exception to one of FAILURE_KINDS (status codes are handled by callers)."""
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, _RESET_ERRORS):
        return "reset"
    if isinstance(exc, TimeoutError):  # socket.timeout is an alias of TimeoutError
        return "timeout"
    return "error"


def classify_status(status: int) -> str | None:
    if 200 <= status < 300:
        return None
    return "http_5xx" if status >= 500 else "http_other"


# --------------------------------------------------------------------------- analysis


def longest_outage(outcomes: Iterable[Outcome]) -> float:
    """Longest run of consecutive failures (ordered by end time), from first start to last end."""
    longest = 0.0
    run_start: float | None = None
    for outcome in sorted(outcomes, key=lambda o: o.end):
        if outcome.ok:
            run_start = None
            continue
        if run_start is None:
            run_start = outcome.start
        longest = max(longest, outcome.end - run_start)
    return longest


def version_sort_key(version: str) -> tuple[int, int, str]:
    """Numeric versions in numeric order (2 before 10), anything else after, alphabetically."""
    if version.isdigit():
        return (0, int(version), "")
    return (1, 0, version)


def ordered_kinds(kinds: Iterable[str]) -> list[str]:
    known = [kind for kind in FAILURE_KINDS if kind in kinds]
    return known + sorted(set(kinds) - set(FAILURE_KINDS))


def ok_counts(outcomes: Iterable[Outcome]) -> dict[str, int]:
    counts = Counter(o.version or "?" for o in outcomes if o.ok)
    return {v: counts[v] for v in sorted(counts, key=version_sort_key)}


def failure_counts(outcomes: Iterable[Outcome]) -> dict[str, int]:
    counts = Counter(o.failure for o in outcomes if not o.ok)
    return {kind: counts[kind] for kind in ordered_kinds(counts)}


def version_sightings(outcomes: Iterable[Outcome]) -> dict[str, dict[str, float]]:
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    for outcome in outcomes:
        if not outcome.ok:
            continue
        version = outcome.version or "?"
        first[version] = min(first.get(version, outcome.end), outcome.end)
        last[version] = max(last.get(version, outcome.end), outcome.end)
    return {
        v: {"first_seen_s": round(first[v], 2), "last_seen_s": round(last[v], 2)}
        for v in sorted(first, key=version_sort_key)
    }


def timeline(outcomes: Iterable[Outcome], duration: float) -> list[dict[str, Any]]:
    """One entry per whole second 0..int(duration), bucketed by each outcome's end time."""
    last_second = max(int(duration), 0)
    buckets: list[list[Outcome]] = [[] for _ in range(last_second + 1)]
    for outcome in outcomes:
        # Clamped so the timeline always adds up to the request count.
        second = min(max(int(outcome.end), 0), last_second)
        buckets[second].append(outcome)
    return [
        {"second": i, "ok": ok_counts(bucket), "failed": failure_counts(bucket)}
        for i, bucket in enumerate(buckets)
    ]


def summarize(
    outcomes: Iterable[Outcome], *, url: str, keepalive: bool, concurrency: int, duration: float
) -> Summary:
    """JSON-serialisable summary of a watch run."""
    outcomes = list(outcomes)
    failures = [o for o in outcomes if not o.ok]
    return {
        "url": url,
        "mode": "keepalive" if keepalive else "fresh",
        "concurrency": concurrency,
        "duration_s": round(duration, 2),
        "requests": len(outcomes),
        "ok": len(outcomes) - len(failures),
        "failed": len(failures),
        "ok_by_version": ok_counts(outcomes),
        "failures_by_kind": failure_counts(failures),
        "longest_outage_s": round(longest_outage(outcomes), 2),
        "first_failure_s": round(min(o.start for o in failures), 2) if failures else None,
        "last_failure_s": round(max(o.end for o in failures), 2) if failures else None,
        "versions": version_sightings(outcomes),
        "timeline": timeline(outcomes, duration),
    }


# --------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    path: str


def parse_url(url: str) -> Target:
    """Validate URL (http only, host required, port defaults to 80) or raise WatchError."""
    usage = f"invalid URL {url!r}: expected http://HOST[:PORT][/PATH]"
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise WatchError(f"{usage} ({exc})") from None
    if parts.scheme != "http" or not parts.hostname:
        raise WatchError(usage)
    if port == 0:
        raise WatchError(f"{usage} (port 0)")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(parts.hostname, port or 80, path)


@dataclass(frozen=True)
class Response:
    version: str | None
    failure: str | None
    reusable: bool


def send_request(conn: http.client.HTTPConnection, path: str, headers: dict[str, str]) -> Response:
    """One GET on conn, never retried: any problem becomes a failure kind."""
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        try:
            response.read()
        finally:
            response.close()
    except Exception as exc:  # every failure must be counted, whatever raised it
        return Response(version=None, failure=classify(exc), reusable=False)
    failure = classify_status(response.status)
    if failure:
        return Response(version=None, failure=failure, reusable=False)
    version = (response.getheader(VERSION_HEADER) or "").strip() or "?"
    return Response(version=version, failure=None, reusable=not response.will_close)


def describe_unreachable(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, socket.gaierror):
        return "unknown host"
    kind = classify(exc)
    if kind == "refused":
        return "connection refused"
    if kind == "timeout":
        return f"timed out after {timeout:g}s"
    if kind == "reset":
        return "connection closed without a response"
    return " ".join(str(exc).split()) or type(exc).__name__


class Watcher:
    """Runs `concurrency` request loops against url and records an Outcome per request."""

    def __init__(
        self,
        url: str,
        *,
        concurrency: int = 8,
        keepalive: bool = False,
        rate: float | None = None,
        timeout: float = 2.0,
    ) -> None:
        self.target = parse_url(url)
        if concurrency < 1:
            raise WatchError("concurrency must be at least 1")
        if rate is not None and rate <= 0:
            raise WatchError("rate must be greater than 0")
        if timeout <= 0:
            raise WatchError("timeout must be greater than 0")
        self.url = url
        self.concurrency = concurrency
        self.keepalive = keepalive
        self.rate = rate
        self.timeout = timeout
        self._headers = {"User-Agent": USER_AGENT}
        if not keepalive:
            # Lets the server close first, so the TIME_WAIT sockets of a fast loop pile up on
            # the server side instead of exhausting the watcher's local ports.
            self._headers["Connection"] = "close"
        self._outcomes: list[Outcome] = []
        self._outcomes_lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._started_at: float | None = None
        self._stopped_at: float | None = None
        self._pace_lock = threading.Lock()
        self._next_slot = 0.0

    # -- lifecycle

    def start(self) -> None:
        if self._started_at is not None:
            raise RuntimeError("watcher already started")
        self._started_at = time.monotonic()
        self._next_slot = self._started_at
        for index in range(self.concurrency):
            thread = threading.Thread(
                target=self._request_loop, name=f"watch-worker-{index}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def stop(self) -> Summary:
        self._stopping.set()
        # Each request is bounded by the socket timeout, so this is enough for an in-flight
        # request to finish and be recorded; a stuck thread is a daemon and cannot block exit.
        deadline = time.monotonic() + self.timeout + 0.5
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if self._stopped_at is None and self._started_at is not None:
            self._stopped_at = time.monotonic()
        return summarize(
            self.outcomes(),
            url=self.url,
            keepalive=self.keepalive,
            concurrency=self.concurrency,
            duration=self.elapsed(),
        )

    def elapsed(self) -> float:
        if self._started_at is None:
            return 0.0
        now = self._stopped_at if self._stopped_at is not None else time.monotonic()
        return now - self._started_at

    def outcomes(self) -> list[Outcome]:
        with self._outcomes_lock:
            return list(self._outcomes)

    def _outcomes_since(self, index: int) -> list[Outcome]:
        with self._outcomes_lock:
            return self._outcomes[index:]

    def check_reachable(self) -> None:
        """Any HTTP answer (even a 5xx) counts as reachable; no answer raises WatchError."""
        conn = self._new_connection()
        try:
            conn.request("GET", self.target.path, headers={"User-Agent": USER_AGENT})
            conn.getresponse().close()
        except Exception as exc:  # reported to the user as one line
            reason = describe_unreachable(exc, self.timeout)
            raise WatchError(f"cannot reach {self.url}: {reason}") from None
        finally:
            conn.close()

    # -- request loops

    def _new_connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.target.host, self.target.port, timeout=self.timeout)

    def _request_loop(self) -> None:
        conn: http.client.HTTPConnection | None = None
        try:
            while self._wait_for_turn():
                if conn is None:
                    conn = self._new_connection()
                response = self._timed_request(conn)
                if not (self.keepalive and response.reusable):
                    conn.close()
                    conn = None
        finally:
            if conn is not None:
                conn.close()

    def _timed_request(self, conn: http.client.HTTPConnection) -> Response:
        start = self.elapsed()
        response = send_request(conn, self.target.path, self._headers)
        outcome = Outcome(start, self.elapsed(), response.version, response.failure)
        with self._outcomes_lock:
            self._outcomes.append(outcome)
        return response

    def _wait_for_turn(self) -> bool:
        """Paces the loops to `rate` in total; returns False once the watcher is stopping."""
        if self.rate is None:
            return not self._stopping.is_set()
        with self._pace_lock:
            now = time.monotonic()
            # No catch-up bursts: a slot in the past is moved to now.
            slot = max(now, self._next_slot)
            self._next_slot = slot + 1.0 / self.rate
        return not self._stopping.wait(slot - now)


# --------------------------------------------------------------------------- live output

GREEN = "\033[32m"
RED = "\033[31m"
RESET = "\033[0m"


def use_colour(stream: TextIO) -> bool:
    return stream.isatty() and not os.environ.get("NO_COLOR")


def paint(text: str, colour: str, enabled: bool) -> str:
    return f"{colour}{text}{RESET}" if enabled else text


def version_label(version: str) -> str:
    return f"v{version}" if version[:1].isdigit() or version == "?" else version


def timeline_char(ok: Mapping[str, int], failed: Mapping[str, int]) -> str:
    if failed:
        return "x" if ok else "X"
    if not ok:
        return "."
    if len(ok) > 1:
        return "m"
    return next(iter(ok))[:1] or "?"


def paint_timeline_char(char: str, enabled: bool) -> str:
    if char in "xX":
        return paint(char, RED, enabled)
    if char == ".":
        return char
    return paint(char, GREEN, enabled)


class LiveReport:
    """Turns outcomes into one line per finished second."""

    def __init__(self, stream: TextIO, colour: bool) -> None:
        self.stream = stream
        self.colour = colour
        self.next_second = 0
        self._seen = 0
        self._ok: dict[int, Counter[str]] = {}
        self._failed: dict[int, Counter[str]] = {}
        self._versions: set[str] = set()
        self._chars: list[str] = []

    def legend(self, watcher: Watcher) -> str:
        mode = "keepalive connections" if watcher.keepalive else "a new connection per request"
        rate = f"{watcher.rate:g} req/s" if watcher.rate else "unlimited rate"
        return (
            f"watching {watcher.url} with {watcher.concurrency} loops, {mode}, {rate}"
            " | per second: ok by version | failed by kind | timeline:"
            " 1 = all ok on v1, m = mixed versions, x = some failed, X = all failed, . = idle"
        )

    def collect(self, watcher: Watcher) -> None:
        new = watcher._outcomes_since(self._seen)
        self._seen += len(new)
        for outcome in new:
            second = int(outcome.end)
            if outcome.ok:
                version = outcome.version or "?"
                self._versions.add(version)
                self._ok.setdefault(second, Counter())[version] += 1
            else:
                self._failed.setdefault(second, Counter())[outcome.failure or "error"] += 1

    def emit_until(self, watcher: Watcher, end_second: int) -> None:
        """Prints the line of every second before end_second not printed yet."""
        self.collect(watcher)
        while self.next_second < end_second:
            print(self.line(self.next_second), file=self.stream, flush=True)
            self.next_second += 1

    def line(self, second: int) -> str:
        ok = self._ok.pop(second, Counter())
        failed = self._failed.pop(second, Counter())
        self._chars.append(timeline_char(ok, failed))
        return " | ".join(
            [f"{second:>5}s", self._ok_column(ok), self._failed_column(failed), self._timeline()]
        )

    def _ok_column(self, ok: Counter[str]) -> str:
        versions = sorted(self._versions, key=version_sort_key)
        if not versions:
            return "ok    0"
        parts = []
        for version in versions:
            part = f"{version_label(version)} {ok[version]:>4}"
            parts.append(paint(part, GREEN, self.colour and ok[version] > 0))
        return "ok " + "  ".join(parts)

    def _failed_column(self, failed: Counter[str]) -> str:
        if failed:
            text = "failed " + "  ".join(f"{k} {failed[k]}" for k in ordered_kinds(failed))
        else:
            text = "failed   0"
        padded = text.ljust(FAILED_COLUMN_WIDTH)
        return paint(padded, RED, self.colour and bool(failed))

    def _timeline(self) -> str:
        recent = self._chars[-TIMELINE_WIDTH:]
        return "".join(paint_timeline_char(c, self.colour) for c in recent)


# --------------------------------------------------------------------------- summary text


def format_counts(counts: Mapping[str, int], label=lambda key: key) -> str:
    return ", ".join(f"{label(key)} {n}" for key, n in counts.items())


def format_seconds(value: float) -> str:
    return f"{value:.2f}s"


def format_summary(summary: Summary) -> str:
    lines = [
        (
            f"summary for {summary['url']} ({summary['mode']} connections, "
            f"{summary['concurrency']} loops, {summary['duration_s']:.2f}s)"
        ),
        f"  requests         {summary['requests']}",
        f"  ok               {summary['ok']}"
        + (
            f"  ({format_counts(summary['ok_by_version'], version_label)})" if summary["ok"] else ""
        ),
        f"  failed           {summary['failed']}"
        + (f"  ({format_counts(summary['failures_by_kind'])})" if summary["failed"] else ""),
        f"  longest outage   {format_seconds(summary['longest_outage_s'])}",
    ]
    if summary["failed"]:
        lines.append(
            f"  failures from    {format_seconds(summary['first_failure_s'])}"
            f" to {format_seconds(summary['last_failure_s'])}"
        )
    for version, seen in summary["versions"].items():
        lines.append(
            f"  {version_label(version):<16} seen from {format_seconds(seen['first_seen_s'])}"
            f" to {format_seconds(seen['last_seen_s'])}"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- CLI


class OneLineArgumentParser(argparse.ArgumentParser):
    """Usage errors as a single `PROGRAM: ...` line (e.g. `watch: ...`) instead of usage text."""

    def error(self, message: str) -> None:  # type: ignore[override]
        program = os.path.splitext(os.path.basename(self.prog.split()[0]))[0]
        self.exit(2, f"{program}: {message}\n")


def number_type(convert, check, requirement: str):
    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not check(value):
            raise argparse.ArgumentTypeError(f"must be {requirement}, got {text}")
        return value

    return parse


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = OneLineArgumentParser(
        prog="watch", description="Count failed requests against URL during a rollout."
    )
    parser.add_argument("url", help="http://HOST[:PORT][/PATH] to hammer")
    parser.add_argument(
        "--concurrency",
        type=number_type(int, lambda v: v >= 1, "at least 1"),
        default=8,
        help="parallel request loops (default 8)",
    )
    parser.add_argument(
        "--keepalive", action="store_true", help="reuse connections instead of one per request"
    )
    parser.add_argument(
        "--rate",
        type=number_type(float, lambda v: v > 0, "greater than 0"),
        help="total requests per second (default: as fast as possible)",
    )
    parser.add_argument(
        "--duration",
        type=number_type(float, lambda v: v >= 0, "0 or more"),
        help="seconds to run (default: until Ctrl-C)",
    )
    parser.add_argument(
        "--timeout",
        type=number_type(float, lambda v: v > 0, "greater than 0"),
        default=2.0,
        help="per-request timeout in seconds (default 2)",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument(
        "--max-failures",
        type=number_type(int, lambda v: v >= 0, "0 or more"),
        help="exit 1 when more requests than this failed",
    )
    parser.add_argument("--no-check", action="store_true", help="skip the reachability check")
    return parser.parse_args(argv)


@contextlib.contextmanager
def stop_on_signals(stop_requested: threading.Event) -> Iterator[None]:
    """Ctrl-C and SIGTERM end the run normally (with a summary) instead of a traceback."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signals = [signal.SIGINT, signal.SIGTERM]
    previous = {sig: signal.getsignal(sig) for sig in signals}
    for sig in signals:
        signal.signal(sig, lambda signum, frame: stop_requested.set())
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_watch(watcher: Watcher, live: LiveReport, duration: float | None) -> Summary:
    stop_requested = threading.Event()
    with stop_on_signals(stop_requested):
        # Printed only now so that, once the legend is visible, Ctrl-C already ends the run
        # with a summary.
        print(live.legend(watcher), file=live.stream, flush=True)
        watcher.start()
        try:
            while not stop_requested.is_set():
                elapsed = watcher.elapsed()
                if duration is not None and elapsed >= duration:
                    break
                wake_at = live.next_second + 1 + LIVE_GRACE_S
                if duration is not None:
                    wake_at = min(wake_at, duration)
                stop_requested.wait(max(0.0, wake_at - elapsed))
                live.emit_until(watcher, int(watcher.elapsed() - LIVE_GRACE_S))
        finally:
            summary = watcher.stop()
    live.emit_until(watcher, len(summary["timeline"]))
    return summary


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        watcher = Watcher(
            args.url,
            concurrency=args.concurrency,
            keepalive=args.keepalive,
            rate=args.rate,
            timeout=args.timeout,
        )
        if not args.no_check:
            watcher.check_reachable()
    except WatchError as exc:
        print(f"watch: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130

    live_stream = sys.stderr if args.json else sys.stdout
    live = LiveReport(live_stream, colour=use_colour(live_stream))
    try:
        summary = run_watch(watcher, live, args.duration)
    except KeyboardInterrupt:  # only in the instant before the signal handlers are in place
        return 130

    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(format_summary(summary))
    if args.max_failures is not None and summary["failed"] > args.max_failures:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The load generator: request loops against one URL (like a few parallel ``curl`` loops), each
request recorded as an Outcome, every failure sorted into a kind and never retried."""

from __future__ import annotations

import dataclasses
import http.client
import math
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from tools import defaults
from tools.summary import UNFINISHED, Outcome, Summary, summarize

HEADERS = {"User-Agent": "myapp-watch"}
VERSION_HEADER = "X-App-Version"
# One thread per loop: far more than a laptop can run, and far more than a rollout needs.
MAX_CONCURRENCY = 1000
# A request unanswered for 5 minutes has failed, whatever it was waiting for.
MAX_TIMEOUT_S = 300.0
# stop() waits two socket timeouts and this much more for the requests in flight.
STOP_MARGIN_S = 1.0


class TrafficError(Exception):
    """A problem meant for the user; the message is a single line."""


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    path: str


def parse_url(url: str) -> Target:
    """Validate URL (http only, host required, port defaults to 80) or raise TrafficError."""
    usage = f"invalid URL {url!r}: expected http://HOST[:PORT][/PATH]"
    if any(char.isspace() or not char.isprintable() for char in url):
        raise TrafficError(f"{usage} (no spaces or control characters)")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise TrafficError(f"{usage} ({exc})") from None
    if parts.scheme != "http" or not parts.hostname:
        raise TrafficError(usage)
    if port == 0:
        raise TrafficError(f"{usage} (port 0)")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(parts.hostname, port or 80, path)


@dataclass(frozen=True)
class TrafficOptions:
    """What traffic to send; checked when made, so a bad value is one line, not a traceback."""

    url: str = defaults.URL
    concurrency: int = defaults.CONCURRENCY
    keepalive: bool = False
    rate: float | None = defaults.RATE  # requests/s across all loops; None: as fast as possible
    timeout: float = defaults.TIMEOUT_S

    def __post_init__(self) -> None:
        parse_url(self.url)
        if not 1 <= self.concurrency <= MAX_CONCURRENCY:
            raise TrafficError(f"concurrency must be from 1 to {MAX_CONCURRENCY}")
        if self.rate is not None and not 0 < self.rate < math.inf:
            raise TrafficError("rate must be greater than 0 and finite")
        if not 0 < self.timeout <= MAX_TIMEOUT_S:
            raise TrafficError(f"timeout must be greater than 0 and at most {MAX_TIMEOUT_S:g}")

    @property
    def target(self) -> Target:
        return parse_url(self.url)

    def asking_delay(self, seconds: float) -> TrafficOptions:
        """The same traffic, every request asking the app's /delay/<seconds> on the same server,
        with that much more time before it counts as failed."""
        target = self.target
        host = f"[{target.host}]" if ":" in target.host else target.host
        return dataclasses.replace(
            self,
            url=f"http://{host}:{target.port}/delay/{seconds:g}",
            timeout=self.timeout + seconds,
        )


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
    """Runs the options' request loops against their URL and records an Outcome per request."""

    def __init__(self, options: TrafficOptions) -> None:
        self.options = options
        self.target = options.target
        self._outcomes: list[Outcome] = []
        self._outcomes_lock = threading.Lock()
        # When each loop's request now in flight was sent, by thread.
        self._sent_at: dict[int, float] = {}
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._started_at: float | None = None
        self._stopped_at: float | None = None
        self._pace_lock = threading.Lock()
        self._next_slot = 0.0
        # Set by stop(): the summary is made, so a request ending later is not recorded.
        self._closed = False

    # -- lifecycle

    def start(self) -> None:
        if self._started_at is not None:
            raise RuntimeError("watcher already started")
        self._started_at = time.monotonic()
        self._next_slot = self._started_at
        for index in range(self.options.concurrency):
            thread = threading.Thread(
                target=self._request_loop, name=f"watch-worker-{index}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def stop(self) -> Summary:
        """Stops sending and waits for the requests in flight, up to stop_wait_s(); one still
        running then is counted as failed, of kind `unfinished`, never left out."""
        self._stopping.set()
        deadline = time.monotonic() + self.stop_wait_s()
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._outcomes_lock:
            if self._stopped_at is None and self._started_at is not None:
                self._stopped_at = time.monotonic()
            end = self.elapsed()
            # Still running: recorded now, and their loops (daemon threads) record nothing more.
            for sent in self._sent_at.values():
                self._outcomes.append(Outcome(sent, end, None, UNFINISHED))
            self._sent_at.clear()
            self._closed = True
        return summarize(
            self.outcomes(),
            url=self.options.url,
            keepalive=self.options.keepalive,
            concurrency=self.options.concurrency,
            duration=self.elapsed(),
        )

    def stop_wait_s(self) -> float:
        """How long stop() waits for requests in flight: the socket timeout bounds the connect
        and each read on its own, so a request can take two of them and then some; a server
        that trickles its answer keeps it going longer, and that one is counted unfinished."""
        return 2 * self.options.timeout + STOP_MARGIN_S

    def elapsed(self) -> float:
        if self._started_at is None:
            return 0.0
        now = self._stopped_at if self._stopped_at is not None else time.monotonic()
        return now - self._started_at

    def outcomes(self) -> list[Outcome]:
        return self.outcomes_since(0)

    def outcomes_since(self, index: int) -> list[Outcome]:
        """The outcomes recorded after the first `index` ones, in the order they ended."""
        with self._outcomes_lock:
            return self._outcomes[index:]

    def waiting(self, sent_before: float) -> int:
        """Requests sent before that moment and not answered (nor failed) yet."""
        with self._outcomes_lock:
            return sum(1 for sent in self._sent_at.values() if sent < sent_before)

    def check_reachable(self) -> None:
        """Any HTTP answer (even a 5xx) counts as reachable; no answer raises TrafficError."""
        conn = self._new_connection()
        try:
            conn.request("GET", self.target.path, headers=HEADERS)
            conn.getresponse().close()
        except Exception as exc:  # reported to the user as one line
            reason = describe_unreachable(exc, self.options.timeout)
            raise TrafficError(f"cannot reach {self.options.url}: {reason}") from None
        finally:
            conn.close()

    # -- request loops

    def _new_connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(
            self.target.host, self.target.port, timeout=self.options.timeout
        )

    def _request_loop(self) -> None:
        conn: http.client.HTTPConnection | None = None
        try:
            while self._wait_for_turn():
                if conn is None:
                    conn = self._new_connection()
                response = self._timed_request(conn)
                if not (self.options.keepalive and response.reusable):
                    # The watcher hangs up first, as curl does, never asking the server to
                    # ("Connection: close"): so the TIME_WAIT stays on this side, not in a pod,
                    # where it can drop the next SYN from the same NATed address for a second.
                    # On loopback Linux reuses it early; kind's port proxy cannot, which caps
                    # new connections there near 470/s (docs/deep-dives.md: "Who closes first").
                    conn.close()
                    conn = None
        finally:
            if conn is not None:
                conn.close()

    def _timed_request(self, conn: http.client.HTTPConnection) -> Response:
        loop = threading.get_ident()
        start = self.elapsed()
        with self._outcomes_lock:
            self._sent_at[loop] = start
        response = send_request(conn, self.target.path, HEADERS)
        outcome = Outcome(start, self.elapsed(), response.version, response.failure)
        with self._outcomes_lock:
            if not self._closed:
                self._outcomes.append(outcome)
                del self._sent_at[loop]
        return response

    def _wait_for_turn(self) -> bool:
        """Paces the loops to the rate in total; returns False once the watcher is stopping."""
        rate = self.options.rate
        if rate is None:
            return not self._stopping.is_set()
        with self._pace_lock:
            now = time.monotonic()
            # No catch-up bursts: a slot in the past is moved to now.
            slot = max(now, self._next_slot)
            self._next_slot = slot + 1.0 / rate
        return not self._stopping.wait(slot - now)

"""The load generator: requests to one URL, each recorded as an Outcome, every failure sorted
into a kind and never retried.

Open loop by default, as wrk2, vegeta and k6's constant-arrival-rate are: requests are scheduled
by the clock at the rate, whether or not earlier ones were answered, so a stall cannot slow the
traffic down and hide itself ("coordinated omission"). A slot due while max_in_flight requests
are in flight is not sent and counts as failed, of kind `not_sent`. With no rate, `concurrency`
loops send back to back instead (closed loop): the slow-request lesson and the overload drill.
"""

from __future__ import annotations

import http.client
import itertools
import queue
import threading
import time
from collections.abc import Callable

from tools.traffic.options import TrafficError, TrafficOptions
from tools.traffic.request import HEADERS, describe_unreachable, send_request
from tools.traffic.summary import NOT_SENT, UNFINISHED, Outcome, Summary, summarize

# stop() waits two socket timeouts and this much more for the requests in flight.
STOP_MARGIN_S = 1.0
# A slot handed to a connection: (request id, when it was due).
Slot = tuple[int, float]


class Watcher:
    """Sends the options' traffic to their URL and records an Outcome per request."""

    def __init__(self, options: TrafficOptions) -> None:
        self.options = options
        self.target = options.target
        self._lock = threading.Condition()
        self._outcomes: list[Outcome] = []
        # The requests in flight: when each was due, by request id.
        self._in_flight: dict[int, float] = {}
        self._ids = itertools.count()
        # Open loop: every connection's inbox, and those not busy, longest idle first (so the
        # traffic spreads over every kept-alive connection).
        self._inboxes: list[queue.SimpleQueue[Slot | None]] = []
        self._idle: list[queue.SimpleQueue[Slot | None]] = []
        self._stopping = threading.Event()
        # When stop() was asked: every slot due until then is sent or counted, none after.
        self._stop_asked_at = float("inf")
        self._scheduler: threading.Thread | None = None
        self._started_at: float | None = None
        self._stopped_at: float | None = None
        # Set by stop(): the summary is made, so a request ending later is not recorded.
        self._closed = False

    # -- lifecycle

    def start(self) -> None:
        if self._started_at is not None:
            raise RuntimeError("watcher already started")
        self._started_at = time.monotonic()
        open_loop = self.options.rate is not None
        for index in range(self.options.concurrency):
            if open_loop:
                self._idle.append(self._add_connection())
            else:
                self._spawn(f"watch-worker-{index}", self._closed_loop)
        if open_loop:
            self._scheduler = self._spawn("watch-schedule", self._schedule)

    def stop(self) -> Summary:
        """Stops sending and waits for the requests in flight, up to stop_wait_s(); one still
        running then is counted as failed, of kind `unfinished`, never left out."""
        self._stop_asked_at = self.elapsed()
        self._stopping.set()
        if self._scheduler is not None:
            self._scheduler.join()
        deadline = time.monotonic() + self.stop_wait_s()
        with self._lock:
            while self._in_flight and (left := deadline - time.monotonic()) > 0:
                self._lock.wait(left)
            if self._stopped_at is None and self._started_at is not None:
                self._stopped_at = time.monotonic()
            end = self.elapsed()
            # Still running: recorded now, and their threads (daemons) record nothing more.
            for due in self._in_flight.values():
                self._outcomes.append(Outcome(due, end, None, UNFINISHED, due))
            self._in_flight.clear()
            self._closed = True
        for inbox in self._inboxes:
            inbox.put(None)
        return summarize(
            self.outcomes(),
            url=self.options.url,
            keepalive=self.options.keepalive,
            concurrency=self.options.concurrency,
            rate=self.options.rate,
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
        with self._lock:
            return self._outcomes[index:]

    def waiting(self, sent_before: float) -> int:
        """Requests due before that moment and not answered (nor failed) yet."""
        with self._lock:
            return sum(1 for due in self._in_flight.values() if due < sent_before)

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

    # -- open loop

    def _schedule(self) -> None:
        """Hands out slot k at k / rate seconds, late ones at once (so a slow scheduler shows
        as latency from schedule), and every one due before stop() was asked."""
        interval = 1.0 / self.options.rate
        for k in itertools.count():
            due = k * interval
            self._stopping.wait(max(0.0, due - self.elapsed()))
            if due > self._stop_asked_at:
                return
            self._hand_out(due)

    def _hand_out(self, due: float) -> None:
        with self._lock:
            if len(self._in_flight) >= self.options.max_in_flight:
                self._outcomes.append(Outcome(due, self.elapsed(), None, NOT_SENT, due))
                return
            slot = (next(self._ids), due)
            self._in_flight[slot[0]] = due
            # Every connection busy: one more, kept from then on, as HTTP clients' pools grow.
            inbox = self._idle.pop(0) if self._idle else self._add_connection()
        inbox.put(slot)

    def _add_connection(self) -> queue.SimpleQueue[Slot | None]:
        """A thread with a connection of its own, which sends each slot put in its inbox."""
        inbox: queue.SimpleQueue[Slot | None] = queue.SimpleQueue()
        self._inboxes.append(inbox)
        self._spawn(f"watch-worker-{len(self._inboxes)}", self._connection, inbox)
        return inbox

    def _connection(self, inbox: queue.SimpleQueue[Slot | None]) -> None:
        conn = None
        try:
            while (slot := inbox.get()) is not None:
                conn = self._send(conn, slot)
                with self._lock:
                    self._idle.append(inbox)
        finally:
            if conn is not None:
                conn.close()

    # -- closed loop

    def _closed_loop(self) -> None:
        conn = None
        try:
            while not self._stopping.is_set():
                with self._lock:
                    if self._closed:
                        return
                    slot = (next(self._ids), self.elapsed())
                    self._in_flight[slot[0]] = slot[1]
                conn = self._send(conn, slot)
        finally:
            if conn is not None:
                conn.close()

    # -- both

    @staticmethod
    def _spawn(name: str, target: Callable[..., None], *args: object) -> threading.Thread:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        return thread

    def _new_connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(
            self.target.host, self.target.port, timeout=self.options.timeout
        )

    def _send(
        self, conn: http.client.HTTPConnection | None, slot: Slot
    ) -> http.client.HTTPConnection | None:
        """Sends the slot's request on conn (a new one if None); returns the connection to
        reuse, or None once it is closed."""
        request, due = slot
        if conn is None:
            conn = self._new_connection()
        sent = self.elapsed()
        response = send_request(conn, self.target.path, HEADERS)
        outcome = Outcome(sent, self.elapsed(), response.version, response.failure, due)
        with self._lock:
            if not self._closed:
                self._outcomes.append(outcome)
                del self._in_flight[request]
                self._lock.notify_all()
        if self.options.keepalive and response.reusable:
            return conn
        # The watcher hangs up first, as curl does, never asking the server to ("Connection:
        # close"): so the TIME_WAIT stays on this side, not in a pod, where it can drop the next
        # SYN from the same NATed address for a second. On loopback Linux reuses it early;
        # kind's port proxy cannot, which caps new connections there near 470/s
        # (docs/deep-dives.md: "Who closes first").
        conn.close()
        return None

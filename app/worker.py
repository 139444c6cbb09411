"""gunicorn's threaded worker, with the changes a zero-downtime app needs from it.

- A client gets REQUEST_READ_TIMEOUT seconds to send its request, counted from when a thread
  starts reading it: gthread otherwise waits for the rest of a request with no limit, so a few
  slow (or hostile) clients could hold every thread, and every probe with them.
- On shutdown the worker stops listening at once, so new connections are refused and go to
  another pod, instead of being accepted by the kernel and reset when the worker exits.
  Requests in flight and kept-alive connections still finish as before.
- A response sent once shutdown has begun closes its connection ("Connection: close"), also
  for a request that was already in flight at SIGTERM: gthread decides keep-alive when a request
  begins, so a slow request answered after SIGTERM kept its connection open, the client sent
  its next request to this stopping pod, and that one could still be running when
  graceful_timeout ran out (reset; seen with 10 s requests on kept-alive connections).
- A new connection takes a thread only once it has something to read. gthread hands it to a
  thread at once, and the thread waits up to 5 s for its first byte: a proxy's pool (Traefik's,
  Go's HTTP transport) opens connections it then leaves idle, and four of them held a worker's
  four threads for 5 s while the requests on the proxy's other connections to this pod waited
  (12 failed, found through the gateway: docs/gateway.md).
- A stop signal (SIGTERM, SIGINT, SIGQUIT) sent to a worker while it boots is held, not lost.
  A forked worker runs with the master's handlers until its init_signals installs its own,
  and the master's handler only queues the signal for the master's loop (in the worker's copy
  of that queue, which nothing reads): a worker the master stopped in that window ignored it
  and served on, and the master waited its whole graceful_timeout (20 s) for it. So the master
  blocks them just before it forks a worker (gunicorn.conf.py's pre_fork), unblocks them in
  itself right after the fork, and the worker unblocks them once its own handlers are in place:
  one sent meanwhile stays pending and reaches those.
"""

import os
import selectors
import signal
import time
from functools import partial

from gunicorn import http
from gunicorn.workers import gthread

# A real client sends its request line and headers within milliseconds; 5 s is also how long
# gthread waits for the first byte before it parks a connection.
REQUEST_READ_TIMEOUT = 5.0

STOP_SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT, signal.SIGQUIT})


def hold_stop_signals() -> None:
    """In the master, right before it forks a worker: the worker starts with them blocked."""
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)


def release_stop_signals() -> None:
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


# The master takes its own stop signals again as soon as the fork has returned.
os.register_at_fork(after_in_parent=release_stop_signals)


class DeadlineReader:
    """The connection's socket as gunicorn's parser reads it: an empty read (what a client
    that hung up gives) once the request has taken longer than its deadline to arrive."""

    def __init__(self, sock) -> None:
        self.sock = sock
        self.deadline = float("inf")
        self.timed_out = False

    def start_request(self) -> None:
        self.deadline = time.monotonic() + REQUEST_READ_TIMEOUT

    def recv(self, size: int) -> bytes:
        remaining = self.deadline - time.monotonic()
        if remaining > 0:
            self.sock.settimeout(remaining)
            try:
                return self.sock.recv(size)
            except TimeoutError:
                pass
            finally:
                self.sock.settimeout(None)  # gthread expects a blocking socket in its threads
        self.timed_out = True
        return b""


class Connection(gthread.TConn):
    def __init__(self, cfg, sock, client, server) -> None:
        super().__init__(cfg, sock, client, server)
        self.reader = DeadlineReader(sock)

    def init(self) -> None:
        if self.parser is None:
            self.parser = http.get_parser(self.cfg, self.reader, self.client)
        super().init()


class CloseWhenStopping:
    """WSGI middleware for gthread: the response closes its connection if the worker has begun
    to shut down by the time the app starts it (gthread passes its Response's start_response)."""

    def __init__(self, app, worker) -> None:
        self.app = app
        self.worker = worker

    def __call__(self, environ, start_response):
        def start(status, headers, exc_info=None):
            if not self.worker.alive:
                start_response.__self__.force_close()
            return start_response(status, headers, exc_info)

        return self.app(environ, start)


class ThreadWorker(gthread.ThreadWorker):
    def load_wsgi(self) -> None:
        super().load_wsgi()
        self.wsgi = CloseWhenStopping(self.wsgi, self)

    def init_signals(self) -> None:
        super().init_signals()
        # The worker's own handlers are in place: a stop signal held since the fork arrives now.
        release_stop_signals()

    def accept(self, listener) -> None:
        # gthread's accept, with this module's Connection, which waits in the poller until it
        # has something to read (as gthread's own deferred connections do), for at most the
        # keep-alive timeout, instead of in a thread.
        try:
            client_sock, client_addr = listener.accept()
        except (BlockingIOError, ConnectionAbortedError):
            return  # another worker took it, or the client gave up first
        self.nr_conns += 1
        client_sock.setblocking(False)
        conn = Connection(self.cfg, client_sock, client_addr, listener.getsockname())
        conn.timeout = time.monotonic() + self.cfg.keepalive
        self.pending_conns.append(conn)
        self.poller.register(
            client_sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn)
        )

    def handle(self, conn):
        conn.reader.start_request()
        keep = super().handle(conn)
        if conn.reader.timed_out:
            self.log.warning(
                "closed a connection from %s: its request took longer than %gs to arrive",
                conn.client[0] if conn.client else "?",
                REQUEST_READ_TIMEOUT,
            )
        return keep

    def set_accept_enabled(self, enabled: bool) -> None:
        super().set_accept_enabled(enabled)
        if not enabled and not self.alive:
            # Shutting down: close this worker's copy of the listening sockets. The master has
            # closed its own, so once every worker has done this, nothing listens any more and
            # the kernel refuses new connections instead of queueing them for nobody.
            for listener in self.sockets:
                listener.close()

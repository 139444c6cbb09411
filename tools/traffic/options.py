"""What traffic the watcher sends (URL, rate, connections, timeout), checked when it is made,
so a bad value is one clear line, never a traceback."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from urllib.parse import urlsplit

from tools.traffic import defaults

# Threads, one per request in flight: far more than a laptop can run, far more than a rollout needs.
MAX_CONCURRENCY = 1000
# A request unanswered for 5 minutes has failed, whatever it was waiting for.
MAX_TIMEOUT_S = 300.0


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


def way_in(url: str) -> str | None:
    """Which way in the requests take, in words, when it is one of the workshop's."""
    return {
        defaults.URL: "through the NodePort (kube-proxy to the pods)",
        defaults.GATEWAY_URL: "through the gateway (Traefik to the pods)",
    }.get(url.rstrip("/"))


@dataclass(frozen=True)
class TrafficOptions:
    """What traffic to send; checked when made, so a bad value is one line, not a traceback."""

    url: str = defaults.URL
    # Open loop: the connections kept ready. Closed loop (rate None): the loops.
    concurrency: int = defaults.CONCURRENCY
    keepalive: bool = False
    # Requests/s, scheduled by the clock (open loop); None: `concurrency` loops, each sending
    # its next request as soon as the last one ended (closed loop, as fast as they go).
    rate: float | None = defaults.RATE
    timeout: float = defaults.TIMEOUT_S
    # Open loop: a slot due while this many requests are in flight is not sent, and counted.
    max_in_flight: int = defaults.MAX_IN_FLIGHT

    def __post_init__(self) -> None:
        parse_url(self.url)
        if not 1 <= self.concurrency <= MAX_CONCURRENCY:
            raise TrafficError(f"concurrency must be from 1 to {MAX_CONCURRENCY}")
        if self.rate is not None and not 0 < self.rate < math.inf:
            raise TrafficError("rate must be greater than 0 and finite")
        if not 0 < self.timeout <= MAX_TIMEOUT_S:
            raise TrafficError(f"timeout must be greater than 0 and at most {MAX_TIMEOUT_S:g}")
        if not self.concurrency <= self.max_in_flight <= MAX_CONCURRENCY:
            raise TrafficError(
                f"max in flight must be from the concurrency ({self.concurrency})"
                f" to {MAX_CONCURRENCY}"
            )

    @property
    def target(self) -> Target:
        return parse_url(self.url)

    def asking_delay(self, seconds: float) -> TrafficOptions:
        """Every request asking the app's /delay/<seconds> on the same server, with that much
        more time before it counts as failed, sent by the loops back to back (closed loop): the
        point is requests in flight when pods stop, and a rate of 5 s requests would pile up."""
        target = self.target
        host = f"[{target.host}]" if ":" in target.host else target.host
        return dataclasses.replace(
            self,
            url=f"http://{host}:{target.port}/delay/{seconds:g}",
            timeout=self.timeout + seconds,
            rate=None,
        )

"""One request, as the watcher sends it: a GET that is never retried, its answer or exception
sorted into a failure kind."""

from __future__ import annotations

import http.client
import socket
from dataclasses import dataclass

HEADERS = {"User-Agent": "myapp-watch"}
VERSION_HEADER = "X-App-Version"


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

"""tools/traffic/request.py: how each way a request can fail is named."""

from __future__ import annotations

import http.client
import socket

import pytest

from tools.traffic.request import classify
from tools.traffic.summary import FAILURE_KINDS


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

"""tools/traffic/options.py: a bad option is one clear error; good ones mean what they say."""

from __future__ import annotations

import pytest

from tools.traffic.options import TrafficError, TrafficOptions


@pytest.mark.parametrize(
    "url",
    [
        "ftp://x",
        "not a url",
        "https://127.0.0.1/",
        "http://",
        "http://h:99999/",
        "http://h:0/",
        "http://127.0.0.1:30080/a b",
        "http://127.0.0.1:30080/\x00",
    ],
)
def test_options_reject_unusable_urls(url: str) -> None:
    with pytest.raises(TrafficError) as raised:
        TrafficOptions(url)
    assert "\n" not in str(raised.value)


def test_options_accept_url_without_port_or_path() -> None:
    target = TrafficOptions("http://example.invalid").target  # nothing connects
    assert (target.host, target.port, target.path) == ("example.invalid", 80, "/")


@pytest.mark.parametrize(
    "options",
    [
        {"concurrency": 0},
        {"concurrency": 100_000},
        {"rate": 0},
        {"rate": -1.0},
        {"rate": float("inf")},
        {"timeout": 0},
        {"timeout": 1e10},
    ],
)
def test_options_reject_bad_values(options: dict) -> None:
    with pytest.raises(TrafficError):
        TrafficOptions("http://127.0.0.1:8080/", **options)


def test_asking_delay_keeps_the_server_and_adds_the_delay_to_the_timeout() -> None:
    slow = TrafficOptions("http://127.0.0.1:30080/anything", timeout=5.0).asking_delay(10)
    assert (slow.url, slow.timeout) == ("http://127.0.0.1:30080/delay/10", 15.0)
    assert slow.rate is None  # each loop keeps one slow request in flight, not a rate of them
    ipv6 = TrafficOptions("http://[::1]:8080/").asking_delay(2.5)
    assert (ipv6.target.host, ipv6.target.port, ipv6.target.path) == ("::1", 8080, "/delay/2.5")

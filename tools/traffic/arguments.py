"""Command-line options both CLIs share: checked numbers, and the traffic options
(``--via``, ``--concurrency``, ``--keepalive``, ``--rate``, ``--timeout``, ``--max-in-flight``)."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import TypeVar

from tools.traffic import defaults
from tools.traffic.options import MAX_CONCURRENCY, MAX_TIMEOUT_S, TrafficError, TrafficOptions

Number = TypeVar("Number", int, float)


def number_type(
    convert: Callable[[str], Number], check: Callable[[Number], bool], requirement: str
) -> Callable[[str], Number]:
    def parse(text: str) -> Number:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not check(value):
            raise argparse.ArgumentTypeError(f"must be {requirement}, got {text}")
        return value

    return parse


def rate_type(text: str) -> float | None:
    """Requests/s, or "max" for as fast as the loops can go."""
    if text == "max":
        return None
    return number_type(float, lambda v: 0 < v < math.inf, "greater than 0, or max")(text)


def add_traffic_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--via",
        choices=sorted(defaults.WAYS_IN),
        help="the way in instead of a URL: "
        + ", ".join(f"{name} {url}" for name, url in defaults.WAYS_IN.items())
        + " (default nodeport)",
    )
    parser.add_argument(
        "--concurrency",
        type=number_type(int, lambda v: 1 <= v <= MAX_CONCURRENCY, f"from 1 to {MAX_CONCURRENCY}"),
        default=defaults.CONCURRENCY,
        help="connections kept ready, or with --rate max the loops (default %(default)s)",
    )
    parser.add_argument(
        "--keepalive", action="store_true", help="reuse connections instead of one per request"
    )
    parser.add_argument(
        "--rate",
        type=rate_type,
        default=defaults.RATE,
        help="requests per second, scheduled by the clock, or max: the loops back to back"
        " (default %(default)g)",
    )
    parser.add_argument(
        "--max-in-flight",
        type=number_type(int, lambda v: 1 <= v <= MAX_CONCURRENCY, f"from 1 to {MAX_CONCURRENCY}"),
        default=defaults.MAX_IN_FLIGHT,
        help="a request due while this many are in flight is not sent, and counted as failed"
        " (default %(default)s)",
    )
    parser.add_argument(
        "--timeout",
        type=number_type(
            float, lambda v: 0 < v <= MAX_TIMEOUT_S, f"greater than 0 and at most {MAX_TIMEOUT_S:g}"
        ),
        default=defaults.TIMEOUT_S,
        help="seconds one request may take before it counts as failed (default %(default)g)",
    )


def traffic_options(args: argparse.Namespace) -> TrafficOptions:
    """The TrafficOptions of parsed arguments (raises TrafficError for a bad URL, or for a URL
    and --via both given)."""
    if args.url is not None and args.via is not None:
        raise TrafficError(f"give a URL or --via {args.via}, not both")
    return TrafficOptions(
        url=args.url or defaults.WAYS_IN[args.via or "nodeport"],
        concurrency=args.concurrency,
        keepalive=args.keepalive,
        rate=args.rate,
        timeout=args.timeout,
        max_in_flight=args.max_in_flight,
    )

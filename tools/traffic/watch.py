"""Watch an HTTP endpoint during a rollout and count every failed request.

Sends requests to URL at a rate scheduled by the clock (open loop), prints one line per second
while it runs and a summary at the end, so a rollout can be judged by numbers: how many
requests failed, how (refused, reset, timeout, 5xx, not sent, ...), for how long, and when each
app version started and stopped answering.

Usage:
    python3 -m tools.traffic.watch                                  # the workshop's Service
    python3 -m tools.traffic.watch http://127.0.0.1:8080/ --keepalive --concurrency 4 --rate 200
    python3 -m tools.traffic.watch http://127.0.0.1:8080/ --duration 60 --json --max-failures 0

Options (`--help` gives each default, from tools/traffic/defaults.py):
    --via WAY         nodeport (the default URL) or gateway (make gateway's), instead of a URL
    --concurrency N   connections kept ready, or with --rate max the loops
    --keepalive       reuse connections instead of a new one per request
    --rate R          requests per second, scheduled by the clock, or max: the loops back to
                      back, each waiting for its answer
    --max-in-flight N a request due while N are in flight is not sent: failed, `not_sent`
    --duration S      stop after S seconds (default: run until Ctrl-C)
    --timeout S       seconds a request may take before it counts as failed
    --json            print the summary as JSON on stdout (live lines go to stderr)
    --max-failures N  exit 1 when more than N requests failed
    --no-check        skip the initial reachability check

The live lines are described in tools/traffic/live.py.
Exit status: 0, or 1 when --max-failures is exceeded, or 2 on bad usage / unreachable URL.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import signal
import sys
import threading
from collections.abc import Iterator

from tools.cli.parser import OneLineArgumentParser
from tools.traffic import defaults
from tools.traffic.arguments import (
    add_traffic_arguments,
    number_type,
    traffic_options,
)
from tools.traffic.live import LiveLines, LiveReport, legend, use_colour
from tools.traffic.options import TrafficError
from tools.traffic.summary import Summary, format_summary
from tools.traffic.watcher import Watcher

# How often the main thread looks at the clock while it waits for --duration or a signal.
WAIT_STEP_S = 0.5


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = OneLineArgumentParser(
        prog="watch", description="Count failed requests against URL during a rollout."
    )
    parser.add_argument(
        "url",
        nargs="?",
        help=f"http://HOST[:PORT][/PATH] to hammer (default: --via's, or {defaults.URL})",
    )
    add_traffic_arguments(parser)
    parser.add_argument(
        "--duration",
        type=number_type(float, lambda v: 0 <= v < math.inf, "0 or more, and finite"),
        help="seconds to run (default: until Ctrl-C)",
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
    signals = [signal.SIGINT, signal.SIGTERM]
    previous = {sig: signal.getsignal(sig) for sig in signals}
    for sig in signals:
        signal.signal(sig, lambda signum, frame: stop_requested.set())
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_watch(watcher: Watcher, report: LiveReport, duration: float | None) -> Summary:
    stop_requested = threading.Event()
    with stop_on_signals(stop_requested):
        # Printed only now so that, once the legend is visible, Ctrl-C already ends the run
        # with a summary.
        print(legend(watcher.options), file=report.stream, flush=True)
        watcher.start()
        try:
            with LiveLines(watcher, report) as live:
                while not stop_requested.is_set():
                    left = None if duration is None else duration - watcher.elapsed()
                    if left is not None and left <= 0:
                        break
                    stop_requested.wait(WAIT_STEP_S if left is None else min(WAIT_STEP_S, left))
        finally:
            summary = watcher.stop()
    live.finish(summary)
    return summary


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        watcher = Watcher(traffic_options(args))
        if not args.no_check:
            watcher.check_reachable()
    except TrafficError as exc:
        print(f"watch: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130

    live_stream = sys.stderr if args.json else sys.stdout
    report = LiveReport(live_stream, colour=use_colour(live_stream))
    try:
        summary = run_watch(watcher, report, args.duration)
    except KeyboardInterrupt:  # only in the instant before the signal handlers are in place
        return 130

    if args.json:
        print(json.dumps(summary.as_dict(), indent=2))
    else:
        print(format_summary(summary))
    if args.max_failures is not None and summary.failed > args.max_failures:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The watcher cross-checked against vegeta, an established open-loop load generator: both send
half the rate at the same Service through the same rollout, and their counts are compared.

Usage: python3 -m tools.scenarios.crosscheck [--variant naive|safe] [--rate R] [--json FILE]
  (VEGETA names vegeta, default `vegeta`: go install VEGETA_MODULE, as hack/versions.env pins it)
Exit status: 0 when the two agree within TOLERANCE, 1 when they do not, 2 on bad usage or when
the cluster or vegeta cannot be used.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tools.cli.parser import OneLineArgumentParser
from tools.cli.versions import PINS
from tools.cluster import commands as cluster
from tools.results import provenance
from tools.results.result import Render, Result, release_lesson, text_table
from tools.scenarios.measuring import Setup, measure, run_make_action
from tools.traffic import defaults
from tools.traffic.arguments import number_type
from tools.traffic.options import TrafficError, TrafficOptions
from tools.traffic.summary import Outcome, Summary, summarize

VEGETA = os.environ.get("VEGETA", "vegeta")
VEGETA_MODULE = f"github.com/tsenart/vegeta/v12@{PINS['VEGETA_VERSION']}"


@dataclass(frozen=True)
class Tolerance:
    """How far apart the two may be and still agree. Each sends half the rate, so each samples
    the same outage at 100 requests/s by default: its edges are known to about 1/100 s, plus the
    time a failing request takes (a reset at once, a timeout 5 s). vegeta starts a moment before
    the watcher and stops a moment after it, adding successes only, so its failed share is a
    little lower: a tenth of the share, or 0.2 percentage points where the share is tiny."""

    outage_s: float = 1.0
    share_relative: float = 0.10
    share_absolute: float = 0.002


TOLERANCE = Tolerance()


@dataclass(frozen=True)
class Comparison:
    watcher: Summary
    vegeta: Summary

    def disagreements(self, tolerance: Tolerance = TOLERANCE) -> list[str]:
        w, v = self.watcher, self.vegeta
        found = []
        if (w.failed > 0) != (v.failed > 0):
            found.append(f"one saw failures and the other none ({w.failed:,} vs {v.failed:,})")
        share_w, share_v = share(w), share(v)
        allowed = max(tolerance.share_relative * max(share_w, share_v), tolerance.share_absolute)
        if abs(share_w - share_v) > allowed:
            found.append(f"failed shares {share_w:.2%} vs {share_v:.2%}, more than {allowed:.2%}")
        outage_gap = abs(w.longest_outage_s - v.longest_outage_s)
        if outage_gap > tolerance.outage_s:
            found.append(
                f"longest outages {w.longest_outage_s:.2f} s vs {v.longest_outage_s:.2f} s,"
                f" more than {tolerance.outage_s:g} s apart"
            )
        return found


def share(summary: Summary) -> float:
    return summary.failed / summary.requests if summary.requests else 0.0


# What vegeta's error text says, in the watcher's failure kinds (tools/traffic/request.py).
ERROR_KINDS = (
    ("refused", "refused"),
    ("reset", "reset"),
    ("eof", "reset"),
    ("broken pipe", "reset"),
    # Go's "http: server closed idle connection": closed before any answer, as a reset is.
    ("server closed", "reset"),
    ("timeout", "timeout"),
    ("deadline", "timeout"),
)


def vegeta_failure(code: int, error: str) -> str | None:
    """vegeta's result in the watcher's failure kinds."""
    if 200 <= code < 300 and not error:
        return None
    if code:
        return "http_5xx" if code >= 500 else "http_other"
    text = error.lower()
    return next((kind for words, kind in ERROR_KINDS if words in text), "error")


def vegeta_outcomes(lines: list[str]) -> list[Outcome]:
    """`vegeta encode --to json` lines as Outcomes, in seconds since the first request."""
    results = [json.loads(line) for line in lines if line.strip()]
    starts = [datetime.fromisoformat(r["timestamp"]).timestamp() for r in results]
    first = min(starts, default=0.0)
    return [
        Outcome(
            start - first,
            start - first + r["latency"] / 1e9,
            None,
            vegeta_failure(r.get("code", 0), r.get("error", "")),
        )
        for start, r in zip(starts, results, strict=True)
    ]


class Vegeta:
    """`vegeta attack` at `rate` against `url` until stopped, a new connection per request."""

    def __init__(self, url: str, rate: float, timeout: float, directory: Path) -> None:
        self.results = directory / "vegeta.bin"
        self.command = [VEGETA, "attack", f"-rate={rate:g}/1s", "-duration=0",
                        f"-timeout={timeout:g}s", "-keepalive=false",
                        f"-output={self.results}"]  # fmt: skip
        self.url = url
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        try:
            self.process = subprocess.Popen(
                self.command, stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        except FileNotFoundError:
            raise cluster.ClusterError(
                f"{VEGETA} not found: go install {VEGETA_MODULE}, or set VEGETA=path"
            ) from None
        assert self.process.stdin is not None
        self.process.stdin.write(f"GET {self.url}\n")
        self.process.stdin.close()

    def stop(self) -> list[Outcome]:
        if self.process is None:
            return []
        # vegeta stops sending on SIGTERM (or SIGINT), and writes what it has. Not SIGINT: a
        # shell ignores it in what it starts in the background, as CI may start this.
        self.process.send_signal(signal.SIGTERM)
        assert self.process.stderr is not None
        with self.process.stderr:
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise cluster.ClusterError("vegeta attack did not stop within 60 s") from None
            errors = self.process.stderr.read()
        if self.process.returncode not in (0, -signal.SIGTERM):
            reason = (errors.strip().splitlines() or ["no message"])[-1]
            raise cluster.ClusterError(f"vegeta attack exited {self.process.returncode}: {reason}")
        encoded = cluster.run_checked([VEGETA, "encode", "--to", "json", str(self.results)])
        return vegeta_outcomes(encoded.splitlines())


def crosscheck(variant: str, url: str, rate: float) -> tuple[Result, Comparison]:
    """`variant` rolled from v1 to v2 under both tools, each at half the rate: the watcher's
    measured run (its pods' events, its picture), and how the two compare."""
    half = TrafficOptions(url, rate=rate / 2)
    cluster.start_from(variant, "1", half)
    with tempfile.TemporaryDirectory() as directory:
        vegeta = Vegeta(url, rate / 2, half.timeout, Path(directory))
        vegeta.start()
        try:
            result = measure(
                f"{variant} v1 → v2, the watcher's half",
                variant,
                lambda notes: run_make_action(notes, f"deploy-{variant}", VERSION="2"),
                Setup(half, quiet=True),
                expectation=release_lesson(variant),
                end_version="2",
            )
        finally:
            outcomes = vegeta.stop()
    duration = max((o.end for o in outcomes), default=0.0)
    mode = dict(url=half.url, keepalive=False, concurrency=0, rate=half.rate, duration=duration)
    return result, Comparison(result.summary, summarize(outcomes, **mode))


def table(comparison: Comparison, render: Render = text_table) -> str:
    rows = [
        (name, f"{s.requests:,}", f"{s.failed:,}", f"{share(s):.2%}",
         ", ".join(f"{k} {n:,}" for k, n in s.failures_by_kind.items()) or "-",
         f"{s.longest_outage_s:.2f}", f"{s.failing_for_s:.2f}")
        for name, s in (("watcher", comparison.watcher), ("vegeta", comparison.vegeta))
    ]  # fmt: skip
    header = ("tool", "requests", "failed", "share", "failures by kind", "longest outage (s)",
              "failing for (s)")  # fmt: skip
    return render(header, rows, (0, 4))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = OneLineArgumentParser(prog="crosscheck", description=__doc__.split("\n")[0])
    parser.add_argument("--variant", choices=("naive", "safe"), default="naive")
    parser.add_argument(
        "--rate",
        type=number_type(float, lambda v: 0 < v < math.inf, "greater than 0"),
        default=defaults.RATE,
        help="requests/s of both tools together (default %(default)g)",
    )
    parser.add_argument("--url", default=defaults.URL)
    parser.add_argument("--json", type=Path, help="write both summaries to this JSON file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        cluster.refuse_unless_workshop_cluster()
        measured_on = provenance.measure_here() if args.json else None
        _, comparison = crosscheck(args.variant, args.url, args.rate)
    except (cluster.ClusterError, TrafficError) as error:
        print(f"crosscheck: {error}", file=sys.stderr)
        return 2
    print(f"\n{args.variant} v1 → v2, each tool at {args.rate / 2:g} requests/s\n")
    print(table(comparison))
    disagreements = comparison.disagreements()
    print("\n" + ("\n".join(f"DISAGREE: {d}" for d in disagreements) or "ok: they agree"))
    if measured_on is not None:
        provenance.write_results(
            args.json,
            measured_on,
            provenance.command_line(
                "tools.scenarios.crosscheck", sys.argv[1:] if argv is None else argv
            ),
            f"{args.variant} v1 → v2, each tool at {args.rate / 2:g} requests/s, open loop,"
            " a new connection per request",
            watcher=comparison.watcher.as_dict(),
            vegeta=comparison.vegeta.as_dict(),
        )
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())

"""`make check LAB=n`: a lab's manifest rolled from v1 to v2 under the workshop's traffic, and
pass or fail with the numbers (labs/README.md).

The manifest is deployed the way `make deploy FILE=...` does it (the same checks, image and
guard): v1 first, until every pod serves it, then v2 while the watcher counts every request.
It passes when the rollout completed and no request of at least MIN_REQUESTS failed.

Usage: python3 -m tools.scenarios.labs LAB [--file FILE]   (default FILE: the lab's own work file)
Exit status: 0 pass, 1 fail, 2 on bad usage or when the cluster cannot be used.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from tools import ROOT
from tools.cli.parser import OneLineArgumentParser
from tools.cluster import commands as cluster
from tools.results.result import Expectation, Result, report
from tools.scenarios.measuring import Notes, Setup, measure, run_make_action
from tools.traffic.options import TrafficError, TrafficOptions

LABS_DIR = ROOT / "labs"
# A zero stands on at least this many requests: a rollout of 3 pods with a 20 s warm-up is
# over 60 s of traffic, 12,000 requests at the default rate.
MIN_REQUESTS = 3_000


@dataclass(frozen=True)
class Lab:
    directory: str  # under labs/
    work_file: str  # what the attendee edits, in that directory

    @property
    def work(self) -> Path:
        return LABS_DIR / self.directory / self.work_file

    @property
    def solution(self) -> Path:
        return LABS_DIR / self.directory / "solution" / self.work_file


# The labs whose answer is a manifest, which the cluster can check.
LABS = {
    2: Lab("02-fix-naive", "deployment.yaml"),
    4: Lab("04-choose-the-pause", "deployment.yaml"),
}


def check(lab: int, manifest: Path, setup: Setup) -> Result:
    """The manifest at v1, then rolled to v2 under watched traffic."""
    shown = os.path.relpath(manifest, cluster.ROOT)  # as make, run there, finds it
    cluster.start_with("deploy", "1", setup.traffic, f"{shown} v1", FILE=shown)

    def roll(notes: Notes) -> None:
        run_make_action(notes, "deploy", FILE=shown, VERSION="2")

    return measure(
        f"lab {lab}: {shown} v1 → v2",
        "lab",
        roll,
        setup,
        expectation=Expectation.NO_FAILURES,
        end_version="2",
    )


def passed(result: Result) -> bool:
    return result.met_expectation and result.summary.requests >= MIN_REQUESTS


def verdict(lab: int, result: Result) -> str:
    s = result.summary
    numbers = (
        f"{s.failed:,} of {s.requests:,} requests failed, rollout {result.rollout_seconds:.0f} s"
    )
    if passed(result):
        return f"pass: lab {lab}: {numbers}"
    if s.requests < MIN_REQUESTS:
        return f"fail: lab {lab}: {numbers}; a zero needs at least {MIN_REQUESTS:,} requests"
    kinds = ", ".join(f"{k} {n:,}" for k, n in s.failures_by_kind.items())
    return f"fail: lab {lab}: {numbers} ({kinds}); see the lab's README for what each kind means"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = OneLineArgumentParser(prog="labs", description=__doc__.split("\n")[0])
    parser.add_argument("lab", type=int, choices=sorted(LABS), help="the lab's number")
    parser.add_argument("--file", type=Path, help="the manifest to check (default: the lab's)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    manifest = (args.file or LABS[args.lab].work).resolve()
    try:
        cluster.refuse_unless_workshop_cluster()
        result = check(args.lab, manifest, Setup(TrafficOptions()))
    except (cluster.ClusterError, TrafficError) as error:
        print(f"labs: {error}", file=sys.stderr)
        return 2
    print(report([result]))
    print(verdict(args.lab, result))
    return 0 if passed(result) else 1


if __name__ == "__main__":
    sys.exit(main())

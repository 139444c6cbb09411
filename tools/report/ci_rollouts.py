"""CI's run, stage by stage, as docs/ci.md shows it: how long each stage took, its slowest tests,
and every rollout its end-to-end tests did (test, what was rolled, from which version to which,
with which warm-up, how long until every replica was updated and available, and which other test
rolled the same thing the same way). tools/cluster/deploy.py (make deploy-*, make check, make
rollback) and the lesson write one JSON line per rollout to ROLLOUT_LOG; pytest writes each test's
seconds to a JUnit file; after each stage .ci/run adds the stage to a results file, with the
cluster it ran on, and this prints it.

Usage: python3 -m tools.report.ci_rollouts --stage NAME --seconds S --json RESULTS
                                           [--log ROLLOUT_LOG] [--junit FILE]
Exit status: 0, or 2 when a file cannot be read or the cluster cannot be asked.
"""

from __future__ import annotations

import argparse
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from tools.cli.parser import OneLineArgumentParser
from tools.cluster import commands as cluster
from tools.results import provenance
from tools.results.provenance import Provenance
from tools.results.result import Render, text_table

COLUMNS = ("test", "rolled", "from → to", "warm-up (s)", "seconds", "same rollout as")
LEFT_ALIGNED = (0, 1, 5)
SLOWEST = 10


class LogError(Exception):
    """A log, JUnit or results file that cannot be read; one line."""


def read_log(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text() if path.exists() else ""
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    except (OSError, ValueError) as error:
        raise LogError(f"{path} cannot be read ({error})") from None


def read_junit(path: Path) -> list[dict[str, Any]]:
    """Each test's seconds (its setup, call and teardown), slowest first."""
    try:
        cases = ET.parse(path).getroot().iter("testcase")
        tests = [
            {"test": f"{case.get('classname', '')}::{case.get('name', '')}",
             "seconds": round(float(case.get("time", 0)), 1)}
            for case in cases
        ]  # fmt: skip
    except (OSError, ET.ParseError, ValueError) as error:
        raise LogError(f"{path} cannot be read ({error})") from None
    return sorted(tests, key=lambda test: -test["seconds"])


def way(rollout: dict[str, Any]) -> tuple[str, str, str, str]:
    """What makes two rollouts the same: what was rolled, from and to which version, warm-up."""
    # A file from outside the kit (a test's temporary YAML) by its name alone.
    files = (Path(part).name if part.startswith("/") else part for part in rollout["what"].split())
    return (
        " ".join(files),
        str(rollout["from"]),
        str(rollout["to"]),
        str(rollout["startup_delay"] or "image"),
    )


def short_test(test: str) -> str:
    return test.removeprefix("tests/e2e/").removeprefix("tests.e2e.")


def rows(rollouts: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    """One row per rollout; a rollout done the same way by another test names that test."""
    tests_by_way: dict[tuple[str, ...], list[str]] = {}
    for rollout in rollouts:
        tests_by_way.setdefault(way(rollout), []).append(rollout["test"])
    found = []
    for rollout in rollouts:
        others = sorted({t for t in tests_by_way[way(rollout)] if t != rollout["test"]})
        what, old, new, warm_up = way(rollout)
        found.append(
            (
                short_test(rollout["test"]) or "-",
                what,
                f"{old} → {new}",
                warm_up,
                f"{rollout['seconds']:.1f}",
                ", ".join(map(short_test, others)) or "-",
            )
        )
    return found


def stage_table(stage: dict[str, Any], render: Render = text_table) -> str:
    parts = [f"**{stage['stage']}**: {stage['seconds']:,} s"]
    if stage.get("provenance"):
        parts[0] += f", on {Provenance.from_dict(stage['provenance']).label()}"
    if stage.get("tests"):
        slowest = [(short_test(t["test"]), f"{t['seconds']:.1f}") for t in stage["tests"]]
        parts.append(
            f"Its {min(SLOWEST, len(slowest))} slowest of {len(slowest)} tests:\n\n"
            + render(("test", "seconds"), slowest[:SLOWEST], (0,))
        )
    if stage.get("rollouts") is not None:
        rollouts = stage["rollouts"]
        seconds = sum(r["seconds"] for r in rollouts)
        parts.append(
            f"Its {len(rollouts)} rollouts, {seconds:,.0f} s of rolling:\n\n"
            + render(COLUMNS, rows(rollouts), LEFT_ALIGNED)
        )
    return "\n\n".join(parts)


def add_stage(results: Path, stage: dict[str, Any]) -> None:
    try:
        data = json.loads(results.read_text()) if results.exists() else {"stages": []}
    except (OSError, ValueError) as error:
        raise LogError(f"{results} cannot be read ({error})") from None
    data["command"] = "CI=true bash .ci/run"
    data["stages"].append(stage)
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(data, indent=2) + "\n")


def measured_stage(args: argparse.Namespace) -> dict[str, Any]:
    """The stage as the arguments give it; with a rollout log, on the cluster kubectl points at."""
    stage: dict[str, Any] = {"stage": args.stage, "seconds": args.seconds}
    if args.log is not None:
        stage["provenance"] = provenance.measure_here().as_dict()
        stage["rollouts"] = read_log(args.log)
    if args.junit is not None:
        stage["tests"] = read_junit(args.junit)
    return stage


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = OneLineArgumentParser(prog="ci_rollouts", description=__doc__.split("\n")[0])
    parser.add_argument("--stage", required=True, help="the stage's name, as .ci/run says it")
    parser.add_argument("--seconds", type=int, required=True, help="how long the stage took")
    parser.add_argument("--json", type=Path, required=True, help="the results file to add to")
    parser.add_argument("--log", type=Path, help="the stage's ROLLOUT_LOG")
    parser.add_argument("--junit", type=Path, help="the stage's pytest JUnit file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        stage = measured_stage(args)
        add_stage(args.json, stage)
    except (LogError, cluster.ClusterError) as error:
        print(f"ci_rollouts: {error}", file=sys.stderr)
        return 2
    print(stage_table(stage))
    return 0


if __name__ == "__main__":
    sys.exit(main())

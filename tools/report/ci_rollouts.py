"""Every rollout CI's end-to-end tests do, listed from a run: test, what was rolled, from which
version to which, with which warm-up, and how long until every replica was updated and available.
tools/cluster/deploy.py (make deploy-*, make check, make rollback) and the lesson's variants write
one JSON line each to ROLLOUT_LOG; after each stage of .ci/run this adds the stage, with the cluster
it ran on, to a results file, and prints its table, so that docs/ci.md's list is generated from a
run.

Usage: python3 -m tools.report.ci_rollouts --stage NAME --log FILE --json RESULTS
Exit status: 0, or 2 when the log or the results file cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from tools.cli.parser import OneLineArgumentParser
from tools.cluster import commands as cluster
from tools.results import provenance
from tools.results.provenance import Provenance
from tools.results.result import Render, text_table

COLUMNS = ("test", "rolled", "from → to", "warm-up (s)", "seconds", "same rollout as")
LEFT_ALIGNED = (0, 1, 5)


class LogError(Exception):
    """A log or results file that cannot be read; one line."""


def read_log(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text() if path.exists() else ""
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    except (OSError, ValueError) as error:
        raise LogError(f"{path} cannot be read ({error})") from None


def way(rollout: dict[str, Any]) -> tuple[str, str, str, str]:
    """What makes two rollouts the same: what was rolled, from and to which version, warm-up."""
    return (
        rollout["what"],
        str(rollout["from"]),
        str(rollout["to"]),
        str(rollout["startup_delay"] or "image"),
    )


def short_test(test: str) -> str:
    return test.removeprefix("tests/e2e/")


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
    rollouts = stage["rollouts"]
    seconds = sum(r["seconds"] for r in rollouts)
    tests = Counter(r["test"] for r in rollouts)
    label = Provenance.from_dict(stage["provenance"]).label()
    return (
        f"{stage['stage']}, on {label}: {len(rollouts)} rollouts in {len(tests)} tests,"
        f" {seconds:,.0f} s of rolling\n\n{render(COLUMNS, rows(rollouts), LEFT_ALIGNED)}"
    )


def add_stage(results: Path, stage: str, log: Path) -> dict[str, Any]:
    """The stage's rollouts, on the cluster kubectl points at now, added to the results file."""
    try:
        data = json.loads(results.read_text()) if results.exists() else {"stages": []}
    except (OSError, ValueError) as error:
        raise LogError(f"{results} cannot be read ({error})") from None
    added = {
        "stage": stage,
        "provenance": provenance.measure_here().as_dict(),
        "rollouts": read_log(log),
    }
    data["command"] = "CI=true bash .ci/run"
    data["stages"].append(added)
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(data, indent=2) + "\n")
    return added


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = OneLineArgumentParser(prog="ci_rollouts", description=__doc__.split("\n")[0])
    parser.add_argument("--stage", required=True, help="the stage's name, as .ci/run says it")
    parser.add_argument("--log", type=Path, required=True, help="the stage's ROLLOUT_LOG")
    parser.add_argument("--json", type=Path, required=True, help="the results file to add to")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        stage = add_stage(args.json, args.stage, args.log)
    except (LogError, cluster.ClusterError) as error:
        print(f"ci_rollouts: {error}", file=sys.stderr)
        return 2
    print(stage_table(stage))
    return 0


if __name__ == "__main__":
    sys.exit(main())

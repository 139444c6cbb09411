"""The docs' measured tables, generated from the results files `make report` keeps in
docs/report/, so that none can go stale.

A generated section in a Markdown file under docs/ reads

    <!-- report: NAME -->
    (what this module writes: where and when it was measured, then the table)
    <!-- /report -->

where NAME is one of SECTIONS, each drawn from docs/report/NAME.json.

Usage:
    python3 -m tools.report            # rewrite every section from its results file
    python3 -m tools.report --check    # change nothing; exit 1 naming each stale section
Exit status: 0, 1 when --check found a stale section, 2 when a section or its file is broken.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools import crosscheck, lesson
from tools.one_line_parser import OneLineArgumentParser
from tools.provenance import Provenance
from tools.results import Result, markdown_table, table
from tools.summary import Summary

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "report"
SECTION = re.compile(r"(<!-- report: ([\w-]+) -->\n)(.*?)(<!-- /report -->)", re.DOTALL)


class ReportError(Exception):
    """A section or results file that cannot be used; the message is one line."""


def results_table(data: dict[str, Any]) -> str:
    return table([Result.from_dict(r) for r in data["results"]], markdown_table)


def lesson_table(data: dict[str, Any]) -> str:
    return lesson.table([Result.from_dict(r) for r in data["results"]], markdown_table)


def crosscheck_table(data: dict[str, Any]) -> str:
    comparison = crosscheck.Comparison(
        Summary.from_dict(data["watcher"]), Summary.from_dict(data["vegeta"])
    )
    return crosscheck.table(comparison, markdown_table)


def requests_behind(data: dict[str, Any]) -> int:
    if "results" in data:
        return sum(r["summary"]["requests"] for r in data["results"])
    return data["watcher"]["requests"] + data["vegeta"]["requests"]


# Each section, and how its table is drawn from its results file.
SECTIONS: dict[str, Callable[[dict[str, Any]], str]] = {
    "demo": results_table,
    "drills": results_table,
    "baseline": results_table,
    "lesson": lesson_table,
    "lesson-slow": lesson_table,
    "crosscheck": crosscheck_table,
}


@dataclass(frozen=True)
class Section:
    path: Path
    name: str
    text: str  # as the file has it now


def render(name: str, report: Path = REPORT) -> str:
    """A section's text: where and when it was measured, with what traffic, then the table."""
    if name not in SECTIONS:
        raise ReportError(f"unknown report section {name!r}: one of {', '.join(SECTIONS)}")
    path = report / f"{name}.json"
    try:
        data = json.loads(path.read_text())
        label = Provenance.from_dict(data["provenance"]).label()
        body = SECTIONS[name](data)
        traffic, command = data["traffic"], data["command"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ReportError(f"{shown(path)} cannot be read ({error!r})") from None
    return (
        f"Measured by `{command}` on {label}. Traffic: {traffic};"
        f" {requests_behind(data):,} requests behind this table"
        f" ([{path.name}](report/{path.name})).\n\n{body}\n"
    )


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def documents(root: Path = ROOT) -> list[Path]:
    return sorted((root / "docs").glob("*.md"))


def sections(paths: list[Path]) -> Iterator[Section]:
    for path in paths:
        for found in SECTION.finditer(path.read_text()):
            yield Section(path, found.group(2), found.group(3))


def stale(paths: list[Path], report: Path = REPORT) -> list[str]:
    """`file: section` for each section whose text is not what its results file gives."""
    return [
        f"{shown(s.path)}: {s.name}" for s in sections(paths) if s.text != render(s.name, report)
    ]


def rewrite(path: Path, report: Path = REPORT) -> bool:
    """Every section of the file drawn again; True when that changed the file."""
    old = path.read_text()
    new = SECTION.sub(lambda m: m.group(1) + render(m.group(2), report) + m.group(4), old)
    if new != old:
        path.write_text(new)
    return new != old


def main(argv: list[str] | None = None) -> int:
    parser = OneLineArgumentParser(prog="report", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; list stale ones")
    args: argparse.Namespace = parser.parse_args(argv)
    paths = documents()
    try:
        if args.check:
            found = stale(paths)
            for line in found:
                print(f"stale: {line} (run python3 -m tools.report)", file=sys.stderr)
            return 1 if found else 0
        for path in paths:
            if rewrite(path):
                print(f"rewrote {shown(path)}")
    except ReportError as error:
        print(f"report: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

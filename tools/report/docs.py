"""The docs' measured tables, generated from the results files `make report` keeps in
docs/report/, and the versions they name, from hack/versions.env, so that none can go stale.

A generated section in the README, docs/ or the labs reads

    <!-- report: NAME -->
    (what this module writes: where and when it was measured, then the table)
    <!-- /report -->

where NAME is one of SECTIONS, each drawn from a results file in docs/report/; a pinned version
reads `<!-- pin: KEY -->value<!-- /pin -->`, KEY one of hack/versions.env's. (A version that is a
record, such as where a past measurement ran, reads `<!-- measured -->...<!-- /measured -->`: it
stays as it was when the pin changes.)

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

from tools import ROOT
from tools.cli.parser import OneLineArgumentParser
from tools.cli.versions import PINS
from tools.cluster import kube_proxy
from tools.report import ci_rollouts as ci_rollouts_module
from tools.results.provenance import Provenance
from tools.results.result import Result, markdown_table, table
from tools.scenarios import crosscheck, lesson, propagation
from tools.traffic.live import replayed, timeline_char
from tools.traffic.summary import Summary, format_summary

REPORT = ROOT / "docs" / "report"
SECTION = re.compile(r"(<!-- report: ([\w-]+) -->\n)(.*?)(<!-- /report -->)", re.DOTALL)
# A version written from hack/versions.env: <!-- pin: KIND_VERSION -->v0.33.0<!-- /pin -->.
PIN = re.compile(r"(<!-- pin: (\w+) -->)([^<\n]*)(<!-- /pin -->)")


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


def fenced(lines: list[str]) -> str:
    return "\n".join(["```", *lines, "```"])


def propagation_lines(data: dict[str, Any]) -> str:
    measured = propagation.Propagation.from_dict(data)
    return fenced([propagation.table(measured), "", *propagation.summary(measured)])


def condensed(lines: list[str], timeline: str) -> list[str]:
    """Runs of more than four seconds alike (the same timeline character) shown by their first
    two lines and their last, as the docs quote a long capture."""
    kept: list[str] = []
    start = 0
    while start < len(lines):
        end = start
        while end + 1 < len(lines) and timeline[end + 1] == timeline[start]:
            end += 1
        run = lines[start : end + 1]
        kept += run if len(run) <= 4 else [*run[:2], "   ...", run[-1]]
        start = end + 1
    return kept


def watch_lines(row: int) -> Callable[[dict[str, Any]], str]:
    """One rollout of a results file, second by second as `make watch` printed it."""

    def draw(data: dict[str, Any]) -> str:
        result = Result.from_dict(data["results"][row])
        lines = replayed(result.summary)
        chars = "".join(timeline_char(s.ok, s.failed) for s in result.summary.timeline)
        began, ended = result.action_window
        capture = fenced([*condensed(lines, chars), format_summary(result.summary)])
        return (
            f"{result.name}: the rollout (`{result.events[0]}`) ran from {began:.2f} s to"
            f" {ended:.2f} s.\n\n{capture}"
        )

    return draw


def every_request(data: dict[str, Any]) -> str:
    if "results" in data:
        requests = sum(r["summary"]["requests"] for r in data["results"])
    else:
        requests = data["watcher"]["requests"] + data["vegeta"]["requests"]
    return f"{requests:,} requests"


def requests_of(row: int) -> Callable[[dict[str, Any]], str]:
    return lambda data: f"{data['results'][row]['summary']['requests']:,} requests"


def deletions(data: dict[str, Any]) -> str:
    return f"{len(data['deletions'])} deletions on {len(data['nodes'])} nodes"


def ci_rollouts(data: dict[str, Any]) -> str:
    return "\n\n".join(ci_rollouts_module.stage_table(s, markdown_table) for s in data["stages"])


def ci_rollouts_heading(data: dict[str, Any]) -> str:
    total = sum(stage["seconds"] for stage in data["stages"])
    count = sum(len(stage.get("rollouts") or []) for stage in data["stages"])
    return f"Recorded by `{data['command']}`: its stages {total:,} s, {count} rollouts"


@dataclass(frozen=True)
class Drawing:
    """A section drawn from docs/report/SOURCE.json, and what its figures rest on; `heading`:
    its own first line, for a file of several runs (the standard one names a single run)."""

    source: str
    draw: Callable[[dict[str, Any]], str]
    behind: Callable[[dict[str, Any]], str] = every_request
    heading: Callable[[dict[str, Any]], str] | None = None


# make report-gateway's results files, each a table of its own.
GATEWAY_RESULTS = ("demo-gateway", "demo-gateway-keepalive", "drills-gateway")

# Each section, and how it is drawn from its results file.
SECTIONS: dict[str, Drawing] = {
    "demo": Drawing("demo", results_table),
    "watch-naive": Drawing("demo", watch_lines(0), requests_of(0)),
    "watch-safe": Drawing("demo", watch_lines(1), requests_of(1)),
    "drills": Drawing("drills", results_table),
    "baseline": Drawing("baseline", results_table),
    "lesson": Drawing("lesson", lesson_table),
    "lesson-slow": Drawing("lesson-slow", lesson_table),
    "crosscheck": Drawing("crosscheck", crosscheck_table),
    "ci-rollouts": Drawing("ci-rollouts", ci_rollouts, heading=ci_rollouts_heading),
    **{f"drain-{mode}": Drawing(f"drain-{mode}", results_table) for mode in kube_proxy.RULES},
    # Through the gateway (make gateway, VIA=gateway): docs/gateway.md.
    **{name: Drawing(name, results_table) for name in GATEWAY_RESULTS},
    **{
        f"propagation-{mode}": Drawing(f"propagation-{mode}", propagation_lines, deletions)
        for mode in kube_proxy.RULES
    },
}


@dataclass(frozen=True)
class Section:
    path: Path
    name: str
    text: str  # as the file has it now


def render(name: str, report: Path = REPORT) -> str:
    """A section's text: where and when it was measured, with what traffic, then its figures."""
    if name not in SECTIONS:
        raise ReportError(f"unknown report section {name!r}: one of {', '.join(SECTIONS)}")
    drawing = SECTIONS[name]
    path = report / f"{drawing.source}.json"
    try:
        data = json.loads(path.read_text())
        body = drawing.draw(data)
        if drawing.heading is not None:
            heading = drawing.heading(data)
        else:
            label = Provenance.from_dict(data["provenance"]).label()
            heading = (
                f"Measured by `{data['command']}` on {label}. Traffic: {data['traffic']};"
                f" {drawing.behind(data)} behind it"
            )
    except (OSError, ValueError, KeyError, TypeError, IndexError) as error:
        raise ReportError(f"{shown(path)} cannot be read ({error!r})") from None
    return f"{heading} ([{path.name}](report/{path.name})).\n\n{body}\n"


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def documents(root: Path = ROOT) -> list[Path]:
    """The Markdown the kit's readers read: the README, docs/ and the labs."""
    return [
        root / "README.md",
        *sorted((root / "docs").glob("*.md")),
        *sorted(root.glob("labs/**/*.md")),
    ]


def sections(paths: list[Path]) -> Iterator[Section]:
    for path in paths:
        for found in SECTION.finditer(path.read_text()):
            yield Section(path, found.group(2), found.group(3))


def pinned(key: str) -> str:
    """A pin's text: its value in hack/versions.env."""
    if key not in PINS:
        raise ReportError(f"unknown pin {key!r}: one of {', '.join(PINS)}")
    return PINS[key]


def stale(paths: list[Path], report: Path = REPORT) -> list[str]:
    """`file: section` for each section whose text is not what its results file gives, and
    `file: pin KEY` for each pin that is not hack/versions.env's."""
    found = [
        f"{shown(s.path)}: {s.name}" for s in sections(paths) if s.text != render(s.name, report)
    ]
    for path in paths:
        found += [
            f"{shown(path)}: pin {m[2]}"
            for m in PIN.finditer(path.read_text())
            if m[3] != pinned(m[2])
        ]
    return found


def rewrite(path: Path, report: Path = REPORT) -> bool:
    """Every section and pin of the file drawn again; True when that changed the file."""
    old = path.read_text()
    new = SECTION.sub(lambda m: m.group(1) + render(m.group(2), report) + m.group(4), old)
    new = PIN.sub(lambda m: m.group(1) + pinned(m.group(2)) + m.group(4), new)
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

"""Rollouts and failure drills on a real cluster, naive vs safe, under watched traffic.

Every scenario drives the cluster through the Makefile's own targets (make deploy-naive,
make deploy-safe, make rollback) or kubectl, while the watcher counts every request.

Usage:
    python3 -m tools.scenarios demo              # naive v1→v2, safe v1→v2, safe v2→v1
    python3 -m tools.scenarios drill broken      # one drill, naive and safe: broken, delete-pod,
                                                 #   crash, scale, drain (two worker nodes)
    python3 -m tools.scenarios drills            # all drills, one table (drain: two workers)
    python3 -m tools.scenarios baseline          # 60 s of the same traffic with nothing happening
    python3 -m tools.scenarios lesson --image myapp [--rollouts N] [--variant NAME...]
                                   [--slow S]    # safe minus one protection at a time, each
                                                 #   variant rolled from v1 N times; --slow:
                                                 #   every request takes S seconds

Options: --url URL or --via nodeport|gateway (the way in), --concurrency N, --rate R, --keepalive,
--timeout S (defaults in tools/traffic/defaults.py), --json FILE (results), --svg FILE (a picture
of the runs), --quiet (no live lines).
Exit status: 0 when every expectation held (safe lost nothing, or only a crash's short
burst; naive lost something where the lesson says it must; in the lesson, the control lost
nothing and every row showed what it teaches under that traffic: tools/scenarios/lesson.py), 1
otherwise, 2 on bad usage or when the cluster cannot be used.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tools.cli.parser import OneLineArgumentParser
from tools.cluster import commands as cluster
from tools.results import chart, provenance
from tools.results.result import Expectation, Result, release_lesson, table, verdicts
from tools.scenarios import drills, lesson
from tools.scenarios.measuring import Notes, Setup, measure, run_make_action
from tools.traffic import defaults
from tools.traffic.arguments import (
    add_traffic_arguments,
    number_type,
    traffic_options,
)
from tools.traffic.live import heading
from tools.traffic.options import TrafficError

# --------------------------------------------------------------------------- the demo


def rollout(variant: str, old: str, new: str, setup: Setup) -> Result:
    cluster.start_from(variant, old, setup.traffic)

    def roll(notes: Notes) -> None:
        run_make_action(notes, f"deploy-{variant}", VERSION=new)

    return measure(
        f"{variant} v{old} → v{new}",
        variant,
        roll,
        setup,
        expectation=release_lesson(variant),
        end_version=new,
    )


def demo(setup: Setup) -> list[Result]:
    return [
        rollout("naive", "1", "2", setup),
        rollout("safe", "1", "2", setup),
        rollout("safe", "2", "1", setup),
    ]


# --------------------------------------------------------------------------- the control


def baseline(seconds: float, setup: Setup) -> list[Result]:
    """The same traffic with nothing happening: the noise floor of this machine and cluster,
    to see before trusting a zero elsewhere."""
    cluster.start_from("safe", "1", setup.traffic)

    def nothing(notes: Notes) -> None:
        notes.add(f"nothing happens for {seconds:g} s")
        time.sleep(seconds)  # the interval being measured, not a wait for anything

    return [
        measure(
            f"baseline: {seconds:g} s, nothing happens",
            "safe",
            nothing,
            setup,
            expectation=Expectation.NO_FAILURES,
            end_version="1",
        )
    ]


# --------------------------------------------------------------------------- the CLI


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = OneLineArgumentParser(prog="scenarios", description=__doc__.split("\n")[0])
    parser.add_argument("--url", help=f"default: --via's, or {defaults.URL}")
    add_traffic_arguments(parser)
    parser.add_argument("--json", type=Path, help="write all results to this JSON file")
    parser.add_argument("--svg", type=Path, help="write a picture of the runs to this SVG file")
    parser.add_argument("--quiet", action="store_true", help="no live lines, only the table")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="naive v1→v2, safe v1→v2, safe v2→v1")
    drill = commands.add_parser("drill", help="one failure drill, naive and safe")
    drill.add_argument("name", choices=sorted(drills.DRILLS))
    commands.add_parser("drills", help="all failure drills")
    control = commands.add_parser("baseline", help="the same traffic, nothing happening")
    control.add_argument(
        "--seconds",
        type=number_type(float, lambda v: 0 < v <= 3600, "greater than 0 and at most 3600"),
        default=60.0,
        help="how long to measure (default %(default)g)",
    )
    take_away = commands.add_parser("lesson", help="safe minus one protection at a time")
    take_away.add_argument(
        "--image", required=True, help="the images' name, without its tag (the Makefile's IMAGE)"
    )
    take_away.add_argument(
        "--rollouts",
        type=number_type(int, lambda v: 1 <= v <= 100, "from 1 to 100"),
        default=1,
        help="v1→v2 rollouts per variant (default %(default)s)",
    )
    take_away.add_argument(
        "--slow",
        type=number_type(
            float,
            lambda v: 0 < v <= lesson.MAX_SLOW_S,
            f"greater than 0 and at most {lesson.MAX_SLOW_S:g} (the app's /delay limit)",
        ),
        help="every request asks /delay/SLOW: requests in flight when pods stop (--keepalive"
        " keeps them coming to a stopping pod)",
    )
    take_away.add_argument(
        "--variant",
        dest="variants",
        action="append",
        choices=[variant.name for variant in lesson.EVERY_VARIANT],
        help="only this variant (repeatable; default: safe as it is, then each variant)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        cluster.refuse_unless_workshop_cluster()
        setup = Setup(traffic_options(args), quiet=args.quiet)
        measured_on = provenance.measure_here() if args.json else None
        if args.command == "demo":
            results = demo(setup)
            title = "Rolling myapp from v1 to v2 and back: naive vs safe"
        elif args.command == "lesson":
            chosen = [
                v for v in lesson.EVERY_VARIANT if not args.variants or v.name in args.variants
            ]
            results = lesson.rollouts(chosen, args.rollouts, args.image, setup, args.slow)
            title = "Safe minus one protection at a time: what each one buys"
        elif args.command == "baseline":
            results = baseline(args.seconds, setup)
            title = "Steady traffic, nothing happening: the noise floor"
        else:
            names = drills.for_this_cluster() if args.command == "drills" else [args.name]
            results = drills.run(names, setup)
            title = "Failure drills: naive vs safe"
    except (cluster.ClusterError, TrafficError) as error:
        print(f"scenarios: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("scenarios: interrupted", file=sys.stderr)
        return 130

    print(f"\n{title}\n\n{table(results)}\n")
    if args.command == "lesson":
        print(f"Per variant:\n\n{lesson.table(results)}\n")
    print("\n".join(verdicts(results)))
    if measured_on is not None:
        slow = args.command == "lesson" and args.slow is not None
        traffic = setup.traffic.asking_delay(args.slow) if slow else setup.traffic
        provenance.write_results(
            args.json,
            measured_on,
            provenance.command_line("tools.scenarios", sys.argv[1:] if argv is None else argv),
            heading(traffic),
            title=title,
            results=[r.as_dict() for r in results],
        )
    if args.svg:
        chart.write_svg(args.svg, results, title=title)
        print(f"picture: {args.svg}")
    return 0 if all(r.met_expectation for r in results) else 1

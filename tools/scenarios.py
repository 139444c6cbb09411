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

Options: --url URL, --concurrency N, --rate R, --keepalive, --timeout S (defaults in
tools/defaults.py), --json FILE (results), --svg FILE (a picture of the runs), --quiet (no
live lines).
Exit status: 0 when every expectation held (safe lost nothing, naive lost something where
the lesson says it must), 1 otherwise, 2 on bad usage or when the cluster cannot be used.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tools import chart, cluster, defaults, lesson
from tools.cli_options import (
    OneLineArgumentParser,
    add_traffic_arguments,
    number_type,
    traffic_options,
)
from tools.measuring import Notes, Setup, measure, run_make_action
from tools.results import Expectation, Result, table, verdicts
from tools.traffic import TrafficError


def release_lesson(variant: str) -> Expectation:
    """The workshop's lesson for a release: naive loses requests, safe loses none."""
    return Expectation.FAILURES if variant == "naive" else Expectation.NO_FAILURES


def promise(variant: str) -> Expectation:
    """The drills' promise: the safe variant loses no request; naive is reported as it is."""
    return Expectation.REPORT_ONLY if variant == "naive" else Expectation.NO_FAILURES


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


# --------------------------------------------------------------------------- the drills


def drill_broken(variant: str, setup: Setup) -> list[Result]:
    """Roll to myapp:3 (never ready, / answers 500), then roll back."""
    cluster.start_from(variant, "1", setup.traffic)

    def roll_to_broken(notes: Notes) -> None:
        # Safe: the new pod never gets ready, so the rollout cannot complete: give up sooner
        # than the 120 s progress deadline (myapp:3 has no warm-up to wait for).
        run_make_action(
            notes,
            f"deploy-{variant}",
            expect_ok=variant == "naive",
            VERSION="3",
            ROLLOUT_TIMEOUT="30s",
        )

    def roll_back(notes: Notes) -> None:
        run_make_action(notes, "rollback")

    broken = measure(
        f"{variant}: broken release",
        variant,
        roll_to_broken,
        setup,
        expectation=release_lesson(variant),
        end_version=None,
        # Naive serves the broken pods from now on: there is no recovery to wait for.
        recovery_timeout=5.0 if variant == "naive" else 180.0,
        # Safe keeps the never-ready new pod beside the old ones: nothing settles.
        settles=variant == "naive",
    )
    back = measure(
        f"{variant}: rollback",
        variant,
        roll_back,
        setup,
        expectation=promise(variant),
        end_version="1",
    )
    return [broken, back]


def drill_delete_pod(variant: str, setup: Setup) -> list[Result]:
    """Delete one pod under load, as an eviction does."""
    cluster.start_from(variant, "1", setup.traffic)

    def delete(notes: Notes) -> None:
        name = cluster.first_pod()["metadata"]["name"]
        notes.add(f"kubectl delete pod {name}")
        cluster.kubectl("delete", "pod", name, "--wait=true")

    return [
        measure(
            f"{variant}: delete a pod",
            variant,
            delete,
            setup,
            expectation=promise(variant),
            end_version="1",
        )
    ]


def drill_crash(variant: str, setup: Setup) -> list[Result]:
    """SIGKILL the app in one pod under load; the kubelet restarts it (20 s warm-up, v2)."""
    cluster.start_from(variant, "2", setup.traffic)

    def crash(notes: Notes) -> None:
        pod = cluster.first_pod()
        name = pod["metadata"]["name"]
        restarts = pod["status"]["containerStatuses"][0]["restartCount"]
        notes.add(cluster.kill_app_container(pod))
        cluster.wait_for(
            lambda: cluster.restarted(name, restarts), 60, f"pod {name} to restart its container"
        )
        notes.add(f"pod {name} restarted its container")

    return [
        measure(
            f"{variant}: crash (SIGKILL)",
            variant,
            crash,
            setup,
            # No manifest makes a SIGKILL graceful: safe promises a short burst, not zero.
            expectation=Expectation.BURST if variant == "safe" else Expectation.REPORT_ONLY,
            end_version="2",
        )
    ]


def drill_scale(variant: str, setup: Setup) -> list[Result]:
    """Scale 3 → 1 → 3 under load (v2, so new pods need their 20 s warm-up)."""
    cluster.start_from(variant, "2", setup.traffic)

    def scale(notes: Notes) -> None:
        for replicas in (1, cluster.REPLICAS):
            notes.add(f"kubectl scale deployment/myapp --replicas={replicas}")
            cluster.kubectl("scale", "deployment/myapp", f"--replicas={replicas}")
            cluster.wait_for(
                lambda r=replicas: cluster.settled(r),
                cluster.SETTLE_TIMEOUT,
                f"{replicas} ready pods",
            )

    return [
        measure(
            f"{variant}: scale 3 → 1 → 3",
            variant,
            scale,
            setup,
            expectation=promise(variant),
            end_version="2",
        )
    ]


def drill_drain(variant: str, setup: Setup) -> list[Result]:
    """Drain the node that runs the most replicas, as node maintenance does, then uncordon it
    (v2, so every evicted pod's replacement needs its 20 s warm-up). Needs two worker nodes."""
    cluster.start_from(variant, "2", setup.traffic)
    node, running = cluster.busiest_node()

    def drain(notes: Notes) -> None:
        command = ["drain", node, "--ignore-daemonsets", "--delete-emptydir-data"]
        notes.add(f"kubectl {' '.join(command)} ({running} of the pods run there)")
        try:
            cluster.run_checked(
                [cluster.KUBECTL, *command, f"--timeout={cluster.DRAIN_TIMEOUT:.0f}s"],
                timeout=cluster.DRAIN_TIMEOUT + 30,
            )
            notes.add(f"node {node} drained")
        finally:
            cluster.kubectl("uncordon", node)
            notes.add(f"kubectl uncordon {node}")

    return [
        measure(
            f"{variant}: drain a node",
            variant,
            drain,
            setup,
            expectation=promise(variant),
            end_version="2",
        )
    ]


DRILLS: dict[str, Callable[[str, Setup], list[Result]]] = {
    "broken": drill_broken,
    "delete-pod": drill_delete_pod,
    "crash": drill_crash,
    "scale": drill_scale,
    "drain": drill_drain,
}


def drills_for_this_cluster() -> list[str]:
    """Every drill, but the drain drill only where two nodes run pods."""
    if len(cluster.nodes_taking_pods()) >= 2:
        return list(DRILLS)
    print("one node runs the pods here: no drain drill (make cluster NODES=3 has two workers)")
    return [name for name in DRILLS if name != "drain"]


def drills(names: list[str], setup: Setup) -> list[Result]:
    return [r for name in names for v in ("naive", "safe") for r in DRILLS[name](v, setup)]


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
    parser.add_argument("--url", default=defaults.URL, help="default %(default)s")
    add_traffic_arguments(parser)
    parser.add_argument("--json", type=Path, help="write all results to this JSON file")
    parser.add_argument("--svg", type=Path, help="write a picture of the runs to this SVG file")
    parser.add_argument("--quiet", action="store_true", help="no live lines, only the table")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="naive v1→v2, safe v1→v2, safe v2→v1")
    drill = commands.add_parser("drill", help="one failure drill, naive and safe")
    drill.add_argument("name", choices=sorted(DRILLS))
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
        setup = Setup(traffic_options(args), quiet=args.quiet)
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
            names = drills_for_this_cluster() if args.command == "drills" else [args.name]
            results = drills(names, setup)
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
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([r.as_dict() for r in results], indent=2) + "\n")
    if args.svg:
        chart.write_svg(args.svg, results, title=title)
        print(f"picture: {args.svg}")
    return 0 if all(r.met_expectation for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

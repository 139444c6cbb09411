"""make deploy-naive, deploy-safe and deploy FILE=...: the Service, then the files' Deployment
(and its PodDisruptionBudget) running IMAGE:VERSION, then the rollout waited for. Every check
fails with one line before anything is changed. Without a PodDisruptionBudget in the files,
safe's is deleted, so switching to naive leaves none behind.

The Makefile's guard (tools/cluster/guard.py) has let the cluster through before this runs.

Usage: python3 -m tools.cluster.deploy --image myapp [--version 1|2|3] [--timeout 180s]
                                [--startup-delay S] FILE...
       python3 -m tools.cluster.deploy --undo [--timeout 180s]      # make rollback
       python3 -m tools.cluster.deploy --remove                     # make clean
  (no --version: the other version than the one running, 1 if nothing runs; --startup-delay:
  the app's warm-up in seconds instead of its image's where it has one, e.g. myapp:2's 20 s)
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tools.cli.parser import OneLineArgumentParser
from tools.cluster import commands as cluster
from tools.cluster import guard as context_guard
from tools.cluster import kind_images
from tools.cluster import manifests as manifest_file

SERVICE = "k8s/service.yaml"
VERSIONS = ("1", "2", "3")
VERSION_WANTED = "VERSION must be 1 or 2 (3 is the drills' broken release)"
TIMEOUT_WANTED = "ROLLOUT_TIMEOUT must be a duration such as 180s"
# The app's own limit (app/config.py): STARTUP_DELAY in whole seconds, ASCII digits.
STARTUP_DELAY_WANTED = "STARTUP_DELAY must be a whole number of seconds from 0 to 3600"
MAX_STARTUP_DELAY_S = 3600
# kubectl's duration, as `rollout status --timeout` takes it
DURATION = re.compile(r"\d+(s|m|h)")


def warm_up(image: str, version: str) -> str:
    """The image's own STARTUP_DELAY ("0" when it sets none); one line when Docker lacks it."""
    found = cluster.run(["docker", "image", "inspect", "--format", "{{json .Config.Env}}", image])
    if found.returncode != 0:
        raise cluster.ClusterError(
            f"image {image} not found: build it with 'make build-v{version}'"
        )
    try:
        environment = json.loads(found.stdout) or []
    except ValueError:
        environment = []
    own = [e.partition("=")[2] for e in environment if e.startswith("STARTUP_DELAY=")]
    return own[0] if own else "0"


def shown(command: list[str], note: str = "") -> str:
    return shlex.join(command) + (f"   # {note}" if note else "")


def apply(objects: list[dict], image: str, files: list[Path], startup_delay: str | None) -> None:
    command = [*cluster.KUBECTL, "apply", "-f", SERVICE]
    print(shown(command), flush=True)
    print(cluster.run_checked(command, timeout=cluster.KUBECTL_TIMEOUT), flush=True)
    command = [*cluster.KUBECTL, "apply", "-f", "-"]
    warm_up = f", STARTUP_DELAY={startup_delay}" if startup_delay is not None else ""
    print(shown(command, f"{' '.join(map(str, files))}, image {image}{warm_up}"), flush=True)
    listing = manifest_file.with_image(objects, image, startup_delay)
    print(cluster.run_checked(command, timeout=cluster.KUBECTL_TIMEOUT, stdin=listing), flush=True)
    if not manifest_file.has_budget(objects):
        cluster.kubectl("delete", "poddisruptionbudget", "myapp", "--ignore-not-found")


def wait_for_rollout(image: str, timeout: str) -> None:
    """`kubectl rollout status`, its progress shown as it comes, its error made one line."""
    command = [*cluster.KUBECTL, "rollout", "status", "deployment/myapp", f"--timeout={timeout}"]
    print(shown(command), flush=True)
    result = subprocess.run(
        command, cwd=cluster.ROOT, stderr=subprocess.PIPE, text=True, check=False
    )
    if result.returncode != 0:
        said = result.stderr.strip().splitlines()
        reason = said[-1].removeprefix("error: ") if said else f"exit {result.returncode}"
        raise cluster.ClusterError(
            f"rollout of {image} did not complete ({reason}): new pods are not ready;"
            " see 'make status', undo with 'make rollback'"
        )


def deploy(
    name: str, version: str | None, files: list[Path], timeout: str, startup_delay: str | None
) -> None:
    cluster.require_reachable()
    objects = manifest_file.read(files)
    running = cluster.running_version()
    if version is None:
        version = "2" if running == "1" else "1"
        print(f"VERSION not given: deploying {name}:{version} ({running or 'nothing'} runs now)")
    image = f"{name}:{version}"
    # A release that is ready at once (myapp:1, :3) stays so: the knob is for a warm-up.
    if warm_up(image, version) == "0":
        startup_delay = None
    context = context_guard.current_context()
    if context.startswith("kind-"):
        for line in kind_images.load([image], context.removeprefix("kind-")):
            print(line, flush=True)
    started = time.monotonic()
    apply(objects, image, files, startup_delay)
    wait_for_rollout(image, timeout)
    cluster.log_rollout(" ".join(map(str, files)), running, version, time.monotonic() - started)


def remove() -> None:
    """`make clean`: what the deploy targets created (the Deployment, the Service, the PDB)."""
    cluster.require_reachable()
    made = ["deployment/myapp", "service/myapp", "poddisruptionbudget/myapp"]
    command = [*cluster.KUBECTL, "delete", *made, "--ignore-not-found"]
    print(shown(command), flush=True)
    print(cluster.run_checked(command, timeout=cluster.KUBECTL_TIMEOUT), flush=True)


def undo(timeout: str) -> None:
    """`make rollback`: the Deployment back to its previous revision, the rollout waited for."""
    cluster.require_reachable()
    running, started = cluster.running_version(), time.monotonic()
    command = [*cluster.KUBECTL, "rollout", "undo", "deployment/myapp"]
    print(shown(command), flush=True)
    print(cluster.run_checked(command, timeout=cluster.KUBECTL_TIMEOUT), flush=True)
    wait_for_rollout("the previous revision", timeout)
    cluster.log_rollout("rollback", running, cluster.running_version(), time.monotonic() - started)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = OneLineArgumentParser(prog="deploy", description=__doc__.splitlines()[0])
    parser.add_argument("--undo", action="store_true", help="back to the previous revision")
    parser.add_argument("--remove", action="store_true", help="delete what the deploys made")
    parser.add_argument("--image", help="the image's name, without its tag")
    parser.add_argument("--version", help="1, 2 or 3 (default: the other one than runs now)")
    parser.add_argument("--timeout", default="180s", help="for the rollout (default %(default)s)")
    parser.add_argument(
        "--startup-delay", help="the app's warm-up in seconds (default: its image's)"
    )
    parser.add_argument("files", nargs="*", type=Path, metavar="FILE")
    args = parser.parse_args(argv)
    if (args.undo or args.remove) != (not args.files and args.image is None) or (
        args.undo and args.remove
    ):
        parser.error("give --image and the FILEs to deploy, or --undo or --remove alone")
    if args.version is not None and args.version not in VERSIONS:
        parser.exit(2, f"error: {VERSION_WANTED}, not '{args.version}'\n")
    if not DURATION.fullmatch(args.timeout):
        parser.exit(2, f"error: {TIMEOUT_WANTED}, not '{args.timeout}'\n")
    delay = args.startup_delay
    if delay is not None and not (
        delay.isascii() and delay.isdigit() and int(delay) <= MAX_STARTUP_DELAY_S
    ):
        parser.exit(2, f"error: {STARTUP_DELAY_WANTED}, not '{delay}'\n")
    return args


def run_or_say(action: Callable[[], None]) -> int:
    """0 when `action` went through; its failure as one line on stderr and 1 otherwise (the
    deploy targets' and make gateway's end)."""
    try:
        action()
    except (
        cluster.ClusterError,
        manifest_file.ManifestError,
        context_guard.UnknownContext,
    ) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.remove:
        return run_or_say(remove)
    if args.undo:
        return run_or_say(lambda: undo(args.timeout))
    return run_or_say(
        lambda: deploy(args.image, args.version, args.files, args.timeout, args.startup_delay)
    )


if __name__ == "__main__":
    sys.exit(main())

"""make doctor: is this laptop ready for the workshop? One line per check, `ok`, `WARN` or `FAIL`,
each failing one with what to do on this system and where docs/troubleshooting.md says more.
Exits 1 when something blocks the workshop, 0 when there are only warnings.

It must run where the kit's own Python is missing: macOS' python3 is 3.9, Ubuntu 22.04's 3.10,
and those users need doctor most. So this module and what it imports (tools.doctor_checks,
tools.docker_checks, tools.remedies, tools.context_guard, tools.defaults,
tools.one_line_parser) keep to Python 3.8
(ruff checks their syntax with target-version py38, see pyproject.toml), and the 3.11 check asks
the interpreter given with --python instead of looking at its own.

Usage: python3 -m tools.doctor [--python python3.12] [--make gmake] [--port 30080]
                                [--gateway-port 30081] ...
(kubectl is $KUBECTL, or kubectl, as for every tool: tools.context_guard reads it)
"""

from __future__ import annotations

import argparse
import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

from tools import ROOT
from tools.cli import versions
from tools.cli.parser import OneLineArgumentParser
from tools.cli.remedies import DOCS, hint, this_system
from tools.cli.versions import PINS
from tools.cluster import guard as context_guard
from tools.doctor.checks import Check, dotted, fail, ok, run, tool_version, warn
from tools.doctor.docker import check_images, check_node_image, check_resources, docker_info
from tools.traffic import defaults

# The kit's watcher and scenarios use 3.11's stdlib.
PYTHON_NEEDED = (3, 11)
# What `python -m venv` needs to put pip in the virtualenv: ensurepip and its bundled pip.
ENSUREPIP = "import ensurepip; print(ensurepip.version())"
# Files bash and make read, which a Windows checkout with CRLF endings breaks.
LF_FILES = ("Makefile", ".ci/run", "hack/kind-offline/build.sh")
# 3.81 (Apple's /usr/bin/make) ignores .SHELLFLAGS, so recipes would go on after a failure.
MAKE_NEEDED = (3, 82)
# What the kit is tested with (hack/versions.env). An older kind creates a Kubernetes older than
# the oldest supported; kubectl must be within one minor version of the server, so one older
# than the oldest's minus one cannot talk to any of them within the skew policy.
KIND_TESTED = versions.dotted(PINS["KIND_VERSION"])
KUBERNETES = (
    versions.dotted(PINS["KUBERNETES_OLDEST"]),
    versions.dotted(PINS["KUBERNETES_NEWEST"]),
)
KUBECTL_OLDEST = (KUBERNETES[0][0], KUBERNETES[0][1] - 1)


def check_python(python: str) -> Check:
    version, said = tool_version([python, "--version"], 3)
    if version is None:
        return fail("python", f"{python}: {said}: {hint('python')}")
    if version[:2] < PYTHON_NEEDED:
        return fail(
            "python",
            f"{python} is {dotted(version)}, the kit needs {dotted(PYTHON_NEEDED)}+:"
            f" {hint('python')}",
        )
    return ok("python", f"{python} is {dotted(version)}")


def check_venv(python: str) -> Check:
    """`python -m venv` needs ensurepip, which Debian and Ubuntu (WSL's too) ship apart, in
    python3.X-venv: without it `make test` and `make prefetch` stop at the virtualenv."""
    result = run([python, "-c", ENSUREPIP])
    if result is None or result.returncode != 0 or not result.stdout.strip():
        version, _ = tool_version([python, "--version"], 2)
        package = f"python{dotted(version)}" if version else "python3"
        return fail("venv", f"{python} -m venv cannot install pip: {hint('venv', python=package)}")
    return ok("venv", f"{python} -m venv works (pip {result.stdout.strip()})")


def check_line_endings(root: Path) -> Check:
    """bash and make read Windows' CRLF as part of each command: a checkout made by Windows' git
    (core.autocrlf) or from a zip breaks every recipe."""
    crlf = [name for name in LF_FILES if b"\r\n" in (root / name).read_bytes()]
    if crlf:
        return fail(
            "line-endings",
            f"{crlf[0]} has Windows line endings (CRLF): clone the kit again inside WSL or"
            f" Linux, with git's core.autocrlf off ({DOCS}#line-endings)",
        )
    return ok("line-endings", "Unix line endings (LF)")


def check_wsl_files(root: Path) -> list[Check]:
    """Under WSL, a clone on Windows' drive (/mnt/c/...) builds slowly, through WSL's file
    bridge; WSL's own files are Linux's."""
    if this_system() != "wsl" or not str(root).startswith("/mnt/"):
        return []
    return [
        warn(
            "wsl-files",
            f"the kit is on Windows' drive ({root}): clone it in WSL's own files (cd ~),"
            f" where builds are fast ({DOCS}#wsl-files)",
        )
    ]


def check_make(make: str) -> Check:
    version, said = tool_version([make, "--version"], 2)
    if version is None or "GNU Make" not in said:
        return fail("make", f"{make}: {said}, the kit needs GNU make: {hint('make')}")
    if version < MAKE_NEEDED:
        return fail(
            "make",
            f"{make} is GNU Make {dotted(version)}, which ignores .SHELLFLAGS (the kit needs"
            f" {dotted(MAKE_NEEDED)}+): {hint('make')}",
        )
    return ok("make", f"{make} is GNU Make {dotted(version)}")


def check_kubectl() -> Check:
    kubectl = " ".join(context_guard.KUBECTL)
    version, said = tool_version([*context_guard.KUBECTL, "version", "--client"], 2)
    if version is None:
        return fail("kubectl", f"{kubectl}: {said}: {hint('kubectl')}")
    tested = f"tested: {dotted(KUBERNETES[0])} to {dotted(KUBERNETES[1])}"
    if version < KUBECTL_OLDEST:
        return fail(
            "kubectl",
            f"{kubectl} is {dotted(version)}, too old for Kubernetes {dotted(KUBERNETES[0])}+"
            f" ({tested}):"
            f" {hint('kubectl')}",
        )
    if not KUBERNETES[0] <= version <= KUBERNETES[1]:
        return warn("kubectl", f"{kubectl} is {dotted(version)}, untested ({tested})")
    return ok("kubectl", f"{kubectl} is {dotted(version)}")


def check_kind(kind: str) -> Check:
    version, said = tool_version([kind, "version"], 3)
    if version is None:
        return fail("kind", f"{kind}: {said}: {hint('kind')}")
    if version < KIND_TESTED:
        return fail(
            "kind",
            f"{kind} is v{dotted(version)}, older than the tested v{dotted(KIND_TESTED)} (its"
            f" Kubernetes would be older than {dotted(KUBERNETES[0])}): {hint('kind')}",
        )
    if version > KIND_TESTED:
        return warn(
            "kind",
            f"{kind} is v{dotted(version)}, newer than the tested v{dotted(KIND_TESTED)}:"
            f" make cluster still uses v{dotted(KIND_TESTED)}'s node image (KIND_NODE_IMAGE);"
            f" if kind refuses it, install v{dotted(KIND_TESTED)} ({DOCS}#kind)",
        )
    return ok("kind", f"{kind} is v{dotted(version)}")


def check_port(port: int, kind_cluster: str, docker_running: bool) -> Check:
    if not port_taken(port):
        return ok("port", f"127.0.0.1:{port} is free")
    if docker_running and cluster_publishes(kind_cluster, port):
        return ok("port", f"127.0.0.1:{port} is the kind cluster {kind_cluster}'s")
    return fail(
        "port",
        f"127.0.0.1:{port} is taken, and the cluster needs it: find the owner with"
        f" 'lsof -i :{port}' and stop it ({DOCS}#port)",
    )


def check_gateway_port(port: int, gateway_port: int, kind_cluster: str, docker: bool) -> Check:
    """make gateway's port: free, or the kind cluster's. A cluster made before the kit mapped it
    must be made again: Docker publishes a node's ports when kind creates it."""
    if docker and not port_taken(gateway_port) and cluster_publishes(kind_cluster, port):
        return warn(
            "gateway-port",
            f"the kind cluster {kind_cluster} does not publish 127.0.0.1:{gateway_port}, the"
            f" gateway's: make cluster-delete && make cluster before make gateway ({DOCS}#gateway)",
        )
    checked = check_port(gateway_port, kind_cluster, docker)
    return checked._replace(name="gateway-port")


def port_taken(port: int) -> bool:
    # Something answering (on 127.0.0.1 or on every address), or a listener bind cannot share;
    # SO_REUSEADDR so that a closed connection's TIME_WAIT does not count.
    with socket.socket() as probe:
        probe.settimeout(1)
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            return True
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def cluster_publishes(kind_cluster: str, port: int) -> bool:
    result = run(["docker", "port", f"{kind_cluster}-control-plane", f"{port}/tcp"])
    return bool(result and result.returncode == 0 and f"127.0.0.1:{port}" in result.stdout)


def check_context() -> Check:
    try:
        context = context_guard.current_context()
    except context_guard.UnknownContext as error:
        unknown = f"kubectl cannot tell which context it uses: {error}"
        return fail("context", f"{unknown} ({DOCS}#context)")
    workshop = context_guard.WORKSHOP_CONTEXT
    if not context:
        return ok("context", f"none yet: make cluster creates {workshop}")
    if context_guard.is_local(context):
        return ok("context", f"{context} (a local cluster)")
    named = os.environ.get(context_guard.OVERRIDE)
    if named == context:
        return ok("context", f"{context} (not local, named: {context_guard.OVERRIDE}={named})")
    return warn(
        "context",
        f"{context} is not a local cluster: the kit's targets will refuse it;"
        f" make cluster creates {workshop} and switches kubectl to it ({DOCS}#context)",
    )


def all_checks(args: argparse.Namespace) -> list[Check]:
    checks = [check_python(args.python), check_venv(args.python), check_make(args.make)]
    checks += [check_line_endings(ROOT), *check_wsl_files(ROOT)]
    docker, info = docker_info()
    checks += docker
    if info is not None:
        checks += check_resources(info)
    checks += [check_kubectl(), check_kind(args.kind), check_context()]
    checks.append(check_port(args.port, args.kind_cluster, info is not None))
    checks.append(
        check_gateway_port(args.port, args.gateway_port, args.kind_cluster, info is not None)
    )
    if info is not None:
        checks += [check_node_image(args.node_image), check_images(args.image)]
    return checks


def port_type(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port from 1 to 65535, got {text}")
    return int(text)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = OneLineArgumentParser(prog="doctor", description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="python3", help="the kit's Python (make's PYTHON)")
    parser.add_argument("--make", default="make", help="the make to run the kit with")
    parser.add_argument("--kind", default="kind", help="kind (make's KIND)")
    parser.add_argument(
        "--kind-cluster",
        default=context_guard.WORKSHOP_CONTEXT[len("kind-") :],
        help="the workshop's kind cluster (make's KIND_CLUSTER)",
    )
    parser.add_argument("--image", default="myapp", help="the image name (make's IMAGE)")
    parser.add_argument(
        "--node-image",
        default=PINS["KIND_NODE_IMAGE_NEWEST"],
        help="the node image make cluster uses (make's KIND_NODE_IMAGE)",
    )
    parser.add_argument(
        "--port",
        type=port_type,
        default=urlsplit(defaults.URL).port,
        help="the port the cluster answers on, on 127.0.0.1 (default %(default)s)",
    )
    parser.add_argument(
        "--gateway-port",
        type=port_type,
        default=urlsplit(defaults.GATEWAY_URL).port,
        help="the port make gateway's gateway answers on, on 127.0.0.1 (default %(default)s)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    checks = all_checks(args)
    for check in checks:
        print(f"{check.status:<5} {check.name:<12} {check.message}")
    failures = sum(check.status == "FAIL" for check in checks)
    warnings = sum(check.status == "WARN" for check in checks)
    if failures:
        print(f"{failures} to fix before the workshop (FAIL), {warnings} warning(s)")
        return 1
    print(f"ready for the workshop, {warnings} warning(s)")
    return 0

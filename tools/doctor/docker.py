"""make doctor's questions to Docker: the engine, the memory, CPUs and disk it has for kind's
nodes, its architecture and image store, and the workshop's images. Python 3.8+, like
tools/doctor/preflight.py."""

from __future__ import annotations

import json
import os
import shutil

from tools.cli.remedies import DOCS, hint
from tools.doctor.checks import (
    GIB,
    Check,
    dotted,
    fail,
    gib,
    ok,
    run,
    tool_version,
    version_in,
    warn,
)

# The README's floor for the engine: the kit uses only build, run, save, info and inspect.
DOCKER_NEEDED = (20, 10)
# One kind node idles at about 1 GiB (etcd, the API server, kubelet, containerd); the app's three
# replicas and a surge pod may take 256 MiB each (their limit): 2 GiB is the floor for NODES=1.
# NODES=3 (the drain drill) adds two nodes with their own kubelet, containerd and images.
MEMORY_NEEDED = 2 * GIB
MEMORY_WANTED = 4 * GIB
# kubeadm's own minimum; with one CPU the drills' timings are mostly the laptop's.
CPUS_WANTED = 2
# kindest/node unpacks to about 1 GiB per node, myapp:1/2/3 and their copies in each node, the
# archives `make load` saves, and Docker's build cache on top.
DISK_NEEDED = 5 * GIB
DISK_WANTED = 10 * GIB
# kindest/node images exist for these (Docker reports x86_64 or aarch64).
ARCHITECTURES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def docker_info() -> tuple[list[Check], dict | None]:
    """The docker line, and what `docker info` says when an engine answers."""
    client, said = tool_version(["docker", "--version"], 3)
    if client is None:
        return [fail("docker", f"docker: {said}: {hint('docker')}")], None
    result = run(["docker", "info", "--format", "{{json .}}"])
    try:
        info = json.loads(result.stdout) if result and result.returncode == 0 else None
    except ValueError:
        info = None
    if result and "permission denied" in result.stderr.lower():
        denied = "docker may not talk to Docker's engine (permission denied):"
        return [fail("docker", f"{denied} {hint('docker-permission')}")], None
    if not isinstance(info, dict) or not info.get("ServerVersion"):
        not_running = f"Docker {dotted(client)} is installed but not running:"
        return [fail("docker", f"{not_running} {hint('docker-running')}")], None
    engine = version_in(str(info["ServerVersion"]), 2)
    if engine is None or engine < DOCKER_NEEDED:
        too_old = f"Docker's engine is {info['ServerVersion']}, the kit needs 20.10+:"
        return [fail("docker", f"{too_old} {hint('docker')}")], info
    running = f"Docker {dotted(client)}, engine {info['ServerVersion']}, running"
    return [ok("docker", running)], info


def check_resources(info: dict) -> list[Check]:
    checks = []
    memory = int(info.get("MemTotal") or 0)
    resources = hint("docker-memory")
    if memory < MEMORY_NEEDED:
        message = f"Docker has {gib(memory)}, kind needs {gib(MEMORY_NEEDED)}+: {resources}"
        checks.append(fail("memory", message))
    elif memory < MEMORY_WANTED:
        message = (
            f"Docker has {gib(memory)}: enough for NODES=1, NODES=3 wants {gib(MEMORY_WANTED)}"
        )
        checks.append(warn("memory", f"{message}: {resources}"))
    else:
        checks.append(ok("memory", f"Docker has {gib(memory)}"))
    cpus = int(info.get("NCPU") or 0)
    if cpus < CPUS_WANTED:
        message = f"Docker has {cpus} CPU, kind wants {CPUS_WANTED}+: {resources}"
        checks.append(warn("cpus", message))
    else:
        checks.append(ok("cpus", f"Docker has {cpus} CPUs"))
    checks.append(check_disk(str(info.get("DockerRootDir") or "")))
    architecture = str(info.get("Architecture") or "unknown")
    if architecture in ARCHITECTURES:
        checks.append(ok("arch", f"{ARCHITECTURES[architecture]} ({architecture})"))
    else:
        message = f"Docker runs {architecture}, kind's node images are amd64 and arm64 only"
        checks.append(fail("arch", f"{message} ({DOCS}#arch)"))
    checks.append(check_image_store(info))
    return checks


def free_bytes(path: str) -> int:
    return shutil.disk_usage(path).free


def check_disk(docker_root: str) -> Check:
    # On Linux Docker's data root is on this machine; Docker Desktop keeps it in a VM whose disk
    # grows on the home directory's (macOS) or Windows' drive, so the home directory is next best.
    path = docker_root if docker_root and os.path.isdir(docker_root) else os.path.expanduser("~")
    free = free_bytes(path)
    where = f"{gib(free)} free on {path}"
    if free < DISK_NEEDED:
        return fail("disk", f"{where}, the kit needs {gib(DISK_NEEDED)}+ ({DOCS}#disk)")
    if free < DISK_WANTED:
        return warn("disk", f"{where}, {gib(DISK_WANTED)}+ is safer ({DOCS}#disk)")
    return ok("disk", where)


def check_image_store(info: dict) -> Check:
    # Informational: the kit loads images into kind through image archives (docker save, kind
    # load image-archive), which work with Docker's classic store and its containerd store alike.
    statuses = [list(pair) for pair in info.get("DriverStatus") or []]
    containerd = ["driver-type", "io.containerd.snapshotter.v1"] in statuses
    store = (
        "containerd image store" if containerd else f"classic image store ({info.get('Driver')})"
    )
    return ok("image-store", f"{store}: kind loads images through archives with either")


def image_built(name: str) -> bool:
    result = run(["docker", "image", "inspect", name])
    return result is not None and result.returncode == 0


def check_node_image(node_image: str) -> Check:
    """The node image `make cluster` starts kind's nodes from is already here: it is the biggest
    download of the day, which `make prefetch` makes before it."""
    if image_built(node_image):
        return ok("node-image", f"{node_image} is on this machine")
    pull = f"make prefetch pulls it, before the day ({DOCS}#node-image)"
    return warn("node-image", f"{node_image} is not on this machine: {pull}")


def check_images(image: str) -> Check:
    missing = [version for version in ("1", "2", "3") if not image_built(f"{image}:{version}")]
    if missing:
        names = ", ".join(f"{image}:{version}" for version in missing)
        command = "make " + " ".join(f"build-v{version}" for version in missing)
        return warn("images", f"{names} not built yet: {command}")
    return ok("images", f"{image}:1, {image}:2 and {image}:3 are built")

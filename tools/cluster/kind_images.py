"""Put Docker's images on every node of a kind cluster, whatever Docker's image store is, and only
when a node does not already hold the same image.

`kind load docker-image` pipes a plain `docker save` into each node's `ctr images import
--all-platforms`. With Docker's containerd image store (the default of Docker Desktop and of
Docker Engine 29) that archive can name platforms whose content Docker never had, and the import
fails with "ctr: content digest sha256:...: not found" (kubernetes-sigs/kind#3795). kind's
documented way round it is what this module does: `docker save --platform OS/ARCH` of the image's
own platform (containerd store only: the classic store has one platform per image), then `kind
load image-archive`.

Skipping: after a load, each node's containerd image (e.g. docker.io/library/myapp:2) is labelled
with Docker's image ID and the node's own digest of it. Docker's ID is the config digest in the
classic store, but the index's digest in the containerd store, and `--platform` stores the
platform's manifest on the node, so no one digest compares across all three; the labels do. An
image is skipped when every node holds it with both labels current, with Docker's ID as its
digest (a plain save from the containerd store), or as its CRI image ID (the classic store's
config digest, as `kind load docker-image` leaves it). Anything else is loaded: a new build
changes Docker's ID, and another load under the same name changes the node's digest.

Usage: python3 -m tools.cluster.kind_images [--cluster NAME] [--built-only] IMAGE [IMAGE ...]
  (no --cluster: the kind cluster of kubectl's context, or nothing to do on another cluster;
  --built-only: skip the images Docker does not have; KIND names the kind command, as in the
  Makefile; DOCKER_HOST selects the Docker engine)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tools.cli.parser import OneLineArgumentParser
from tools.cluster import guard as context_guard
from tools.cluster.commands import ClusterError, run, run_checked

KIND = os.environ.get("KIND", "kind")
# Labels on the node's image: what it was loaded from, and the node's digest when labelled.
LABEL_ID = "zero-downtime.docker-id"
LABEL_TARGET = "zero-downtime.node-digest"
CTR = ["ctr", "--namespace=k8s.io", "images"]


@dataclass(frozen=True)
class DockerImage:
    name: str  # as the user wrote it, e.g. myapp:2
    id: str  # docker image inspect's .Id
    platform: str  # os/arch[/variant]

    @property
    def ref(self) -> str:
        return node_ref(self.name)


def node_ref(name: str) -> str:
    """The name containerd gives an image Docker calls `name`: myapp:2 is
    docker.io/library/myapp:2, ghcr.io/x/y stays itself with :latest added."""
    first, _, rest = name.partition("/")
    if not rest:
        name = f"docker.io/library/{name}"
    elif "." not in first and ":" not in first and first != "localhost":
        name = f"docker.io/{name}"
    last = name.rsplit("/", 1)[-1]
    if ":" not in last and "@" not in last:
        name += ":latest"
    return name


def docker_image(name: str) -> DockerImage:
    try:
        out = run_checked(["docker", "image", "inspect", name])
    except ClusterError as error:
        if "No such image" in str(error):
            raise ClusterError(f"image {name} is not in Docker: build it first") from None
        raise
    try:
        found = json.loads(out)[0]
        parts = (found["Os"], found["Architecture"], found.get("Variant"))
        platform = "/".join(part for part in parts if part)
        return DockerImage(name, found["Id"], platform)
    except (ValueError, LookupError, TypeError):
        raise ClusterError(f"docker image inspect {name} did not answer with an image") from None


def save_by_platform() -> bool:
    """Whether docker save should name the image's platform: only Docker's containerd store
    (docker info's DriverStatus says so) holds images of several platforms, and only Docker 28+
    (API 1.48) has `docker save --platform`, which its help lists only when the engine has it."""
    out = run_checked(["docker", "info", "--format", "{{json .DriverStatus}}"])
    return "io.containerd.snapshotter" in out and "--platform" in run_checked(
        ["docker", "save", "--help"]
    )


def save_command(images: list[DockerImage], archive: Path, by_platform: bool) -> list[str]:
    """docker save of images of one platform into one archive (the layers they share once),
    with --platform when Docker's store holds images of several platforms."""
    platform = ["--platform", images[0].platform] if by_platform else []
    return ["docker", "save", *platform, "--output", str(archive), *(i.name for i in images)]


def cluster_nodes(cluster: str) -> list[str]:
    nodes = run_checked([KIND, "get", "nodes", "--name", cluster]).split()
    if not nodes:
        raise ClusterError(f"kind cluster '{cluster}' has no nodes: create it with 'make cluster'")
    return nodes


@dataclass(frozen=True)
class NodeImage:
    digest: str  # the node's containerd image's target: an index's or a manifest's digest
    labels: dict[str, str]


def node_images(node: str) -> dict[str, NodeImage]:
    """The images of the node's containerd by name, from `ctr images ls`, whose columns are REF
    TYPE DIGEST SIZE (two words) PLATFORMS LABELS."""
    images = {}
    for line in run_checked(["docker", "exec", node, *CTR, "ls"]).splitlines()[1:]:
        words = line.split()
        if len(words) < 4:
            continue
        labels = dict(pair.partition("=")[::2] for pair in words[-1].split(",") if "=" in pair)
        images[words[0]] = NodeImage(words[2], labels)
    return images


def node_configs(node: str) -> dict[str, str]:
    """The CRI's image IDs (its config's digest) on the node by name, from `crictl images`."""
    try:
        listing = json.loads(
            run_checked(["docker", "exec", node, "crictl", "images", "-o", "json"])
        )
        return {
            tag: entry["id"] for entry in listing["images"] or [] for tag in entry["repoTags"] or []
        }
    except (ValueError, LookupError, TypeError):
        raise ClusterError(f"crictl images on node {node} did not answer with images") from None


def holds(images: dict[str, NodeImage], image: DockerImage) -> bool:
    """Whether a node's images include `image` with the same content as Docker's: loaded here
    (the labels), or a plain save of Docker's containerd store (the index's digest is Docker's)."""
    held = images.get(image.ref)
    if held is None:
        return False
    if held.digest == image.id:
        return True
    return held.labels.get(LABEL_ID) == image.id and held.labels.get(LABEL_TARGET) == held.digest


def lacking(node: str, images: list[DockerImage]) -> list[DockerImage]:
    """The images the node does not hold. Only asks the CRI when the labels do not tell: an image
    `kind load docker-image` put there from Docker's classic store has Docker's ID as its ID."""
    held = node_images(node)
    missing = [image for image in images if not holds(held, image)]
    if missing:
        configs = node_configs(node)
        missing = [image for image in missing if configs.get(image.ref) != image.id]
    return missing


def label(node: str, image: DockerImage) -> None:
    """Record on the node what the image was loaded from, and the digest it got there."""
    held = node_images(node).get(image.ref)
    if held is None:
        raise ClusterError(f"{image.name} is not on node {node} after kind loaded it")
    labels = [f"{LABEL_ID}={image.id}", f"{LABEL_TARGET}={held.digest}"]
    run_checked(["docker", "exec", node, *CTR, "label", image.ref, *labels])


def load(names: list[str], cluster: str) -> list[str]:
    """Put the images on every node of the cluster; one line of what was done per image."""
    images = [docker_image(name) for name in dict.fromkeys(names)]
    nodes = cluster_nodes(cluster)
    with ThreadPoolExecutor(max_workers=len(nodes)) as pool:
        lacks = dict(zip(nodes, pool.map(lambda node: lacking(node, images), nodes), strict=True))
    missing = {image: [node for node in nodes if image in lacks[node]] for image in images}
    report = [
        f"{image.name}: already on every node of kind cluster '{cluster}', not loaded again"
        for image in images
        if not missing[image]
    ]
    by_platform = any(missing.values()) and save_by_platform()
    # One archive and one load for the images that the same nodes lack: myapp:1, :2 and :3
    # share all but their last layers, which then travel once.
    groups: dict[tuple[tuple[str, ...], str], list[DockerImage]] = {}
    for image in images:
        if missing[image]:
            groups.setdefault((tuple(missing[image]), image.platform), []).append(image)
    for (into, _), group in groups.items():
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="kind-images-") as directory:
            archive = Path(directory) / "images.tar"
            run_checked(save_command(group, archive, by_platform))
            run_checked(
                [KIND, "load", "image-archive", str(archive), "--name", cluster,
                 "--nodes", ",".join(into)]
            )  # fmt: skip
        for node in into:
            for image in group:
                label(node, image)
        report += [
            f"{image.name}: loaded into {', '.join(into)} of kind cluster '{cluster}'"
            f" in {time.monotonic() - started:.1f} s"
            for image in group
        ]
    return report


def kind_cluster() -> str | None:
    """The kind cluster kubectl's context names (kind-NAME), or None for another cluster."""
    context = context_guard.current_context()
    return context.removeprefix("kind-") if context.startswith("kind-") else None


def built(names: list[str]) -> list[str]:
    return [name for name in names if run(["docker", "image", "inspect", name]).returncode == 0]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = OneLineArgumentParser(
        prog="kind_images",
        description="Put Docker's images on every node of a kind cluster that lacks them.",
    )
    parser.add_argument("--cluster", help="the kind cluster's name (default: kubectl's)")
    parser.add_argument(
        "--built-only", action="store_true", help="skip the images Docker does not have"
    )
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="e.g. myapp:2")
    args = parser.parse_args(argv)
    if args.cluster is not None and not args.cluster.strip():
        parser.error("--cluster must name a kind cluster")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        cluster = args.cluster or kind_cluster()
        if cluster is None:
            context = context_guard.current_context() or "none"
            print(f"current context '{context}' is not kind: nothing to load")
            return 0
        images = built(args.images) if args.built_only else args.images
        for line in load(images, cluster) if images else []:
            print(line)
    except (ClusterError, context_guard.UnknownContext) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

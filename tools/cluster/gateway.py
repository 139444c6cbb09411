"""make gateway and make gateway-delete: the workshop behind a Gateway. The Gateway API's
standard CRDs (k8s/gateway/crds.yaml), Traefik as their controller (k8s/gateway/traefik.yaml, on
the pinned image), a Gateway and the HTTPRoute to the myapp Service (k8s/gateway/gateway.yaml),
answering on 127.0.0.1:30081 (defaults.GATEWAY_URL); each step waited for, its failure one line.

The Makefile's guard (tools/cluster/guard.py) has let the cluster through before this runs.

Usage: python3 -m tools.cluster.gateway --image IMAGE [--timeout 180s]
       python3 -m tools.cluster.gateway --remove      # all of it but the CRDs
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tools.cli.parser import OneLineArgumentParser
from tools.cluster import commands as cluster
from tools.cluster import guard as context_guard
from tools.cluster import kind_images
from tools.cluster import manifests as manifest_file
from tools.cluster.deploy import DURATION, TIMEOUT_WANTED, run_or_say, shown
from tools.traffic import defaults

CRDS = Path("k8s/gateway/crds.yaml")
CONTROLLER = Path("k8s/gateway/traefik.yaml")
GATEWAY = Path("k8s/gateway/gateway.yaml")
NAMESPACE = "traefik"
# What the next steps need established before Traefik starts: its provider waits for every
# Gateway API kind it watches, so all of the file's CRDs.
CRD_NAMES = (
    "backendtlspolicies", "gatewayclasses", "gateways", "grpcroutes", "httproutes",
    "listenersets", "referencegrants", "tcproutes", "tlsroutes", "udproutes",
)  # fmt: skip


def step(command: list[str], note: str = "", stdin: str | None = None) -> None:
    print(shown(command, note), flush=True)
    said = cluster.run_checked(command, timeout=cluster.KUBECTL_TIMEOUT, stdin=stdin)
    if said:
        print(said, flush=True)


def with_image(objects: list[dict], image: str) -> str:
    """The controller's objects, Traefik's container on `image`, as kubectl's JSON List."""
    containers = [
        container
        for o in objects
        if o.get("kind") == "Deployment"
        for container in o["spec"]["template"]["spec"]["containers"]
        if container.get("name") == "traefik"
    ]
    if len(containers) != 1:
        raise cluster.ClusterError(f"{CONTROLLER}: no Deployment with one container 'traefik'")
    containers[0]["image"] = image
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": objects})


def load_into_kind(image: str) -> None:
    """On kind, a tagged image Docker has (CI's own build, or the copy `make prefetch SAVE=1`
    wrote, loaded) goes to the nodes, which then need no registry. The pinned image, named by
    its digest, the nodes pull themselves: `docker save` keeps no digest for kind to match."""
    context = context_guard.current_context()
    if context.startswith("kind-") and "@" not in image and kind_images.built([image]):
        for line in kind_images.load([image], context.removeprefix("kind-")):
            print(line, flush=True)


def install(image: str, timeout: str) -> None:
    cluster.require_reachable()
    load_into_kind(image)
    kubectl = cluster.KUBECTL
    # Server-side: the CRDs are too big for client-side apply's last-applied annotation.
    step([*kubectl, "apply", "--server-side", "-f", str(CRDS)], "the Gateway API's CRDs")
    crds = [f"crd/{name}.gateway.networking.k8s.io" for name in CRD_NAMES]
    step([*kubectl, "wait", "--for=condition=Established", f"--timeout={timeout}", *crds])
    objects = manifest_file.documents(CONTROLLER)
    step([*kubectl, "apply", "-f", "-"], f"{CONTROLLER}, image {image}", with_image(objects, image))
    step([*kubectl, "apply", "-f", str(GATEWAY)])
    step([*kubectl, "--namespace", NAMESPACE, "rollout", "status", "deployment/traefik",
          f"--timeout={timeout}"])  # fmt: skip
    step([*kubectl, "--namespace", NAMESPACE, "wait", "--for=condition=Programmed",
          f"--timeout={timeout}", "gateway/workshop"])  # fmt: skip
    accepted = "{.status.parents[0].conditions[?(@.type=='Accepted')].status}"
    step([*kubectl, "wait", f"--timeout={timeout}", f"--for=jsonpath={accepted}=True",
          "httproute/myapp"])  # fmt: skip
    print(
        f"the gateway answers on {defaults.GATEWAY_URL} (Traefik, sending to the myapp"
        " Service's ready pods): measure through it with VIA=gateway, e.g. make watch"
        " VIA=gateway",
        flush=True,
    )


def remove() -> None:
    """What install made but the CRDs, which other gateways or tools may use."""
    cluster.require_reachable()
    step([*cluster.KUBECTL, "delete", "-f", str(GATEWAY), "-f", str(CONTROLLER),
          "--ignore-not-found"])  # fmt: skip
    print(f"kept the Gateway API's CRDs (kubectl delete -f {CRDS} removes them)", flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = OneLineArgumentParser(prog="gateway", description=__doc__.splitlines()[0])
    parser.add_argument("--image", help="Traefik's image (the Makefile's TRAEFIK_IMAGE)")
    parser.add_argument("--timeout", default="180s", help="for each wait (default %(default)s)")
    parser.add_argument("--remove", action="store_true", help="delete all of it but the CRDs")
    args = parser.parse_args(argv)
    if args.remove == bool(args.image):
        parser.error("give --image IMAGE, or --remove alone")
    if not DURATION.fullmatch(args.timeout):
        parser.exit(2, f"error: {TIMEOUT_WANTED}, not '{args.timeout}'\n")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.remove:
        return run_or_say(remove)
    return run_or_say(lambda: install(args.image, args.timeout))


if __name__ == "__main__":
    sys.exit(main())

"""What `make deploy` applies, read as the YAML documents it is: the files' objects through
kubectl's own parser (one document or several, comments, any quoting and key order), checked to
be the Deployment the Service and every tool look for (named myapp, its pods labelled app=myapp)
and maybe its PodDisruptionBudget, with the app's image set in the objects, not in the text.
"""

from __future__ import annotations

import json
from pathlib import Path

from tools.cluster import commands as cluster

NAME = "myapp"
ALLOWED_KINDS = {"Deployment", "PodDisruptionBudget"}


class ManifestError(Exception):
    """What is wrong with the files, in one line."""


def json_objects(text: str) -> list[dict]:
    """kubectl's -o json of several objects: one JSON value after another, not a List."""
    decoder, objects, position = json.JSONDecoder(), [], 0
    while position < len(text):
        if text[position].isspace():
            position += 1
            continue
        value, position = decoder.raw_decode(text, position)
        objects.extend(value["items"] if value.get("kind") == "List" else [value])
    return objects


def documents(path: Path) -> list[dict]:
    """The file's objects, as kubectl reads them. `patch --local` with an empty patch parses the
    file without a cluster (no YAML parser in the standard library, which is all tools/ uses)."""
    if not path.is_file():
        raise ManifestError(f"{path}: no such file")
    result = cluster.run(
        [*cluster.KUBECTL, "patch", "--local", f"--filename={path}", "--type=merge",
         "--patch={}", "--output=json"],
        timeout=cluster.KUBECTL_TIMEOUT,
    )  # fmt: skip
    if result.returncode != 0:
        raise ManifestError(f"{path}: kubectl cannot read it ({cluster.last_line(result)})")
    try:
        return json_objects(result.stdout)
    except (ValueError, AttributeError):
        raise ManifestError(f"{path}: kubectl read it as something else than objects") from None


def read(paths: list[Path]) -> list[dict]:
    """Every object of the files, checked together (a Deployment in one, its PDB in another)."""
    objects = [o for path in paths for o in documents(path)]
    check(objects, " + ".join(str(path) for path in paths))
    return objects


def check(objects: list[dict], path: str) -> None:
    """`path` names the files in the messages."""
    kinds = sorted({o.get("kind", "?") for o in objects} - ALLOWED_KINDS)
    if kinds:
        raise ManifestError(
            f"{path}: only a Deployment and a PodDisruptionBudget may be deployed, not {kinds[0]}"
        )
    deployments = [o for o in objects if o["kind"] == "Deployment"]
    if len(deployments) != 1 or deployments[0]["metadata"].get("name") != NAME:
        raise ManifestError(f"{path}: needs exactly one Deployment, named {NAME}")
    labels = deployments[0]["spec"]["template"]["metadata"].get("labels", {})
    if labels.get("app") != NAME:
        raise ManifestError(
            f"{path}: the Deployment's pods need the label app: {NAME} (the Service selects them)"
        )
    app_container(deployments[0], path)


def app_container(deployment: dict, path: str) -> dict:
    """The app's container: the one named myapp, or the only one."""
    containers = deployment["spec"]["template"].get("spec", {}).get("containers", [])
    named = [c for c in containers if c.get("name") == NAME]
    if len(named) == 1:
        return named[0]
    if len(containers) == 1:
        return containers[0]
    raise ManifestError(f"{path}: the Deployment needs one container, or one named {NAME}")


def has_budget(objects: list[dict]) -> bool:
    return any(o["kind"] == "PodDisruptionBudget" for o in objects)


def with_image(objects: list[dict], image: str, startup_delay: str | None = None) -> str:
    """The objects as one List for `kubectl apply -f -`, the app's container running `image`,
    and warming up for `startup_delay` seconds instead of its image's STARTUP_DELAY if given."""
    for deployment in (o for o in objects if o["kind"] == "Deployment"):
        container = app_container(deployment, NAME)
        container["image"] = image
        if startup_delay is not None:
            others = [e for e in container.get("env", []) if e.get("name") != "STARTUP_DELAY"]
            container["env"] = [*others, {"name": "STARTUP_DELAY", "value": startup_delay}]
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": objects})

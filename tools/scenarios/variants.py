"""The lesson's variants: k8s/safe.yaml minus one protection each, to measure what it buys.

A variant is never a copied manifest: it is a JSON patch (RFC 6902) that kubectl applies to
safe.yaml itself when the variant is needed (`kubectl patch --local` reads the file and asks
no cluster). So a variant cannot drift from safe.yaml, and the tools need no YAML library.

    from tools.scenarios.variants import VARIANTS, render
    text = render(VARIANTS[0], "myapp:2")  # what `kubectl apply -f -` takes
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from tools.cluster import commands as cluster

SAFE = cluster.ROOT / "k8s" / "safe.yaml"
POD = "/spec/template/spec"
CONTAINER = f"{POD}/containers/0"
# Longer than safe.yaml's 10 s preStop pause, shorter than pause + drain: the kubelet sends
# SIGTERM after the pause and SIGKILLs the app 2 s later, mid-drain. (The API refuses a grace
# period not longer than a preStop sleep action: a 5 s one is no longer a mistake one can make.)
SHORT_GRACE_S = 12
# Without a startup probe, liveness (every 10 s, 3 failures) restarts a pod that does not answer
# within about 30 s. myapp:2's own 20 s warm-up may or may not slip in before the third failure;
# 60 s never does, and it is the warm-up safe.yaml's startup probe is sized for.
LONG_WARM_UP_S = 60
# The release a variant rolls to: myapp:2, or myapp:3, the drills' broken release (/ answers
# 500, /ready never succeeds, /healthz does: only readiness can tell it cannot serve).
NEXT_RELEASE = "2"
BROKEN_RELEASE = "3"


@dataclass(frozen=True)
class Variant:
    name: str
    removed: str  # what was taken away, as the results table says it
    teaches: str  # one line
    # The one change to safe.yaml, as JSON patch operations.
    patch: tuple[dict, ...]
    # Applied to the release a rollout goes to, not to the one it starts from, so that the
    # starting pods come up as usual.
    rolled_to_patch: tuple[dict, ...] = ()
    # False where the lesson is that the rollout gets stuck (Kubernetes' progress deadline).
    rollout_completes: bool = True
    release: str = NEXT_RELEASE


def remove(path: str) -> dict:
    return {"op": "remove", "path": path}


def replace(path: str, value: object) -> dict:
    return {"op": "replace", "path": path, "value": value}


def copy(source: str, path: str) -> dict:
    return {"op": "copy", "from": source, "path": path}


def environment(name: str, value: str) -> dict:
    """Gives the container one environment variable (safe.yaml sets none)."""
    return {"op": "add", "path": f"{CONTAINER}/env", "value": [{"name": name, "value": value}]}


def with_environment(operations: list[dict], name: str, value: str) -> list[dict]:
    """`operations`, then one more environment variable, whether or not they set any."""
    if any(operation["path"] == f"{CONTAINER}/env" for operation in operations):
        variable = {"name": name, "value": value}
        return [*operations, {"op": "add", "path": f"{CONTAINER}/env/-", "value": variable}]
    return [*operations, environment(name, value)]


VARIANTS = (
    # Rolled to the broken release: with myapp:2 it loses nothing, because the startup probe
    # also keeps a warming pod out of the Service (measured; docs/lesson.md).
    Variant(
        "no-readiness",
        "readiness probe (rolled to the broken myapp:3)",
        "without readiness a release that cannot serve passes as ready and replaces every pod",
        (remove(f"{CONTAINER}/readinessProbe"),),
        release=BROKEN_RELEASE,
    ),
    Variant(
        "no-prestop",
        "preStop pause",
        "SIGTERM races the endpoint removal: the app stops listening while nodes still send to it",
        (remove(f"{CONTAINER}/lifecycle"),),
    ),
    Variant(
        "no-graceful",
        "graceful shutdown (GRACEFUL_TIMEOUT=0)",
        "what is in flight when SIGTERM arrives is cut off: slow and kept-alive requests fail",
        (environment("GRACEFUL_TIMEOUT", "0"),),
    ),
    Variant(
        "short-grace",
        f"a grace period that covers preStop + drain (now {SHORT_GRACE_S} s)",
        "a grace period shorter than preStop + drain: the kubelet SIGKILLs pods mid-request",
        (replace(f"{POD}/terminationGracePeriodSeconds", SHORT_GRACE_S),),
    ),
    Variant(
        "no-startup-probe",
        f"startup probe (new release warms up {LONG_WARM_UP_S} s)",
        "liveness kills a slow warm-up again and again: the rollout never completes",
        (remove(f"{CONTAINER}/startupProbe"),),
        rolled_to_patch=(environment("STARTUP_DELAY", str(LONG_WARM_UP_S)),),
        rollout_completes=False,
    ),
    Variant(
        "shared-probe",
        "liveness on its own endpoint (now /ready, as readiness)",
        "liveness that fails whenever a pod is busy or draining restarts pods that needed time",
        (copy(f"{CONTAINER}/readinessProbe/httpGet", f"{CONTAINER}/livenessProbe/httpGet"),),
    ),
    # Kubernetes turns a percentage into pods rounding maxUnavailable down and maxSurge up (the
    # apps/v1 API's field docs): its default, 25 % each, is 0 unavailable and 1 extra pod for 1
    # to 3 replicas, the same as safe.yaml at its 3, and 1 unavailable from 4 replicas on. So
    # the variant says 1.
    Variant(
        "max-unavailable",
        "maxUnavailable: 0 (now 1)",
        "an old pod may go before its replacement is ready: a third of the pods gone for a while",
        (replace("/spec/strategy/rollingUpdate/maxUnavailable", 1),),
    ),
)


# safe.yaml as it is: the lesson's first row, and the end-to-end tests' control.
CONTROL = Variant(
    "safe", "nothing (safe.yaml as it is)", "the control: every protection in place", ()
)


def render(
    variant: Variant, image: str, *, rolled_to: bool = False, warm_up_s: float | None = None
) -> str:
    """The variant running `image`, as JSON (which is YAML too) for `kubectl apply -f -`;
    `rolled_to`: as the release a rollout goes to; `warm_up_s`: that release's STARTUP_DELAY
    instead of its image's (the end-to-end tests' shortcut), unless the variant changes that
    release itself. Raises ClusterError (one line) when the patch no longer fits safe.yaml."""
    operations = [
        *variant.patch,
        *(variant.rolled_to_patch if rolled_to else ()),
        replace(f"{CONTAINER}/image", image),
    ]
    if rolled_to and warm_up_s is not None and not variant.rolled_to_patch:
        operations = with_environment(operations, "STARTUP_DELAY", f"{warm_up_s:g}")
    return cluster.kubectl(
        "patch",
        "--local",
        f"--filename={SAFE}",
        "--type=json",
        f"--patch={json.dumps(operations)}",
        "--output=json",
    )

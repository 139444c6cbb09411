"""The one guard between the kit and a cluster it must not touch. Every command that changes a
cluster (the Makefile's targets, ``python -m tools.scenarios``, ``python -m tools.propagation``,
the end-to-end tests) asks it first: a local workshop cluster passes, any other kubectl context
only when the user names it with CONTEXT=name.

Usage: python3 -m tools.context_guard   # prints nothing and exits 0, or one line and exits 1
"""

from __future__ import annotations

import os
import subprocess
import sys

KUBECTL = os.environ.get("KUBECTL", "kubectl")
# Where each local cluster's tool names its kubectl context: kind-NAME, k3d-NAME, and the fixed
# names of Docker Desktop, Rancher Desktop, minikube (its default profile), OrbStack and Colima.
LOCAL_CONTEXT_PREFIXES = ("kind-", "k3d-")
LOCAL_CONTEXTS = ("docker-desktop", "rancher-desktop", "minikube", "orbstack", "colima")
# The one override, shared by make (CONTEXT=name) and the Python tools (the environment).
OVERRIDE = "CONTEXT"
WORKSHOP_CONTEXT = "kind-zero-downtime"


def is_local(context: str) -> bool:
    return context.startswith(LOCAL_CONTEXT_PREFIXES) or context in LOCAL_CONTEXTS


def current_context() -> str:
    """kubectl's current context, or "" when none is set (a new laptop: nothing to protect)."""
    try:
        result = subprocess.run(
            [KUBECTL, "config", "current-context"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


def refusal(context: str, named: str = "") -> str | None:
    """Why `context` may not be changed (one line), or None. `named` is CONTEXT's value."""
    if named:
        if named == context:
            return None
        return (
            f"{OVERRIDE}={named}, but kubectl's context is '{context or 'none'}': switch with"
            f" 'kubectl config use-context {named}', or name the context you mean"
        )
    if not context or is_local(context):
        return None
    return (
        f"refusing to change the cluster of kubectl context '{context}': it is not a local"
        f" workshop cluster (kind, Docker Desktop, minikube, Rancher Desktop, k3d, ...)."
        f" Run 'make cluster' to switch to the workshop's, or, if '{context}' really is for"
        f" this, name it: {OVERRIDE}={context}"
    )


def check() -> str | None:
    """The refusal for kubectl's current context and CONTEXT from the environment, or None."""
    return refusal(current_context(), os.environ.get(OVERRIDE, ""))


def main() -> int:
    reason = check()
    if reason:
        print(reason, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

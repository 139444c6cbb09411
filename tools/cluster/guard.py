"""The one guard between the kit and a cluster it must not touch. Every command that changes a
cluster (the Makefile's targets, the scenarios' command lines, the end-to-end tests) asks it
first: a local workshop cluster passes, any other kubectl context
only when the user names it with CONTEXT=name.

It asks kubectl itself, as the command would run it: the KUBECTL the user gave (which may carry
``--context`` or ``--kubeconfig``) and KUBECONFIG (one file or several), so every way of
pointing kubectl elsewhere is seen.

Usage: python3 -m tools.cluster.guard   # prints nothing and exits 0, or one line and exits 1
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

# kubectl as the user named it, split as a shell would: KUBECTL="kubectl --context x" is a
# kubectl with a context of its own.
KUBECTL = shlex.split(os.environ.get("KUBECTL") or "kubectl")
# Where each local cluster's tool names its kubectl context: kind-NAME, k3d-NAME, and the fixed
# names of Docker Desktop, Rancher Desktop, minikube (its default profile), OrbStack and Colima.
LOCAL_CONTEXT_PREFIXES = ("kind-", "k3d-")
LOCAL_CONTEXTS = ("docker-desktop", "rancher-desktop", "minikube", "orbstack", "colima")
# The one override, shared by make (CONTEXT=name) and the Python tools (the environment).
OVERRIDE = "CONTEXT"
WORKSHOP_CONTEXT = "kind-zero-downtime"
# The context kubectl will use: --minify resolves it as every kubectl command does (a
# --context flag wins over the kubeconfig's current-context; `config current-context` ignores it).
CONTEXT_QUERY = ("config", "view", "--minify", "--output=jsonpath={.current-context}")


class UnknownContext(Exception):
    """kubectl could not say which context it would use (one line, kubectl's own)."""


def is_local(context: str) -> bool:
    return context.startswith(LOCAL_CONTEXT_PREFIXES) or context in LOCAL_CONTEXTS


def current_context() -> str:
    """The context kubectl would use, or "" when none is set (a new laptop: nothing to protect).
    Raises UnknownContext when kubectl fails otherwise (a --context it cannot find, a broken
    kubeconfig): a guard that cannot tell must not let the command through."""
    try:
        result = subprocess.run(
            [*KUBECTL, *CONTEXT_QUERY], capture_output=True, text=True, timeout=30, check=False
        )
    except FileNotFoundError:
        return ""  # no kubectl: nothing it could change
    except subprocess.TimeoutExpired:
        raise UnknownContext(f"{shlex.join(KUBECTL)} did not answer in 30 s") from None
    if result.returncode == 0:
        return result.stdout.strip()
    said = result.stderr.strip().splitlines()
    # "current-context must exist in order to minify" (kubectl since 1.2x): no context yet.
    if said and "current-context" in said[-1]:
        return ""
    raise UnknownContext(said[-1] if said else f"exit status {result.returncode}")


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
    """The refusal for kubectl's context and CONTEXT from the environment, or None."""
    try:
        context = current_context()
    except UnknownContext as error:
        return f"refusing to change a cluster: kubectl cannot tell which context it uses ({error})"
    return refusal(context, os.environ.get(OVERRIDE, ""))


def main() -> int:
    reason = check()
    if reason:
        print(reason, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Commands against the cluster and the machine: make targets, kubectl, docker, and the states
the scenarios wait for (rolled out, settled, serving one version)."""

from __future__ import annotations

import http.client
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from tools import ROOT
from tools.cli import remedies
from tools.cluster import guard as context_guard
from tools.cluster.guard import KUBECTL
from tools.traffic.options import TrafficOptions
from tools.traffic.request import HEADERS, send_request

REPLICAS = 3
SELECTOR = "app=myapp"
SETTLE_TIMEOUT = 240.0
KUBECTL_TIMEOUT = 120.0
# A drain waits for each evicted pod to be replaced (a 20 s warm-up) and to finish draining.
DRAIN_TIMEOUT = 300.0
# make's own "make: *** [Makefile:12: x] Error 1" (make[1]: *** ... when make runs make;
# gmake: *** ... where GNU make is called gmake).
MAKE_TRAILER = re.compile(r"\S*make(\[\d+\])?: \*\*\* ")
# The make that started the kit (the Makefile exports it), so a tool's own deploys run in the
# same one: on a Mac that is Homebrew's gmake, while `make` is Apple's 3.81, which the Makefile
# refuses. Run by hand, the tools prefer gmake, which is always GNU make, where there is one.
MAKE = shlex.split(os.environ.get("MAKE") or ("gmake" if shutil.which("gmake") else "make"))


# Where CI lists every rollout it does (docs/ci.md): a JSON line per rollout, when set.
ROLLOUT_LOG = "ROLLOUT_LOG"


class ClusterError(Exception):
    """A command the cluster needed failed, or the cluster could not be brought into a
    scenario's starting state; one line."""


def refuse_unless_workshop_cluster() -> None:
    """context_guard's verdict, before a tool's first command reaches the cluster."""
    reason = context_guard.check()
    if reason:
        raise ClusterError(reason)


def run(
    command: list[str],
    timeout: float = 600,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """The command's result, from the repo's root; `env` adds to this process's environment."""
    try:
        return subprocess.run(
            command,
            cwd=ROOT,
            input=stdin,
            env={**os.environ, **env} if env else None,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise ClusterError(f"{command[0]} not found: {install_hint(command[0])}") from None
    except subprocess.TimeoutExpired:
        raise ClusterError(f"{' '.join(command)} did not finish in {timeout:.0f} s") from None


def print_or_fail(program: str, lines: Callable[[], list[str]], failed: int = 1) -> int:
    """A command line's end: the lines printed and 0, or its error in one line and `failed`."""
    try:
        print("\n".join(lines()))
    except ClusterError as error:
        print(f"{program}: {error}", file=sys.stderr)
        return failed
    return 0


def install_hint(program: str) -> str:
    """How to install the program, for the kit's own tools, on this system."""
    topic = {KUBECTL[0]: "kubectl", MAKE[0]: "make"}.get(program, Path(program).name)
    return remedies.hint(topic) if topic in remedies.HINTS else "install it"


def require_reachable() -> None:
    """One line when kubectl reaches no cluster, before anything is tried on it."""
    if run([*KUBECTL, "get", "--raw", "/readyz", "--request-timeout=5s"], 30).returncode == 0:
        return
    try:
        context = context_guard.current_context() or "none"
    except context_guard.UnknownContext:
        context = "none"
    raise ClusterError(
        f"no Kubernetes cluster reachable (kubectl context '{context}'):"
        " create one with 'make cluster'"
    )


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    """The command's own last word, without make's "make: *** [...] Error 1" trailer."""
    lines = (result.stderr or result.stdout).strip().splitlines()
    own = [line for line in lines if not MAKE_TRAILER.match(line)]
    return own[-1] if own else f"exit status {result.returncode}"


def run_checked(command: list[str], timeout: float = 600, stdin: str | None = None) -> str:
    result = run(command, timeout, stdin)
    if result.returncode != 0:
        raise ClusterError(f"{' '.join(command)} failed: {last_line(result)}")
    return result.stdout.strip()


def make(target: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """`make target NAME=value...` with the kit's make, and this Python as the Makefile's
    PYTHON unless the user named one."""
    assignments = [f"{name}={value}" for name, value in variables.items()]
    python = {} if "PYTHON" in os.environ else {"PYTHON": sys.executable}
    return run([*MAKE, "--no-print-directory", target, *assignments], env=python)


def kubectl(*args: str, stdin: str | None = None) -> str:
    return run_checked([*KUBECTL, *args], timeout=KUBECTL_TIMEOUT, stdin=stdin)


def kubectl_json(*args: str) -> dict:
    """kubectl's -o json answer, or one line when it answered with something else."""
    answer = kubectl(*args)
    try:
        parsed = json.loads(answer)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        said = answer.splitlines()[0] if answer else "nothing"
        raise ClusterError(f"kubectl {' '.join(args)} answered with {said!r}, not JSON")
    return parsed


def apply(manifest: str) -> None:
    """`kubectl apply -f -`: a manifest made on the fly (a lesson variant), not a file."""
    kubectl("apply", "-f", "-", stdin=manifest)


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise ClusterError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.5)


def pods() -> list[dict]:
    return kubectl_json("get", "pods", "-l", SELECTOR, "-o", "json")["items"]


def deployment() -> dict:
    return kubectl_json("get", "deployment", "myapp", "-o", "json")


def is_ready(pod: dict) -> bool:
    conditions = pod.get("status", {}).get("conditions", [])
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def first_pod() -> dict:
    ready = sorted((p for p in pods() if is_ready(p)), key=lambda p: p["metadata"]["name"])
    if not ready:
        raise ClusterError("no ready pod of myapp to act on")
    return ready[0]


def rolled_out() -> bool:
    """What `kubectl rollout status` waits for: every replica updated and available."""
    current = deployment()
    wanted, status = current["spec"]["replicas"], current["status"]
    return status.get("observedGeneration", 0) >= current["metadata"]["generation"] and all(
        status.get(key, 0) == wanted
        for key in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas")
    )


def settled(replicas: int = REPLICAS) -> bool:
    """All replicas ready, none terminating or extra: nothing is still changing."""
    return all_settled(pods(), replicas)


def all_settled(current: list[dict], replicas: int = REPLICAS) -> bool:
    terminating = [p for p in current if p["metadata"].get("deletionTimestamp")]
    return not terminating and len(current) == replicas and all(map(is_ready, current))


def settled_cutting_short() -> bool:
    """settled(), once the pods a start replaced are deleted at once (--force): nothing is
    measured yet, so their preStop pause and drain would only delay the scenario. A shorter
    grace period would not do: the kubelet lets a preStop pause already begun run its course."""
    current = pods()
    ending = [p["metadata"]["name"] for p in current if p["metadata"].get("deletionTimestamp")]
    if not ending:
        return all_settled(current)
    kubectl("delete", "pod", *ending, "--force", "--grace-period=0", "--ignore-not-found")
    return settled()


def takes_pods(node: dict) -> bool:
    """Not cordoned and not tainted against pods (kind's control plane is, once it has workers)."""
    spec = node.get("spec", {})
    return not spec.get("unschedulable") and not any(
        taint.get("effect") in ("NoSchedule", "NoExecute") for taint in spec.get("taints", [])
    )


def nodes_taking_pods() -> list[str]:
    items = kubectl_json("get", "nodes", "-o", "json")["items"]
    return sorted(node["metadata"]["name"] for node in items if takes_pods(node))


def busiest_node() -> tuple[str, int]:
    """The node that runs the most myapp pods, and how many, among at least two nodes that
    take pods (draining the only one would leave the pods nowhere to go)."""
    candidates = nodes_taking_pods()
    if len(candidates) < 2:
        raise ClusterError(
            "draining a node needs two nodes that run pods: a kind cluster with workers,"
            " make cluster-delete && make cluster NODES=3"
        )
    running = Counter(pod["spec"].get("nodeName") for pod in pods())
    busiest = max(candidates, key=lambda name: running[name])
    return busiest, running[busiest]


def restarts() -> int:
    """Container restarts, summed over every pod of myapp there is now."""
    return sum(
        status["restartCount"]
        for pod in pods()
        for status in pod.get("status", {}).get("containerStatuses", [])
    )


def restarted(name: str, restarts_before: int) -> bool:
    pod = kubectl_json("get", "pod", name, "-o", "json")
    statuses = pod["status"].get("containerStatuses", [])
    return any(s["restartCount"] > restarts_before for s in statuses)


def serves_only(traffic: TrafficOptions, version: str, in_a_row: int = 30) -> bool:
    """True when `in_a_row` fresh requests all got `version`: with 3 pods, a pod that still
    refuses (a naive pod warming up) is missed by all 30 with a chance of (2/3)^30 < 1e-5."""
    target = traffic.target
    for _ in range(in_a_row):
        connection = http.client.HTTPConnection(target.host, target.port, timeout=traffic.timeout)
        try:
            response = send_request(connection, target.path, HEADERS)
        finally:
            connection.close()
        if response.failure or response.version != version:
            return False
    return True


def deploy(variant: str, version: str) -> subprocess.CompletedProcess[str]:
    return make(f"deploy-{variant}", VERSION=version)


def start_from(variant: str, version: str, traffic: TrafficOptions) -> None:
    """Brings the cluster to `variant` serving `version` on every pod, nothing terminating."""
    start_with(f"deploy-{variant}", version, traffic, f"{variant} v{version}")


def start_with(
    target: str, version: str, traffic: TrafficOptions, what: str, **variables: str
) -> None:
    """start_from() through any deploy target, e.g. `make deploy FILE=...` (a lab's manifest);
    `what` names what was deployed."""
    result = make(target, **variables, VERSION=version)
    if result.returncode != 0:
        command = " ".join([f"make {target}", *(f"{k}={v}" for k, v in variables.items())])
        raise ClusterError(f"{command} VERSION={version}: {last_line(result)}")
    wait_until_serving(version, traffic, what)


def start_from_manifest(manifest: str, version: str, traffic: TrafficOptions, what: str) -> None:
    """start_from() for a Deployment made on the fly (a lesson variant), under the same Service."""
    kubectl("apply", "-f", "k8s/service.yaml")
    before, started = running_version(), time.monotonic()
    apply(manifest)
    wait_for(rolled_out, SETTLE_TIMEOUT, f"the rollout of {what}")
    log_rollout(what, before, version, time.monotonic() - started)
    wait_until_serving(version, traffic, what)


def running_version() -> str | None:
    """The tag of the image the Deployment runs now, or None when there is none."""
    result = run(
        [*KUBECTL, "get", "deployment", "myapp", "--ignore-not-found",
         "--output=jsonpath={.spec.template.spec.containers[0].image}"],
        timeout=KUBECTL_TIMEOUT,
    )  # fmt: skip
    image = result.stdout.strip() if result.returncode == 0 else ""
    return image.rpartition(":")[2] if ":" in image else None


def log_rollout(what: str, old: str | None, new: str | None, seconds: float) -> None:
    """One line in ROLLOUT_LOG, if set: which test rolled what, from which version to which,
    with which warm-up, and how long until every replica was updated and available."""
    path = os.environ.get(ROLLOUT_LOG)
    if not path:
        return
    line = {
        "test": os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0],
        "what": what,
        "from": old,
        "to": new,
        "startup_delay": os.environ.get("STARTUP_DELAY") or None,
        "seconds": round(seconds, 1),
    }
    with open(path, "a", encoding="utf-8") as log:
        log.write(json.dumps(line) + "\n")


def wait_until_serving(version: str, traffic: TrafficOptions, what: str) -> None:
    """Every pod ready and serving `version`, nothing terminating; `what` names the deployment."""
    wait_for(settled_cutting_short, SETTLE_TIMEOUT, f"{REPLICAS} ready pods of {what}")
    # A naive pod is "ready" while it still warms up: wait until every pod really answers.
    wait_for(lambda: serves_only(traffic, version), SETTLE_TIMEOUT, f"all pods to serve v{version}")


def kill_app_container(pod: dict) -> str:
    """SIGKILL the app's process (PID 1 of its container) from the node's side: inside the
    container, PID 1 ignores SIGKILL. Through the node's crictl (current Kubernetes nodes run
    containerd or another CRI runtime), reached with docker exec: the node is a kind node."""
    name = pod["metadata"]["name"]
    node = pod["spec"]["nodeName"]
    crictl = ["docker", "exec", node, "crictl"]
    listed = run(
        [*crictl, "ps", "-q", "--name", "myapp", "--label", f"io.kubernetes.pod.name={name}"]
    )
    container = listed.stdout.strip()
    if listed.returncode != 0 or not container:
        raise ClusterError(
            f"cannot reach the container runtime of node {node} with docker exec {node} crictl:"
            " the crash drill needs a kind cluster, whose nodes are Docker containers"
        )
    pid = run_checked(
        [*crictl, "inspect", "-o", "go-template", "--template", "{{.info.pid}}", container]
    )
    run_checked(["docker", "exec", node, "kill", "-KILL", pid])
    return f"kill -KILL {pid} on node {node} (pod {name})"

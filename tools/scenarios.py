"""Rollouts and failure drills on a real cluster, naive vs safe, under watched traffic.

Every scenario drives the cluster through the Makefile's own targets (make deploy-naive,
make deploy-safe, make rollback) or kubectl, while tools/watch.py counts every request.

Usage:
    python3 tools/scenarios.py demo              # naive v1→v2, safe v1→v2, safe v2→v1
    python3 tools/scenarios.py drill broken      # one drill, naive and safe: broken, delete-pod,
                                                 #   crash, scale
    python3 tools/scenarios.py drills            # all drills, one table

Options: --url URL (default http://127.0.0.1:30080), --concurrency N, --rate R (default 300
requests/s), --keepalive, --json FILE (results), --svg FILE (a picture of the runs),
--quiet (no live lines).
Exit status: 0 when every expectation held (safe lost nothing, naive lost something where
the lesson says it must), 1 otherwise, 2 on bad usage or when the cluster cannot be used.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools import chart, watch

ROOT = Path(__file__).resolve().parent.parent
KUBECTL = os.environ.get("KUBECTL", "kubectl")
REPLICAS = 3
SELECTOR = "app=myapp"
# Traffic before the action, so every run shows the steady state it starts from.
BASELINE_SECONDS = 3.0
# A run ends once every request of this many seconds succeeded on the expected version.
HEALTHY_SECONDS = 3.0
SETTLE_TIMEOUT = 240.0


class ScenarioError(Exception):
    """The cluster could not be brought into a scenario's starting state; one line."""


@dataclass
class Traffic:
    url: str = "http://127.0.0.1:30080"
    concurrency: int = 8
    keepalive: bool = False
    # Paced, so the traffic measures the cluster instead of starving it: on a 2-core laptop an
    # unpaced Python client takes all the CPU that kubelet, kube-proxy and the pods need.
    rate: float | None = 300.0
    # How long one request may take before it counts as failed. Long enough that a request
    # that is merely slow (a pod busy starting its neighbours on a 2-core laptop) is not
    # counted as lost; a request to a gone or draining-and-closed pod hangs far longer or is
    # reset, and still counts.
    timeout: float = 5.0
    min_requests: int = 0
    quiet: bool = False


@dataclass
class Result:
    name: str
    variant: str
    summary: dict
    # The action (rollout, delete, kill, scale) in seconds since the traffic started.
    action_window: tuple[float, float]
    # From the action until every replica was updated and available again (what
    # `kubectl rollout status` waits for): the table's "rollout (s)".
    rollout_seconds: float
    expect_failures: bool | None  # True: must fail, False: must lose nothing, None: report only
    events: list[str] = field(default_factory=list)

    @property
    def met_expectation(self) -> bool:
        failed = self.summary["failed"]
        if self.expect_failures is None:
            return True
        return failed > 0 if self.expect_failures else failed == 0

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "variant": self.variant,
            "action_window": list(self.action_window),
            "rollout_seconds": round(self.rollout_seconds, 1),
            "expect_failures": self.expect_failures,
            "met_expectation": self.met_expectation,
            "events": self.events,
            "summary": self.summary,
        }


# --------------------------------------------------------------------------- the cluster


def run(command: list[str], timeout: float = 600) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
        )
    except FileNotFoundError:
        raise ScenarioError(f"{command[0]} not found: install it, or see the README") from None
    except subprocess.TimeoutExpired:
        raise ScenarioError(f"{' '.join(command)} did not finish in {timeout:.0f} s") from None


def run_checked(command: list[str], timeout: float = 600) -> str:
    result = run(command, timeout)
    if result.returncode != 0:
        raise ScenarioError(f"{' '.join(command)} failed: {last_line(result)}")
    return result.stdout.strip()


def make(target: str, **variables: str) -> subprocess.CompletedProcess:
    assignments = [f"{name}={value}" for name, value in variables.items()]
    return run(["make", "--no-print-directory", target, *assignments])


def kubectl(*args: str) -> str:
    return run_checked([KUBECTL, *args], timeout=120)


# make's own "make: *** [Makefile:12: x] Error 1" (make[1]: *** ... when make runs make).
MAKE_TRAILER = re.compile(r"make(\[\d+\])?: \*\*\* ")


def last_line(result: subprocess.CompletedProcess) -> str:
    """The command's own last word, without make's "make: *** [...] Error 1" trailer."""
    lines = (result.stderr or result.stdout).strip().splitlines()
    own = [line for line in lines if not MAKE_TRAILER.match(line)]
    return own[-1] if own else f"exit status {result.returncode}"


def pods() -> list[dict]:
    return json.loads(kubectl("get", "pods", "-l", SELECTOR, "-o", "json"))["items"]


def is_ready(pod: dict) -> bool:
    conditions = pod.get("status", {}).get("conditions", [])
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def rolled_out() -> bool:
    """What `kubectl rollout status` waits for: every replica updated and available."""
    deployment = json.loads(kubectl("get", "deployment", "myapp", "-o", "json"))
    wanted, status = deployment["spec"]["replicas"], deployment["status"]
    return status.get("observedGeneration", 0) >= deployment["metadata"]["generation"] and all(
        status.get(key, 0) == wanted
        for key in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas")
    )


def settled(replicas: int = REPLICAS) -> bool:
    """All replicas ready, none terminating or extra: nothing is still changing."""
    current = pods()
    terminating = [p for p in current if p["metadata"].get("deletionTimestamp")]
    return not terminating and len(current) == replicas and all(map(is_ready, current))


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise ScenarioError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.5)


def serves_only(url: str, version: str, in_a_row: int = 30) -> bool:
    """True when `in_a_row` fresh requests all got `version`: with 3 pods, a pod that still
    refuses (a naive pod warming up) is missed by all 30 with a chance of (2/3)^30 < 1e-5."""
    target = watch.parse_url(url)
    for _ in range(in_a_row):
        connection = http.client.HTTPConnection(target.host, target.port, timeout=2)
        try:
            response = watch.send_request(connection, target.path, {"Connection": "close"})
        finally:
            connection.close()
        if response.failure or response.version != version:
            return False
    return True


def deploy(variant: str, version: str) -> subprocess.CompletedProcess:
    return make(f"deploy-{variant}", VERSION=version)


def start_from(variant: str, version: str, url: str) -> None:
    """Brings the cluster to `variant` serving `version` on every pod, nothing terminating."""
    result = deploy(variant, version)
    if result.returncode != 0:
        raise ScenarioError(f"make deploy-{variant} VERSION={version}: {last_line(result)}")
    wait_for(settled, SETTLE_TIMEOUT, f"{REPLICAS} ready pods of {variant} v{version}")
    # A naive pod is "ready" while it still warms up: wait until every pod really answers.
    wait_for(lambda: serves_only(url, version), SETTLE_TIMEOUT, f"all pods to serve v{version}")


# --------------------------------------------------------------------------- measuring


class LiveLines:
    """Prints the watcher's one-line-per-second report while a scenario runs."""

    def __init__(self, watcher: watch.Watcher, quiet: bool) -> None:
        self.watcher = watcher
        self.report = None if quiet else watch.LiveReport(sys.stdout, watch.use_colour(sys.stdout))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> LiveLines:
        if self.report:
            self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(0.25):
            elapsed = self.watcher.elapsed()
            self.report.emit_until(self.watcher, int(elapsed - watch.LIVE_GRACE_S))

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        if self.report:
            self._thread.join()

    def finish(self, summary: dict) -> None:
        if self.report:
            self.report.emit_until(self.watcher, len(summary["timeline"]))


def say(text: str, quiet: bool = False) -> None:
    if not quiet:
        print(text, flush=True)


def healthy_recently(watcher: watch.Watcher, version: str | None) -> bool:
    """Every request of the last HEALTHY_SECONDS succeeded (on `version`, if given)."""
    now = watcher.elapsed()
    if now < HEALTHY_SECONDS:
        return False
    recent = [o for o in watcher.outcomes() if o.end >= now - HEALTHY_SECONDS]
    return bool(recent) and all(o.ok and version in (None, o.version) for o in recent)


def measure(
    name: str,
    variant: str,
    action: Callable[[Result], None],
    traffic: Traffic,
    *,
    expect_failures: bool | None,
    end_version: str | None,
    recovery_timeout: float = 180.0,
    settle: Callable[[], bool] | None = settled,
) -> Result:
    """Runs `action` under watched traffic; stops once the cluster settled and traffic has
    been healthy for HEALTHY_SECONDS (or recovery_timeout passed), with min_requests sent."""
    mode = "keep-alive connections" if traffic.keepalive else "a new connection per request"
    rate = f"{traffic.rate:g} requests/s" if traffic.rate else "as fast as they can"
    say(f"\n=== {name}: {traffic.concurrency} clients, {rate}, {mode}", traffic.quiet)
    watcher = watch.Watcher(
        traffic.url,
        concurrency=traffic.concurrency,
        keepalive=traffic.keepalive,
        rate=traffic.rate,
        timeout=traffic.timeout,
    )
    result = Result(name, variant, {}, (0.0, 0.0), 0.0, expect_failures)
    with LiveLines(watcher, traffic.quiet) as live:
        watcher.start()
        try:
            time.sleep(BASELINE_SECONDS)  # steady-state traffic before the action, not a sync
            started = watcher.elapsed()
            action(result)
            if settle:
                wait_for(rolled_out, SETTLE_TIMEOUT, "all replicas to be updated and available")
            result.rollout_seconds = watcher.elapsed() - started
            result.action_window = (round(started, 2), round(watcher.elapsed(), 2))
            # Old pods drain for a while after the rollout: the traffic keeps going until
            # they are gone, so any request they drop is counted.
            if settle:
                wait_for(settle, SETTLE_TIMEOUT, "terminating pods to be gone")
            deadline = time.monotonic() + recovery_timeout
            while time.monotonic() < deadline and not (
                healthy_recently(watcher, end_version)
                and len(watcher.outcomes()) >= traffic.min_requests
            ):
                time.sleep(0.25)
        finally:
            result.summary = watcher.stop()
    live.finish(result.summary)
    return result


def note(result: Result, text: str, quiet: bool) -> None:
    result.events.append(text)
    say(f"  → {text}", quiet)


def run_make_action(
    result: Result, quiet: bool, target: str, *, expect_ok: bool = True, **variables: str
) -> subprocess.CompletedProcess:
    command = " ".join([f"make {target}", *(f"{k}={v}" for k, v in variables.items())])
    note(result, command, quiet)
    outcome = make(target, **variables)
    if outcome.returncode == 0:
        note(result, f"{command}: done", quiet)
    else:
        note(result, f"{command}: exit {outcome.returncode}: {last_line(outcome)}", quiet)
    if (outcome.returncode == 0) != expect_ok:
        raise ScenarioError(f"{command} exited {outcome.returncode}, expected the opposite")
    return outcome


# --------------------------------------------------------------------------- the demo


def rollout(variant: str, old: str, new: str, traffic: Traffic) -> Result:
    start_from(variant, old, traffic.url)

    def roll(result: Result) -> None:
        run_make_action(result, traffic.quiet, f"deploy-{variant}", VERSION=new)

    return measure(
        f"{variant} v{old} → v{new}",
        variant,
        roll,
        traffic,
        expect_failures=variant == "naive",
        end_version=new,
    )


def demo(traffic: Traffic) -> list[Result]:
    return [
        rollout("naive", "1", "2", traffic),
        rollout("safe", "1", "2", traffic),
        rollout("safe", "2", "1", traffic),
    ]


# --------------------------------------------------------------------------- the drills


def safe_loses_nothing(variant: str) -> bool | None:
    """The drills' promise: the safe variant loses no request; naive is reported as it is."""
    return None if variant == "naive" else False


def drill_broken(variant: str, traffic: Traffic) -> list[Result]:
    """Roll to myapp:3 (never ready, / answers 500), then roll back."""
    start_from(variant, "1", traffic.url)

    def roll_to_broken(result: Result) -> None:
        # Safe: the new pod never gets ready, so the rollout cannot complete: give up sooner
        # than the 120 s progress deadline (myapp:3 has no warm-up to wait for).
        run_make_action(
            result,
            traffic.quiet,
            f"deploy-{variant}",
            expect_ok=variant == "naive",
            VERSION="3",
            ROLLOUT_TIMEOUT="30s",
        )

    def roll_back(result: Result) -> None:
        run_make_action(result, traffic.quiet, "rollback")

    broken = measure(
        f"{variant}: broken release",
        variant,
        roll_to_broken,
        traffic,
        expect_failures=variant == "naive",
        end_version=None,
        # Naive serves the broken pods from now on: there is no recovery to wait for.
        recovery_timeout=5.0 if variant == "naive" else 180.0,
        # Safe keeps the never-ready new pod beside the old ones: nothing settles.
        settle=settled if variant == "naive" else None,
    )
    back = measure(
        f"{variant}: rollback",
        variant,
        roll_back,
        traffic,
        expect_failures=safe_loses_nothing(variant),
        end_version="1",
    )
    return [broken, back]


def first_pod() -> dict:
    ready = sorted((p for p in pods() if is_ready(p)), key=lambda p: p["metadata"]["name"])
    if not ready:
        raise ScenarioError("no ready pod of myapp to act on")
    return ready[0]


def drill_delete_pod(variant: str, traffic: Traffic) -> list[Result]:
    """Delete one pod under load, as an eviction does."""
    start_from(variant, "1", traffic.url)

    def delete(result: Result) -> None:
        name = first_pod()["metadata"]["name"]
        note(result, f"kubectl delete pod {name}", traffic.quiet)
        kubectl("delete", "pod", name, "--wait=true")

    return [
        measure(
            f"{variant}: delete a pod",
            variant,
            delete,
            traffic,
            expect_failures=safe_loses_nothing(variant),
            end_version="1",
        )
    ]


def kill_app_container(pod: dict) -> str:
    """SIGKILL the app's process (PID 1 of its container) from the node's side: inside the
    container, PID 1 ignores SIGKILL. Works where the node's runtime is reachable through
    docker: a Docker-runtime node on this machine, or a kind node (containerd, via crictl)."""
    name = pod["metadata"]["name"]
    by_labels = run(
        [
            "docker", "ps", "-q",
            "--filter", f"label=io.kubernetes.pod.name={name}",
            "--filter", "label=io.kubernetes.container.name=myapp",
        ]
    )  # fmt: skip
    container = by_labels.stdout.strip()
    if by_labels.returncode == 0 and container:
        run_checked(["docker", "kill", "--signal", "KILL", container])
        return f"docker kill --signal KILL {container[:12]} (pod {name})"
    node = pod["spec"]["nodeName"]
    crictl = ["docker", "exec", node, "crictl"]
    listed = run(
        [*crictl, "ps", "-q", "--name", "myapp", "--label", f"io.kubernetes.pod.name={name}"]
    )
    container = listed.stdout.strip()
    if listed.returncode != 0 or not container:
        raise ScenarioError(
            f"cannot reach the container runtime of node {node} through docker: the crash drill"
            " needs a kind cluster or a Docker-runtime node on this machine"
        )
    pid = run_checked(
        [*crictl, "inspect", "-o", "go-template", "--template", "{{.info.pid}}", container]
    )
    run_checked(["docker", "exec", node, "kill", "-KILL", pid])
    return f"kill -KILL {pid} on node {node} (pod {name})"


def restarted(name: str, restarts_before: int) -> bool:
    pod = json.loads(kubectl("get", "pod", name, "-o", "json"))
    statuses = pod["status"].get("containerStatuses", [])
    return any(s["restartCount"] > restarts_before for s in statuses)


def drill_crash(variant: str, traffic: Traffic) -> list[Result]:
    """SIGKILL the app in one pod under load; the kubelet restarts it (20 s warm-up, v2)."""
    start_from(variant, "2", traffic.url)

    def crash(result: Result) -> None:
        pod = first_pod()
        name = pod["metadata"]["name"]
        restarts = pod["status"]["containerStatuses"][0]["restartCount"]
        note(result, kill_app_container(pod), traffic.quiet)
        wait_for(lambda: restarted(name, restarts), 60, f"pod {name} to restart its container")
        note(result, f"pod {name} restarted its container", traffic.quiet)

    return [
        measure(
            f"{variant}: crash (SIGKILL)",
            variant,
            crash,
            traffic,
            expect_failures=None,
            end_version="2",
        )
    ]


def drill_scale(variant: str, traffic: Traffic) -> list[Result]:
    """Scale 3 → 1 → 3 under load (v2, so new pods need their 20 s warm-up)."""
    start_from(variant, "2", traffic.url)

    def scale(result: Result) -> None:
        for replicas in (1, REPLICAS):
            note(result, f"kubectl scale deployment/myapp --replicas={replicas}", traffic.quiet)
            kubectl("scale", "deployment/myapp", f"--replicas={replicas}")
            wait_for(lambda r=replicas: settled(r), SETTLE_TIMEOUT, f"{replicas} ready pods")

    return [
        measure(
            f"{variant}: scale 3 → 1 → 3",
            variant,
            scale,
            traffic,
            expect_failures=safe_loses_nothing(variant),
            end_version="2",
        )
    ]


DRILLS = {
    "broken": drill_broken,
    "delete-pod": drill_delete_pod,
    "crash": drill_crash,
    "scale": drill_scale,
}


def drills(names: list[str], traffic: Traffic) -> list[Result]:
    return [r for name in names for v in ("naive", "safe") for r in DRILLS[name](v, traffic)]


# --------------------------------------------------------------------------- reporting

# "longest outage": every request failed; "failing for": from the first failure to the last,
# while some requests still succeeded (a crashed pod among healthy ones).
COLUMNS = ("scenario", "requests", "failed", "failures by kind", "longest outage (s)",
           "failing for (s)", "rollout (s)")  # fmt: skip


def failing_seconds(summary: dict) -> float:
    if not summary["failed"]:
        return 0.0
    return summary["last_failure_s"] - summary["first_failure_s"]


def table(results: list[Result]) -> str:
    rows = [COLUMNS]
    for r in results:
        s = r.summary
        kinds = ", ".join(f"{k} {n:,}" for k, n in s["failures_by_kind"].items()) or "-"
        rows.append(
            (
                r.name,
                f"{s['requests']:,}",
                f"{s['failed']:,}",
                kinds,
                f"{s['longest_outage_s']:.1f}",
                f"{failing_seconds(s):.1f}",
                f"{r.rollout_seconds:.1f}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = []
    for index, row in enumerate(rows):
        cells = [
            cell.ljust(width) if column in (0, 3) else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def verdicts(results: list[Result]) -> list[str]:
    lines = []
    for r in results:
        if r.expect_failures is None:
            continue
        wanted = "some failed requests" if r.expect_failures else "zero failed requests"
        status = "ok" if r.met_expectation else "UNEXPECTED"
        lines.append(f"{status}: {r.name}: expected {wanted}, got {r.summary['failed']:,}")
    return lines


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = watch.OneLineArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=Traffic.url)
    parser.add_argument(
        "--concurrency",
        type=watch.number_type(int, lambda v: v >= 1, "at least 1"),
        default=Traffic.concurrency,
    )
    parser.add_argument("--keepalive", action="store_true")
    parser.add_argument(
        "--rate",
        type=watch.number_type(float, lambda v: v > 0, "greater than 0"),
        default=Traffic.rate,
        help="total requests/s (default %(default)s)",
    )
    parser.add_argument("--json", type=Path, help="write all results to this JSON file")
    parser.add_argument("--svg", type=Path, help="write a picture of the runs to this SVG file")
    parser.add_argument("--quiet", action="store_true", help="no live lines, only the table")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="naive v1→v2, safe v1→v2, safe v2→v1")
    drill = commands.add_parser("drill", help="one failure drill, naive and safe")
    drill.add_argument("name", choices=sorted(DRILLS))
    commands.add_parser("drills", help="all failure drills")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    traffic = Traffic(
        url=args.url,
        concurrency=args.concurrency,
        keepalive=args.keepalive,
        rate=args.rate,
        quiet=args.quiet,
    )
    try:
        watch.parse_url(args.url)
        if args.command == "demo":
            results = demo(traffic)
            title = "Rolling myapp from v1 to v2 and back: naive vs safe"
        else:
            names = list(DRILLS) if args.command == "drills" else [args.name]
            results = drills(names, traffic)
            title = "Failure drills: naive vs safe"
    except (ScenarioError, watch.WatchError) as error:
        print(f"scenarios: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("scenarios: interrupted", file=sys.stderr)
        return 130

    print(f"\n{title}\n\n{table(results)}\n")
    print("\n".join(verdicts(results)))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([r.as_dict() for r in results], indent=2) + "\n")
    if args.svg:
        chart.write_svg(args.svg, [r.as_dict() for r in results], title=title)
        print(f"picture: {args.svg}")
    return 0 if all(r.met_expectation for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

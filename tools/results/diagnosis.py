"""What a run's pods did while it was measured, and its failed requests against that: so that a
verdict that failed can be understood from its message alone, e.g. a single reset in CI.

    pods = PodWatch(watcher.elapsed)      # kubectl's watch of myapp's pods, timed by the run
    pods.start(); ...; events = pods.stop()
    lines = timeline(failure_bursts(outcomes), events, action_s)
"""

from __future__ import annotations

import subprocess
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tools.cluster.commands import KUBECTL, SELECTOR
from tools.traffic.summary import Outcome

# One line per change of a pod, as kubectl's watch sends it: event type, name, deletion time,
# Ready, container restarts (empty where the pod has none yet). Separated by "|", not tabs:
# kubectl's watch output goes through a tab writer, which turns tabs into aligning spaces.
SEPARATOR = "|"
FIELDS = SEPARATOR.join(
    (
        "{.type}",
        "{.object.metadata.name}",
        "{.object.metadata.deletionTimestamp}",
        "{.object.status.conditions[?(@.type=='Ready')].status}",
        "{.object.status.containerStatuses[0].restartCount}{'\\n'}",
    )
)
# Failures closer together than this are one burst in the timeline.
BURST_GAP_S = 0.5


@dataclass(frozen=True)
class PodEvent:
    at_s: float  # seconds since the traffic started, like an Outcome's times
    pod: str
    what: str


@dataclass
class PodState:
    ready: bool | None = None
    deleting: bool = False
    restarts: int = 0


def changes(state: PodState | None, fields: list[str]) -> tuple[PodState, list[str]]:
    """A watch line's fields against what was known of the pod: its new state, and what changed.
    A pod first seen changing was there before the run, which starts from ready pods."""
    kind, _, deleted, ready_text, restarts_text = (fields + [""] * 5)[:5]
    ready = {"True": True, "False": False}.get(ready_text)
    restarts = int(restarts_text) if restarts_text.isdigit() else 0
    if kind == "ADDED":
        return PodState(bool(ready), bool(deleted), restarts), ["created"]  # not ready yet
    if kind == "DELETED":
        return PodState(ready, True, restarts), ["gone"]
    known = state or PodState(ready=True, restarts=restarts)
    what = []
    if deleted and not known.deleting:
        what.append("deleted: terminating (preStop, then SIGTERM)")
    if ready is not None and ready != known.ready:
        what.append("ready" if ready else "not ready")
    if restarts > known.restarts:
        what.append(f"container restarted ({restarts} restarts)")
    return PodState(ready if ready is not None else known.ready, bool(deleted), restarts), what


class KubectlWatch:
    """A kubectl watch read line by line in a thread while a run lasts. Best effort: where
    kubectl cannot watch, nothing is read."""

    def __init__(self, *arguments: str) -> None:
        self.command = [*KUBECTL, *arguments]
        self._process: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    def take(self, line: str) -> None:
        raise NotImplementedError

    def start(self) -> None:
        try:
            self._process = subprocess.Popen(
                self.command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
            )
        except OSError:
            return
        self._reader = threading.Thread(target=self._read, name="kubectl-watch", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            self.take(line.rstrip("\n"))

    def finish(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
        if self._reader is not None:
            self._reader.join(timeout=5)
        if self._process is not None and self._process.stdout is not None:
            self._process.stdout.close()


class PodWatch(KubectlWatch):
    """kubectl's watch of myapp's pods during a run, each change timed by `clock` (the
    watcher's)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        super().__init__("get", "pods", "-l", SELECTOR, "--watch-only", "--output-watch-events",
                         "-o", f"jsonpath={FIELDS}")  # fmt: skip
        self.clock = clock
        self.events: list[PodEvent] = []
        self._states: dict[str, PodState] = {}

    def take(self, line: str) -> None:
        fields = line.split(SEPARATOR)
        if len(fields) < 2 or not fields[1]:
            return
        at, pod = self.clock(), fields[1]
        self._states[pod], what = changes(self._states.get(pod), fields)
        self.events.extend(PodEvent(round(at, 2), pod, change) for change in what)

    def stop(self) -> list[PodEvent]:
        self.finish()
        return list(self.events)


class ReplicaWatch(KubectlWatch):
    """The Deployment's replicas during a run: the fewest available at once (what
    maxUnavailable allows), and the most pods at once (what maxSurge costs)."""

    def __init__(self) -> None:
        counts = "jsonpath={.status.availableReplicas}|{.status.replicas}{'\\n'}"
        super().__init__("get", "deployment", "myapp", "--watch", "-o", counts)
        self.available: list[int] = []
        self.pods: list[int] = []

    def take(self, line: str) -> None:
        available, _, pods = line.partition("|")
        # An unset count (no pod available yet) is left out of the JSON: none.
        self.available.append(int(available) if available.isdigit() else 0)
        if pods.isdigit():
            self.pods.append(int(pods))

    def stop(self) -> tuple[int | None, int | None]:
        """(the fewest available replicas, the most pods), None where nothing was seen."""
        self.finish()
        return min(self.available, default=None), max(self.pods, default=None)


@dataclass(frozen=True)
class Burst:
    """Failed requests less than BURST_GAP_S apart: when the first began, the last ended."""

    start_s: float
    end_s: float
    kinds: dict[str, int]


def failure_bursts(outcomes: Iterable[Outcome]) -> list[Burst]:
    bursts: list[Burst] = []
    current: list[Outcome] = []
    for outcome in sorted((o for o in outcomes if not o.ok), key=lambda o: o.start):
        if current and outcome.start - max(o.end for o in current) > BURST_GAP_S:
            bursts.append(burst_of(current))
            current = []
        current.append(outcome)
    if current:
        bursts.append(burst_of(current))
    return bursts


def burst_of(failures: list[Outcome]) -> Burst:
    kinds = Counter(o.failure or "error" for o in failures)
    return Burst(
        round(min(o.start for o in failures), 2),
        round(max(o.end for o in failures), 2),
        dict(kinds.most_common()),
    )


def timeline(bursts: list[Burst], events: list[PodEvent], action_s: float) -> list[str]:
    """Failure bursts and pod events in time order, each at its second of the run and
    relative to the action, e.g. `  14.20 s (action +11.18 s)  failed: reset 1`."""

    def when(at_s: float) -> str:
        return f"{at_s:8.2f} s (action {at_s - action_s:+7.2f} s)"

    rows = [
        (b.start_s, f"{when(b.start_s)}  failed until {b.end_s:.2f} s: "
         + ", ".join(f"{kind} {n:,}" for kind, n in b.kinds.items()))
        for b in bursts
    ] + [(e.at_s, f"{when(e.at_s)}  pod {e.pod}: {e.what}") for e in events]  # fmt: skip
    return [text for _, text in sorted(rows, key=lambda row: row[0])]

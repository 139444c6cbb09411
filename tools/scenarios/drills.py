"""The failure drills, naive vs safe under watched traffic: a broken release and its rollback,
a deleted pod, a crashed app, scaling down and up, a drained node. `python -m tools.scenarios
drill NAME` and `drills` run them (make drill-*, make drills)."""

from __future__ import annotations

from collections.abc import Callable

from tools.cluster import commands as cluster
from tools.results.result import Expectation, Result, release_lesson
from tools.scenarios.measuring import Notes, Setup, measure, run_make_action


def promise(variant: str) -> Expectation:
    """The drills' promise: the safe variant loses no request; naive is reported as it is."""
    return Expectation.REPORT_ONLY if variant == "naive" else Expectation.NO_FAILURES


def drill_broken(variant: str, setup: Setup, give_up: str = "30s") -> list[Result]:
    """Roll to myapp:3 (never ready, / answers 500), then roll back; `give_up`: how long the
    safe rollout to it is waited for (kubectl's duration)."""
    cluster.start_from(variant, "1", setup.traffic)

    def roll_to_broken(notes: Notes) -> None:
        # Safe: the new pod never gets ready, so the rollout cannot complete: give up sooner
        # than the 120 s progress deadline (myapp:3 has no warm-up to wait for).
        run_make_action(
            notes,
            f"deploy-{variant}",
            expect_ok=variant == "naive",
            VERSION="3",
            ROLLOUT_TIMEOUT=give_up,
        )

    def roll_back(notes: Notes) -> None:
        run_make_action(notes, "rollback")

    broken = measure(
        f"{variant}: broken release",
        variant,
        roll_to_broken,
        setup,
        expectation=release_lesson(variant),
        end_version=None,
        # Naive serves the broken pods from now on: there is no recovery to wait for.
        recovery_timeout=5.0 if variant == "naive" else 180.0,
        # Safe keeps the never-ready new pod beside the old ones: nothing settles.
        settles=variant == "naive",
    )
    back = measure(
        f"{variant}: rollback",
        variant,
        roll_back,
        setup,
        expectation=promise(variant),
        end_version="1",
    )
    return [broken, back]


def drill_delete_pod(variant: str, setup: Setup) -> list[Result]:
    """Delete one pod under load, as an eviction does."""
    cluster.start_from(variant, "1", setup.traffic)

    def delete(notes: Notes) -> None:
        name = cluster.first_pod()["metadata"]["name"]
        notes.add(f"kubectl delete pod {name}")
        cluster.kubectl("delete", "pod", name, "--wait=true")

    return [
        measure(
            f"{variant}: delete a pod",
            variant,
            delete,
            setup,
            expectation=promise(variant),
            end_version="1",
        )
    ]


def drill_crash(variant: str, setup: Setup) -> list[Result]:
    """SIGKILL the app in one pod under load; the kubelet restarts it (20 s warm-up, v2)."""
    cluster.start_from(variant, "2", setup.traffic)

    def crash(notes: Notes) -> None:
        pod = cluster.first_pod()
        name = pod["metadata"]["name"]
        restarts = pod["status"]["containerStatuses"][0]["restartCount"]
        notes.add(cluster.kill_app_container(pod))
        cluster.wait_for(
            lambda: cluster.restarted(name, restarts), 60, f"pod {name} to restart its container"
        )
        notes.add(f"pod {name} restarted its container")

    return [
        measure(
            f"{variant}: crash (SIGKILL)",
            variant,
            crash,
            setup,
            # No manifest makes a SIGKILL graceful: safe promises a short burst, not zero.
            expectation=Expectation.BURST if variant == "safe" else Expectation.REPORT_ONLY,
            end_version="2",
        )
    ]


def drill_scale(variant: str, setup: Setup) -> list[Result]:
    """Scale 3 → 1 → 3 under load (v2, so new pods need their 20 s warm-up)."""
    cluster.start_from(variant, "2", setup.traffic)

    def scale(notes: Notes) -> None:
        for replicas in (1, cluster.REPLICAS):
            notes.add(f"kubectl scale deployment/myapp --replicas={replicas}")
            cluster.kubectl("scale", "deployment/myapp", f"--replicas={replicas}")
            cluster.wait_for(
                lambda r=replicas: cluster.settled(r),
                cluster.SETTLE_TIMEOUT,
                f"{replicas} ready pods",
            )

    return [
        measure(
            f"{variant}: scale 3 → 1 → 3",
            variant,
            scale,
            setup,
            expectation=promise(variant),
            end_version="2",
        )
    ]


def drill_drain(variant: str, setup: Setup) -> list[Result]:
    """Drain the node that runs the most replicas, as node maintenance does, then uncordon it
    (v2, so every evicted pod's replacement needs its 20 s warm-up). Needs two worker nodes."""
    cluster.start_from(variant, "2", setup.traffic)
    node, running = cluster.busiest_node()

    def drain(notes: Notes) -> None:
        command = ["drain", node, "--ignore-daemonsets", "--delete-emptydir-data"]
        notes.add(f"kubectl {' '.join(command)} ({running} of the pods run there)")
        try:
            cluster.run_checked(
                [*cluster.KUBECTL, *command, f"--timeout={cluster.DRAIN_TIMEOUT:.0f}s"],
                timeout=cluster.DRAIN_TIMEOUT + 30,
            )
            notes.add(f"node {node} drained")
        finally:
            cluster.kubectl("uncordon", node)
            notes.add(f"kubectl uncordon {node}")

    return [
        measure(
            f"{variant}: drain a node",
            variant,
            drain,
            setup,
            expectation=promise(variant),
            end_version="2",
        )
    ]


DRILLS: dict[str, Callable[[str, Setup], list[Result]]] = {
    "broken": drill_broken,
    "delete-pod": drill_delete_pod,
    "crash": drill_crash,
    "scale": drill_scale,
    "drain": drill_drain,
}


def for_this_cluster() -> list[str]:
    """Every drill, but the drain drill only where two nodes run pods."""
    if len(cluster.nodes_taking_pods()) >= 2:
        return list(DRILLS)
    print("one node runs the pods here: no drain drill (make cluster NODES=3 has two workers)")
    return [name for name in DRILLS if name != "drain"]


def run(names: list[str], setup: Setup) -> list[Result]:
    return [r for name in names for v in ("naive", "safe") for r in DRILLS[name](v, setup)]

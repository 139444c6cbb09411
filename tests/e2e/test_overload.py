"""Overload on a real cluster: a flood of slow requests makes pods busy. Safe's liveness asks
the master, outside the request pool, and restarts no pod; the lesson's shared-probe variant
asks /ready through the pool, as readiness does, and restarts pods that were only busy."""

import dataclasses
import json

import pytest

from tests.e2e.conftest import LIVENESS_PERIOD_S, liveness_every
from tools.cluster import commands
from tools.scenarios.lesson import by_name
from tools.scenarios.variants import render
from tools.traffic.watcher import Watcher

# In both variants liveness is probed every LIVENESS_PERIOD_S (conftest.py): what restarts a pod
# here is where liveness is answered, the master or the request pool. Over twice as long as
# liveness then tolerates (3 failures x 2 s) if it were answered through the pool.
FLOOD_SECONDS = 15
# Three times the 24 threads that 3 pods x 2 workers x 4 threads have. Kept-alive, so the
# connections stay with their pods even once those drop out of the Service as not ready:
# with liveness answered through the pool, every pod was restarted.
FLOOD_CLIENTS = 72
# Longer than liveness's 2 s timeout, and short, so the flood's last requests drain soon.
SLOW_S = 5


def restart_counts() -> dict[str, int]:
    return {
        pod["metadata"]["name"]: pod["status"]["containerStatuses"][0]["restartCount"]
        for pod in commands.pods()
    }


@pytest.mark.parametrize(("name", "restarts"), [("safe", False), ("shared-probe", True)])
def test_a_flood_of_slow_requests_restarts_pods_only_where_liveness_asks_readiness(
    cluster, setup, name, restarts
):
    variant = by_name(name)
    variant = dataclasses.replace(
        variant, patch=(*variant.patch, liveness_every(LIVENESS_PERIOD_S))
    )
    commands.start_from_manifest(render(variant, "myapp:1"), "1", setup.traffic, f"{name} v1")
    before = restart_counts()
    flood = dataclasses.replace(
        setup.traffic.asking_delay(SLOW_S),
        concurrency=FLOOD_CLIENTS,
        keepalive=True,
        rate=None,
        timeout=60,
    )
    watcher = Watcher(flood)
    watcher.start()
    try:
        commands.wait_for(lambda: watcher.elapsed() >= FLOOD_SECONDS, 60, "the flood to run")
    finally:
        summary = watcher.stop()

    # The pods were really saturated: slow requests answered, and many had to wait or fail.
    assert summary.ok_by_version.get("1", 0) > 0, json.dumps(summary.as_dict())[:2000]
    # Read once every pod is ready again: a restart liveness decided on near the flood's end
    # shows by then (a restarting pod is not ready), and a pod that only got slow has had its
    # failing probes reset by answering again.
    commands.wait_for(commands.settled, commands.SETTLE_TIMEOUT, "the pods to be ready again")
    after = restart_counts()
    # Safe: the same pods, none restarted. Shared probe: liveness timed out behind the flood.
    assert (after != before) == restarts, (before, after)

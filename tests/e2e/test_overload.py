"""Overload on a real cluster: a flood of slow requests makes pods busy, never restarted."""

import dataclasses
import json

from tools import cluster as commands
from tools.traffic import Watcher

# Longer than liveness tolerates (3 failures x 10 s) if it were answered through the pool.
FLOOD_SECONDS = 40
# Three times the 24 threads that 3 pods x 2 workers x 4 threads have. Kept-alive, so the
# connections stay with their pods even once those drop out of the Service as not ready:
# with liveness answered through the pool, every pod was restarted (measured on v1.20).
FLOOD_CLIENTS = 72


def restart_counts() -> dict[str, int]:
    return {
        pod["metadata"]["name"]: pod["status"]["containerStatuses"][0]["restartCount"]
        for pod in commands.pods()
    }


def test_a_flood_of_slow_requests_restarts_no_pod(cluster, setup):
    commands.start_from("safe", "1", setup.traffic)
    before = restart_counts()
    flood = dataclasses.replace(
        setup.traffic,
        url=setup.traffic.url.rstrip("/") + "/delay/10",
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
    # Liveness answered outside the request pool all along: the same pods, no restart.
    assert restart_counts() == before
    commands.wait_for(commands.settled, commands.SETTLE_TIMEOUT, "the pods to be ready again")

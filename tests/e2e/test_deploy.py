"""The deploy targets on a real cluster: switching variants and their one-line errors."""

import pytest

from tools import cluster as commands
from tools.variants import VARIANTS, render


def service_uid() -> str:
    return commands.kubectl("get", "service", "myapp", "-o", "jsonpath={.metadata.uid}")


def has_pdb() -> bool:
    return bool(commands.kubectl("get", "poddisruptionbudget", "--ignore-not-found", "-o", "name"))


def test_manifests_pass_server_side_dry_run(cluster):
    for manifest in ["k8s/service.yaml", "k8s/naive.yaml", "k8s/safe.yaml", "k8s/pdb.yaml"]:
        commands.kubectl("apply", "--dry-run=server", "-f", manifest)


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_lesson_variants_pass_server_side_dry_run(cluster, variant):
    for rolled_to in (False, True):
        manifest = render(variant, "myapp:2", rolled_to=rolled_to)
        commands.kubectl("apply", "--dry-run=server", "-f", "-", stdin=manifest)


def test_switching_variants_keeps_the_service_and_drops_the_other_variants_fields(cluster):
    assert commands.deploy("safe", "1").returncode == 0
    uid = service_uid()
    spec = commands.deployment()["spec"]
    assert spec["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}
    assert "readinessProbe" in spec["template"]["spec"]["containers"][0]
    # The disruption budget comes with safe, and goes with it.
    assert has_pdb()

    assert commands.deploy("naive", "1").returncode == 0
    spec = commands.deployment()["spec"]
    app = spec["template"]["spec"]["containers"][0]
    assert not {"readinessProbe", "livenessProbe", "startupProbe", "lifecycle"} & app.keys()
    # Kubernetes' default strategy again (25 % / 25 %).
    assert spec["strategy"]["rollingUpdate"] == {"maxSurge": "25%", "maxUnavailable": "25%"}
    assert service_uid() == uid
    assert not has_pdb()


def test_missing_image_is_one_line(cluster):
    result = commands.make("deploy-safe", VERSION="1", IMAGE="myapp-missing")
    assert result.returncode != 0
    assert "error: image myapp-missing:1 not found: build it with 'make build-v1'" in result.stderr

"""The deploy targets on a real cluster: switching variants, every file the labs hand to
`make deploy`, YAML laid out as attendees write it, and the one-line errors."""

import pytest

from tests.cluster.test_manifests import SHAPES
from tests.helpers import ROOT
from tools.cluster import commands
from tools.scenarios import labs
from tools.scenarios.variants import VARIANTS, render


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


def running_image() -> str:
    return commands.deployment()["spec"]["template"]["spec"]["containers"][0]["image"]


# Every file the labs hand to `make deploy FILE=...` (their READMEs, and make check's files) is
# deployed on the cluster by a test: here, unless another test deploys it already.
DEPLOYED_ELSEWHERE = {
    labs.LABS[
        2
    ].work: "is k8s/naive.yaml (tests/scenarios/test_labs.py), which test_rollout.py deploys",
    labs.LABS[2].solution: "make check LAB=2 deploys it (test_lab_checks.py)",
    labs.LABS[4].work: "lab 4's check deploys it (test_lesson_outcomes.py)",
    labs.LABS[
        4
    ].solution: "is k8s/safe.yaml (tests/scenarios/test_labs.py), which test_rollout.py deploys",
}
LAB_FILES = sorted(
    str(path.relative_to(ROOT))
    for path in [*ROOT.glob("labs/*/deployment.yaml"), *ROOT.glob("labs/*/solution/*.yaml")]
    if path not in DEPLOYED_ELSEWHERE
)


@pytest.mark.parametrize("path", LAB_FILES)
def test_every_file_the_labs_deploy_rolls_out_with_its_budget_or_none(cluster, path):
    result = commands.make("deploy", FILE=path, VERSION="1")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    assert "Traceback" not in result.stderr
    assert running_image() == "myapp:1"
    assert has_pdb() == ("kind: PodDisruptionBudget" in (ROOT / path).read_text())


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_yaml_as_attendees_write_it_deploys_the_asked_version_and_keeps_its_budget(
    cluster, tmp_path, shape
):
    path = tmp_path / f"{shape}.yaml"
    path.write_text(SHAPES[shape])
    # Neither shape has probes: the rollout to v2 completes while v2 still warms up.
    result = commands.make("deploy", FILE=str(path), VERSION="2")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    assert running_image() == "myapp:2"
    assert has_pdb() == ("PodDisruptionBudget" in SHAPES[shape])

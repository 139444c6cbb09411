"""The lesson's variants: each is k8s/safe.yaml minus one thing, and still a valid Deployment."""

import json
import re
import shutil

import kubernetes_validate
import pytest

from app.config import load_settings
from tests.helpers import container, differences, load_manifest, safe_pre_stop_s
from tools.cluster import commands as cluster
from tools.scenarios.lesson import by_name
from tools.scenarios.variants import (
    BROKEN_RELEASE,
    CONTAINER,
    CONTROL,
    NEXT_RELEASE,
    VARIANTS,
    Variant,
    remove,
    render,
)

EACH_VARIANT = pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
BOTH_RELEASES = pytest.mark.parametrize("rolled_to", [False, True], ids=["from", "to"])


@pytest.fixture(scope="module", autouse=True)
def kubectl_that_reaches_no_cluster(require):
    """kubectl applies the patches. A kubeconfig naming no cluster proves `patch --local`
    needs none, and keeps these tests off whatever cluster kubectl points at."""
    require(shutil.which(cluster.KUBECTL[0]) is not None, f"{cluster.KUBECTL[0]} is not installed")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KUBECONFIG", "/nonexistent/kubeconfig")
        yield


def rendered(
    variant: Variant, image: str = "myapp:1", rolled_to: bool = False, warm_up_s=None
) -> dict:
    return json.loads(render(variant, image, rolled_to=rolled_to, warm_up_s=warm_up_s))


def dotted(pointer: str) -> str:
    """A JSON patch path (/a/b/0/c) as differences() names it (a.b[0].c)."""
    path = ""
    for part in pointer.strip("/").split("/"):
        path += f"[{part}]" if part.isdigit() else f".{part}" if path else part
    return path


def within(path: str, named: str) -> bool:
    return path == named or path.startswith((f"{named}.", f"{named}["))


def environment(deployment: dict) -> dict[str, str]:
    return {pair["name"]: pair["value"] for pair in container(deployment).get("env", [])}


@pytest.fixture(scope="module")
def safe():
    return load_manifest("safe.yaml")


def test_one_change_each_with_a_unique_command_line_name():
    names = [variant.name for variant in VARIANTS]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*", name) for name in names)
    for variant in VARIANTS:
        assert len(variant.patch) == 1, variant.name
        assert len(variant.rolled_to_patch) <= 1, variant.name


@EACH_VARIANT
@BOTH_RELEASES
def test_each_variant_differs_from_safe_only_where_its_row_says(safe, variant, rolled_to):
    operations = [*variant.patch, *(variant.rolled_to_patch if rolled_to else ())]
    named = {dotted(operation["path"]) for operation in operations}
    found = differences(safe, rendered(variant, rolled_to=rolled_to))
    assert {path for path in found if not any(within(path, n) for n in named)} == set()
    # ...and each named path really changed.
    assert {n for n in named if not any(within(path, n) for path in found)} == set()


@EACH_VARIANT
def test_the_image_is_the_only_other_change(variant):
    assert differences(rendered(variant), rendered(variant, "myapp:2")) == {
        "spec.template.spec.containers[0].image"
    }


@EACH_VARIANT
@BOTH_RELEASES
def test_every_variant_is_a_valid_deployment(variant, rolled_to):
    # As `make lint` checks the files: strict, against the newest Kubernetes it knows.
    kubernetes_validate.validate(
        rendered(variant, "myapp:2", rolled_to),
        kubernetes_validate.latest_version(),
        strict=True,
    )


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("no-readiness", "readinessProbe"),
        ("no-prestop", "lifecycle"),
        ("no-startup-probe", "startupProbe"),
    ],
)
def test_what_a_variant_removes_is_gone(name, field):
    assert field not in container(rendered(by_name(name)))


def test_no_graceful_makes_the_app_exit_at_once():
    settings = load_settings(environment(rendered(by_name("no-graceful"))))
    assert settings.graceful_timeout == 0


def test_short_grace_runs_out_during_the_drain_that_follows_the_pre_stop_pause():
    pod = rendered(by_name("short-grace"))["spec"]["template"]["spec"]
    grace = pod["terminationGracePeriodSeconds"]
    # The API accepts a preStop sleep only shorter than the grace period.
    assert safe_pre_stop_s() < grace
    # Less than the lesson's slow requests (5 s) get to finish after the pause.
    assert grace - safe_pre_stop_s() < 5


def test_no_startup_probe_gives_only_the_new_release_a_warm_up_liveness_cannot_wait_for():
    variant = by_name("no-startup-probe")
    starting, rolled_to = rendered(variant), rendered(variant, rolled_to=True)
    # The starting pods keep their image's own warm-up and come up as usual.
    assert environment(starting) == {}
    liveness = container(rolled_to)["livenessProbe"]
    tolerated = liveness["periodSeconds"] * liveness["failureThreshold"]
    assert load_settings(environment(rolled_to)).startup_delay > tolerated
    # So the lesson waits for Kubernetes' progress deadline instead of a completed rollout.
    assert not variant.rollout_completes


def test_shared_probe_asks_liveness_what_readiness_asks():
    app = container(rendered(by_name("shared-probe")))
    assert app["livenessProbe"]["httpGet"] == app["readinessProbe"]["httpGet"]
    assert app["livenessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}


def test_max_unavailable_lets_one_old_pod_go_before_its_replacement_is_ready():
    strategy = rendered(by_name("max-unavailable"))["spec"]["strategy"]["rollingUpdate"]
    assert strategy == {"maxUnavailable": 1, "maxSurge": 1}


def test_a_patch_that_no_longer_fits_safe_yaml_is_one_line():
    gone = Variant("gone", "nothing", "nothing", (remove(f"{CONTAINER}/noSuchField"),))
    with pytest.raises(cluster.ClusterError) as caught:
        render(gone, "myapp:1")
    message = str(caught.value)
    assert message.startswith("kubectl patch --local")
    assert "noSuchField" in message.split(" failed: ", 1)[1]
    assert "\n" not in message


def test_the_control_is_safe_yaml_as_it_is(safe):
    assert differences(safe, rendered(CONTROL)) == set()


def test_only_no_readiness_rolls_to_the_broken_release():
    # Its one lesson needs a release that cannot serve: with myapp:2 the startup probe alone
    # keeps the warming pods out of the Service.
    releases = {variant.name: variant.release for variant in VARIANTS}
    assert releases.pop("no-readiness") == BROKEN_RELEASE
    assert set(releases.values()) == {NEXT_RELEASE}


@pytest.mark.parametrize("variant", [CONTROL, by_name("no-graceful")], ids=lambda v: v.name)
def test_a_shorter_warm_up_changes_only_the_rolled_to_release(variant):
    shorter = rendered(variant, rolled_to=True, warm_up_s=2)
    assert environment(shorter) == {**environment(rendered(variant)), "STARTUP_DELAY": "2"}
    assert differences(rendered(variant, rolled_to=True), shorter) == {
        "spec.template.spec.containers[0].env"
    }
    assert environment(rendered(variant, warm_up_s=2)) == environment(rendered(variant))


def test_a_variant_whose_lesson_is_the_warm_up_keeps_its_own():
    variant = by_name("no-startup-probe")
    assert rendered(variant, rolled_to=True, warm_up_s=2) == rendered(variant, rolled_to=True)

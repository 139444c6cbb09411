"""tools/cluster/manifests.py: what `make deploy FILE=...` reads, as YAML documents through a real
kubectl (no cluster needed), whatever their layout, and the one line a wrong file gets."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.helpers import ROOT
from tools.cluster.manifests import ManifestError, check, documents, has_budget, read, with_image


def deployment(name: str = "myapp", app: str = "myapp", containers=None) -> dict:
    return {
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "template": {
                "metadata": {"labels": {"app": app}},
                "spec": {"containers": containers or [{"name": "myapp", "image": "myapp:1"}]},
            }
        },
    }


@pytest.mark.parametrize(
    ("objects", "message"),
    [
        ([deployment(), {"kind": "Service"}], "not Service"),
        ([deployment("other")], "exactly one Deployment, named myapp"),
        ([deployment(), deployment()], "exactly one Deployment"),
        ([deployment(app="web")], "label app: myapp"),
        ([{"kind": "PodDisruptionBudget"}], "exactly one Deployment"),
        (
            [deployment(containers=[{"name": "a", "image": "x"}, {"name": "b", "image": "y"}])],
            "one container, or one named myapp",
        ),
    ],
)
def test_a_file_that_would_not_be_the_workshops_app_is_one_line(objects, message) -> None:
    with pytest.raises(ManifestError, match=message) as raised:
        check(objects, "x.yaml")
    assert "\n" not in str(raised.value)


def test_the_image_goes_to_the_app_container_and_nowhere_else() -> None:
    sidecar = {"name": "proxy", "image": "envoy:1"}
    objects = [
        deployment(containers=[sidecar, {"name": "myapp", "image": "myapp:1"}]),
        {"kind": "PodDisruptionBudget"},
    ]
    listing = json.loads(with_image(objects, "myapp:2"))
    assert listing["kind"] == "List"
    containers = listing["items"][0]["spec"]["template"]["spec"]["containers"]
    assert [c["image"] for c in containers] == ["envoy:1", "myapp:2"]
    assert has_budget(objects)


@pytest.fixture
def kubectl(require):
    require(shutil.which("kubectl") is not None, "kubectl is not installed")


# Files as attendees write them: every one a Deployment named myapp on myapp:1, some with a PDB.
SHAPES = {
    # The image first in its list item, where a line-based edit looks for `image:` indented.
    "image-first-in-the-item": """apiVersion: apps/v1
kind: Deployment
metadata: {name: myapp}
spec:
  selector: {matchLabels: {app: myapp}}
  template:
    metadata: {labels: {app: myapp}}
    spec:
      containers:
      - image: myapp:1
        name: myapp
""",
    # The kind quoted, a comment between the documents, and a leading separator.
    "quoted-kind-and-comments": """---
# the app
apiVersion: "apps/v1"
kind: "Deployment"
metadata:
  name: "myapp"   # the Service's name
spec:
  selector:
    matchLabels:
      app: myapp
  template:
    metadata:
      labels: {"app": "myapp"}
    spec:
      containers: [{name: myapp, image: "myapp:1"}]
---
# and its budget
apiVersion: policy/v1
kind: "PodDisruptionBudget"
metadata: {name: myapp}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: myapp}}
""",
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_layout_of_the_yaml_is_read_as_its_documents(kubectl, tmp_path, shape) -> None:
    path = tmp_path / f"{shape}.yaml"
    path.write_text(SHAPES[shape])
    objects = read([path])
    assert has_budget(objects) == ("PodDisruptionBudget" in SHAPES[shape])
    (app,) = json.loads(with_image(objects, "myapp:2"))["items"][0]["spec"]["template"]["spec"][
        "containers"
    ]
    assert app["image"] == "myapp:2"


def test_every_manifest_the_labs_deploy_is_read(kubectl) -> None:
    for path in [*ROOT.glob("labs/*/deployment.yaml"), *ROOT.glob("labs/*/solution/*.yaml")]:
        objects = read([path])
        assert objects[0]["kind"] == "Deployment", path
    lab_5 = documents(ROOT / "labs" / "05-pdb-min-available-3" / "deployment.yaml")
    assert [o["kind"] for o in lab_5] == ["Deployment", "PodDisruptionBudget"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("kind: [unclosed\n", "kubectl cannot read it"),
    ],
)
def test_a_file_kubectl_cannot_read_is_one_line(kubectl, tmp_path, content, message) -> None:
    path = tmp_path / "deployment.yaml"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ManifestError, match=message) as raised:
        read([path])
    assert "\n" not in str(raised.value)

"""tools/cluster/kind_images.py against fake `docker`, `kind` and `kubectl` on PATH: a cluster whose
nodes' containerd images live in a JSON file, and a Docker with either image store."""

import json
import os
import subprocess
import sys

import pytest

from tests.helpers import ROOT, run_in_kit, run_module
from tools.cluster import kind_images

# One script for docker, kind and kubectl: what it is called as picks the part it plays. State:
# Docker's store and images, each node's containerd images {ref: {digest, config, labels}}, and
# every command line it was given.
FAKE = r"""
import fcntl, json, os, sys
state_file = os.environ["FAKE_STATE"]
lock = open(state_file + ".lock", "w")
fcntl.flock(lock, fcntl.LOCK_EX)  # nodes are asked in parallel: one fake at a time
state = json.load(open(state_file))
tool, args = os.path.basename(sys.argv[0]), sys.argv[1:]
state["calls"].append(" ".join([tool, *args]))

def done(out="", code=0, err=""):
    json.dump(state, open(state_file, "w"))
    sys.stdout.write(out)
    sys.stderr.write(err)
    sys.exit(code)

def ref(name):
    return "docker.io/library/" + name

if tool == "kubectl":
    done(state["context"] + "\n")
if tool == "kind" and args[:2] == ["get", "nodes"]:
    done("".join(node + "\n" for node in state["nodes"]))
if tool == "kind" and args[:2] == ["load", "image-archive"]:
    if state.get("load_fails"):
        done(code=1, err="ERROR: failed to load image: exit status 1\n")
    state["archives"].append(json.load(open(args[2])))
    for saved in state["archives"][-1]:
        for node in args[args.index("--nodes") + 1].split(","):
            image = state["nodes"][node].setdefault(ref(saved["name"]), {"labels": {}})
            # A single-platform save stores the platform's manifest, a plain containerd one the
            # index (Docker's ID), a classic one a manifest kind's import makes; labels are kept.
            image["digest"] = {"platform": "sha256:manifest", "plain": saved["id"]}.get(
                saved["kind"], "sha256:imported")
            image["config"] = saved["config"]
    done()
if tool == "docker" and args[:2] == ["image", "inspect"]:
    if args[2] not in state["images"]:
        done(code=1, err="Error: No such image: " + args[2] + "\n")
    image = state["images"][args[2]]
    done(json.dumps([{"Id": image["id"], "Os": "linux", "Architecture": "amd64"}]))
if tool == "docker" and args[0] == "info":
    store = [["driver-type", "io.containerd.snapshotter.v1"]] if state["containerd"] else []
    done(json.dumps(store))
if tool == "docker" and args[:2] == ["save", "--help"]:
    done("  -o, --output string\n" + ("  --platform strings\n" if state["save_platform"] else ""))
if tool == "docker" and args[0] == "save":
    kind = "platform" if "--platform" in args else "plain" if state["containerd"] else "classic"
    saved = []
    for name in args[args.index("--output") + 2:]:
        image = state["images"][name]
        # The classic store's image ID is its config's digest.
        config = image["config"] if state["containerd"] else image["id"]
        saved.append({"name": name, "id": image["id"], "config": config, "kind": kind})
    json.dump(saved, open(args[args.index("--output") + 1], "w"))
    done()
if tool == "docker" and args[0] == "exec":
    node, command = args[1], args[2:]
    images = state["nodes"][node]
    if command[:3] == ["crictl", "images", "-o"]:
        listing = [{"id": i["config"], "repoTags": [r]} for r, i in images.items()]
        done(json.dumps({"images": listing}))
    if command[-1] == "ls":
        rows = ["REF TYPE DIGEST SIZE PLATFORMS LABELS"]
        for r, i in images.items():
            labels = ",".join(f"{k}={v}" for k, v in i["labels"].items()) or "-"
            rows.append(f"{r} application/x {i['digest']} 249.9 MiB linux/amd64 {labels}")
        done("\n".join(rows) + "\n")
    if command[3] == "label":
        images[command[4]]["labels"].update(p.split("=", 1) for p in command[5:])
        done()
done(code=1, err="fake: unexpected: " + " ".join(sys.argv) + "\n")
"""

NODES = ["ws-control-plane", "ws-worker"]


class Fake:
    def __init__(self, directory, containerd: bool):
        self.file = directory / "state.json"
        self.write(
            {
                "context": "kind-ws",
                "containerd": containerd,
                "save_platform": True,
                "images": {"myapp:2": {"id": "sha256:two", "config": "sha256:two-config"}},
                "nodes": {node: {} for node in NODES},
                "calls": [],
                "archives": [],
            }
        )
        for tool in ("docker", "kind", "kubectl"):
            script = directory / tool
            script.write_text(f"#!{sys.executable}\n{FAKE}")
            script.chmod(0o755)

    def read(self) -> dict:
        return json.loads(self.file.read_text())

    def write(self, state: dict) -> None:
        self.file.write_text(json.dumps(state))

    def calls(self, start: str) -> list[str]:
        return [call for call in self.read()["calls"] if call.startswith(start)]

    def saves(self) -> list[str]:
        return [call for call in self.calls("docker save ") if call != "docker save --help"]


@pytest.fixture(params=[False, True], ids=["classic-store", "containerd-store"])
def fake(request, tmp_path, monkeypatch) -> Fake:
    fake = Fake(tmp_path, containerd=request.param)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_STATE", str(fake.file))
    monkeypatch.setattr(kind_images, "KIND", "kind")
    return fake


@pytest.fixture
def classic(tmp_path, monkeypatch) -> Fake:
    fake = Fake(tmp_path, containerd=False)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_STATE", str(fake.file))
    monkeypatch.setattr(kind_images, "KIND", "kind")
    return fake


def main(capsys, *argv: str) -> tuple[int, str, str]:
    code = kind_images.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_an_image_is_saved_and_loaded_into_every_node_then_labelled(fake, capsys):
    code, out, err = main(capsys, "--cluster", "ws", "myapp:2")
    assert (code, err) == (0, "")
    assert out.startswith("myapp:2: loaded into ws-control-plane, ws-worker of kind cluster 'ws'")
    (load,) = fake.calls("kind load")
    assert load.endswith("--name ws --nodes ws-control-plane,ws-worker")
    assert load.startswith("kind load image-archive ")
    for node in NODES:
        held = fake.read()["nodes"][node]["docker.io/library/myapp:2"]
        assert held["labels"] == {
            "zero-downtime.docker-id": "sha256:two",
            "zero-downtime.node-digest": held["digest"],
        }


def test_images_the_same_nodes_lack_travel_in_one_archive_and_one_load(fake, capsys):
    state = fake.read()
    state["images"]["myapp:1"] = {"id": "sha256:one", "config": "sha256:one-config"}
    state["images"]["myapp:3"] = {"id": "sha256:three", "config": "sha256:three-config"}
    fake.write(state)
    code, out, _ = main(capsys, "--cluster", "ws", "myapp:1", "myapp:2", "myapp:3")
    assert code == 0
    assert [line.split(":")[0] for line in out.splitlines()] == ["myapp", "myapp", "myapp"]
    (archive,) = fake.read()["archives"]
    assert [saved["name"] for saved in archive] == ["myapp:1", "myapp:2", "myapp:3"]
    assert len(fake.calls("kind load")) == 1
    for node in NODES:
        assert len(fake.read()["nodes"][node]) == 3


def test_only_the_containerd_store_saves_the_images_own_platform(fake, capsys):
    main(capsys, "--cluster", "ws", "myapp:2")
    (save,) = fake.saves()
    platform = "--platform linux/amd64 " if fake.read()["containerd"] else ""
    assert save.startswith(f"docker save {platform}--output ")
    assert save.endswith(" myapp:2")


def test_a_docker_without_save_platform_saves_the_whole_image(classic, capsys):
    state = classic.read()
    state.update(containerd=True, save_platform=False)  # Docker 24 to 27's containerd store
    classic.write(state)
    code, _, _ = main(capsys, "--cluster", "ws", "myapp:2")
    assert code == 0
    (save,) = classic.saves()
    assert save.startswith("docker save --output ")


def test_an_image_every_node_holds_is_not_saved_nor_loaded_again(fake, capsys):
    main(capsys, "--cluster", "ws", "myapp:2")
    code, out, _ = main(capsys, "--cluster", "ws", "myapp:2", "myapp:2")
    assert code == 0
    assert out == "myapp:2: already on every node of kind cluster 'ws', not loaded again\n"
    assert len(fake.saves()) == len(fake.calls("kind load")) == 1


def test_only_the_node_that_lacks_the_image_gets_it(fake, capsys):
    main(capsys, "--cluster", "ws", "myapp:2")
    state = fake.read()
    state["nodes"]["ws-worker2"] = {}
    fake.write(state)
    code, out, _ = main(capsys, "--cluster", "ws", "myapp:2")
    assert code == 0
    assert fake.calls("kind load")[-1].endswith("--name ws --nodes ws-worker2")
    assert "loaded into ws-worker2 of" in out


def test_a_rebuilt_image_is_loaded_again(fake, capsys):
    main(capsys, "--cluster", "ws", "myapp:2")
    state = fake.read()
    state["images"]["myapp:2"] = {"id": "sha256:two-rebuilt", "config": "sha256:two-config-2"}
    fake.write(state)
    main(capsys, "--cluster", "ws", "myapp:2")
    assert len(fake.calls("kind load")) == 2
    held = fake.read()["nodes"]["ws-worker"]["docker.io/library/myapp:2"]
    assert held["labels"]["zero-downtime.docker-id"] == "sha256:two-rebuilt"


def test_an_image_replaced_on_the_node_under_the_same_name_is_loaded_again(fake, capsys):
    main(capsys, "--cluster", "ws", "myapp:2")
    state = fake.read()
    # e.g. `kind load docker-image` of another build: containerd keeps the image's labels.
    state["nodes"]["ws-worker"]["docker.io/library/myapp:2"].update(
        digest="sha256:other", config="sha256:other-config"
    )
    fake.write(state)
    main(capsys, "--cluster", "ws", "myapp:2")
    assert fake.calls("kind load")[-1].endswith("--nodes ws-worker")


@pytest.mark.parametrize(
    ("containerd", "digest", "config"),
    [
        # classic store: a digest kind's import made; the image's config is Docker's ID
        (False, "sha256:imported", "sha256:two"),
        # containerd store: the node's digest is the index's, Docker's ID
        (True, "sha256:two", "sha256:two-config"),
    ],
    ids=["classic-store", "containerd-store"],
)
def test_an_image_kind_load_docker_image_put_there_is_kept(
    classic, capsys, containerd, digest, config
):
    state = classic.read()
    state["containerd"] = containerd
    for node in NODES:  # no labels: loaded by kind load docker-image, not by this module
        state["nodes"][node]["docker.io/library/myapp:2"] = {
            "digest": digest,
            "config": config,
            "labels": {},
        }
    classic.write(state)
    code, out, _ = main(capsys, "--cluster", "ws", "myapp:2")
    assert code == 0
    assert "not loaded again" in out
    assert classic.calls("kind load") == []


@pytest.mark.parametrize(
    ("name", "ref"),
    [
        ("myapp:2", "docker.io/library/myapp:2"),
        ("myapp", "docker.io/library/myapp:latest"),
        ("me/myapp:2", "docker.io/me/myapp:2"),
        ("ghcr.io/me/myapp", "ghcr.io/me/myapp:latest"),
        ("localhost:5000/myapp:2", "localhost:5000/myapp:2"),
    ],
)
def test_the_name_an_image_has_on_the_nodes(name, ref):
    assert kind_images.node_ref(name) == ref


def test_an_image_docker_does_not_have_is_one_line(classic, capsys):
    code, out, err = main(capsys, "--cluster", "ws", "myapp:9")
    assert (code, out) == (1, "")
    assert err == "error: image myapp:9 is not in Docker: build it first\n"


def test_a_cluster_without_nodes_is_one_line(classic, capsys):
    state = classic.read()
    state["nodes"] = {}
    classic.write(state)
    code, _, err = main(capsys, "--cluster", "gone", "myapp:2")
    assert code == 1
    assert err == "error: kind cluster 'gone' has no nodes: create it with 'make cluster'\n"


def test_a_failed_load_is_one_line_and_labels_nothing(classic, capsys):
    state = classic.read()
    state["load_fails"] = True
    classic.write(state)
    code, _, err = main(capsys, "--cluster", "ws", "myapp:2")
    assert code == 1
    assert err.startswith("error: kind load image-archive ")
    assert err.endswith(" failed: ERROR: failed to load image: exit status 1\n")
    assert classic.calls("docker exec ws-worker ctr --namespace=k8s.io images label") == []


def test_a_missing_docker_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    code, _, err = main(capsys, "--cluster", "ws", "myapp:2")
    assert code == 1
    assert err.startswith("error: docker not found: ")
    assert err.endswith(" (docs/troubleshooting.md#docker)\n")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--cluster", "ws"], "the following arguments are required: IMAGE"),
        (["--cluster", " ", "myapp:2"], "--cluster must name a kind cluster"),
    ],
)
def test_bad_arguments_are_one_line(argv, message):
    result = subprocess.run(
        [sys.executable, "-m", "tools.cluster.kind_images", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"kind_images: {message}\n"


def test_make_load_puts_the_built_images_on_the_nodes_through_this_module(classic):
    result = run_in_kit(["make", "--no-print-directory", "load", "KIND=kind", "KUBECTL=kubectl"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("myapp:2: loaded into ws-control-plane, ws-worker of")
    assert [call.split()[:3] for call in classic.calls("kind load")] == [
        ["kind", "load", "image-archive"]
    ]


def test_without_cluster_it_loads_into_kubectls_kind_cluster_only_what_docker_built(classic):
    result = run_module("tools.cluster.kind_images", "--built-only", "myapp:2", "myapp:7")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("myapp:2: loaded into ws-control-plane, ws-worker of")
    assert "myapp:7" not in result.stdout


def test_on_a_cluster_that_is_not_kind_there_is_nothing_to_load(classic, capsys):
    state = classic.read()
    state["context"] = "docker-desktop"
    classic.write(state)
    code, out, _ = main(capsys, "myapp:2")
    assert (code, out) == (0, "current context 'docker-desktop' is not kind: nothing to load\n")
    assert classic.calls("kind") == []

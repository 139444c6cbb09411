"""tools/results/provenance.py: what every results file says of where and when it was measured."""

from __future__ import annotations

import json
import re

from tools.results import provenance
from tools.results.provenance import Provenance

MEASURED = Provenance(
    context="kind-zero-downtime",
    kubernetes="v1.36.4",
    nodes=3,
    runtime="containerd://2.3.9",
    kube_proxy="nftables",
    commit="0123456789ab-dirty",
    date="2026-11-30 17:00 UTC",
)


def test_the_label_names_cluster_version_nodes_mode_commit_and_date() -> None:
    assert MEASURED.label() == (
        "`kind-zero-downtime`: Kubernetes v1.36.4, 3 nodes, containerd://2.3.9,"
        " kube-proxy nftables; kit at 0123456789ab-dirty, 2026-11-30 17:00 UTC"
    )


def test_the_command_line_leaves_out_where_the_files_go() -> None:
    argv = ["--json", "docs/report/x.json", "--svg=a.svg", "--rate", "200", "lesson", "--slow", "5"]
    assert provenance.command_line("tools.scenarios", argv) == (
        "python3 -m tools.scenarios --rate 200 lesson --slow 5"
    )


def test_a_results_file_starts_with_its_provenance(tmp_path) -> None:
    path = tmp_path / "sub" / "demo.json"
    provenance.write_results(path, MEASURED, "python3 -m tools.scenarios demo", "t", results=[])
    data = json.loads(path.read_text())
    assert list(data) == ["provenance", "command", "traffic", "results"]
    assert Provenance.from_dict(data["provenance"]) == MEASURED


def test_the_commit_is_this_checkouts() -> None:
    assert re.fullmatch(r"[0-9a-f]{12}(-dirty)?", provenance.commit())


def test_without_git_the_commit_is_unknown_not_an_error(monkeypatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert provenance.commit() == "unknown (no git)"

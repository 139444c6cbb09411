"""tools/report/ci_rollouts.py: the rollouts CI did, read from its log, each naming the other tests
that rolled the same thing the same way."""

from __future__ import annotations

import json

import pytest

from tools.report.ci_rollouts import LogError, read_log, rows, stage_table

PROVENANCE = {
    "context": "kind-zero-downtime",
    "kubernetes": "v1.36.4",
    "nodes": 1,
    "runtime": "containerd://2.3.9",
    "kube_proxy": "iptables",
    "commit": "abc",
    "date": "2026-12-07 21:00 UTC",
}


def rollout(test: str, what: str, old: str, new: str, delay: str | None = "2") -> dict:
    return {"test": test, "what": what, "from": old, "to": new, "startup_delay": delay,
            "seconds": 12.34}  # fmt: skip


def test_a_rollout_done_the_same_way_by_another_test_names_it():
    rollouts = [
        rollout("tests/e2e/test_a.py::one", "k8s/safe.yaml k8s/pdb.yaml", "1", "2"),
        rollout("tests/e2e/test_b.py::two", "k8s/safe.yaml k8s/pdb.yaml", "1", "2"),
        # Not the same: another warm-up, another direction.
        rollout("tests/e2e/test_c.py::three", "k8s/safe.yaml k8s/pdb.yaml", "1", "2", None),
        rollout("tests/e2e/test_c.py::three", "k8s/safe.yaml k8s/pdb.yaml", "2", "1"),
    ]
    found = rows(rollouts)
    assert [row[5] for row in found] == ["test_b.py::two", "test_a.py::one", "-", "-"]
    assert found[2][:5] == ("test_c.py::three", "k8s/safe.yaml k8s/pdb.yaml", "1 → 2", "image",
                            "12.3")  # fmt: skip


def test_a_stage_says_where_it_ran_and_how_long_it_rolled():
    stage = {
        "stage": "2: one node",
        "provenance": PROVENANCE,
        "rollouts": [rollout("t::a", "k8s/naive.yaml", "1", "2")] * 2,
    }
    first = stage_table(stage).splitlines()[0]
    assert first.startswith("2: one node, on `kind-zero-downtime`")
    assert first.endswith(": 2 rollouts in 1 tests, 25 s of rolling")


def test_a_log_that_is_not_json_lines_is_one_line(tmp_path):
    log = tmp_path / "log"
    log.write_text('{"test": "x"}\nnot json\n')
    with pytest.raises(LogError, match="cannot be read") as raised:
        read_log(log)
    assert "\n" not in str(raised.value)
    assert read_log(tmp_path / "no-such-log") == []
    log.write_text(json.dumps(rollout("t", "w", "1", "2")) + "\n")
    assert read_log(log)[0]["what"] == "w"

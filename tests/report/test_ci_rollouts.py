"""tools/report/ci_rollouts.py: the rollouts CI did, read from its log, each naming the other tests
that rolled the same thing the same way."""

from __future__ import annotations

import json

import pytest

from tools.report.ci_rollouts import LogError, read_junit, read_log, rows, stage_table

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


def test_a_file_from_outside_the_kit_is_named_without_its_temporary_directory():
    found = rows([rollout("t.py::x", "/tmp/pytest-of-root/pytest-1/x0/shape.yaml", "1", "2")])
    assert found[0][1] == "shape.yaml"


def test_a_stage_says_how_long_it_took_where_it_ran_its_slowest_tests_and_rollouts():
    stage = {
        "stage": "2: one node",
        "seconds": 900,
        "provenance": PROVENANCE,
        "tests": [{"test": f"tests.e2e.test_x::t{i}", "seconds": 20.0 - i} for i in range(12)],
        "rollouts": [rollout("t::a", "k8s/naive.yaml", "1", "2")] * 2,
    }
    text = stage_table(stage)
    assert text.splitlines()[0].startswith("**2: one node**: 900 s, on `kind-zero-downtime`")
    assert "Its 10 slowest of 12 tests:" in text and "test_x::t9" in text
    assert "test_x::t10" not in text
    assert "Its 2 rollouts, 25 s of rolling:" in text
    # A stage without a cluster (the first, the build) is its seconds alone.
    assert stage_table({"stage": "1: lint", "seconds": 300}) == "**1: lint**: 300 s"


def test_the_slowest_tests_are_read_from_pytests_junit_file(tmp_path):
    junit = tmp_path / "junit.xml"
    junit.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="tests.e2e.test_a" name="fast" time="1.25"/>'
        '<testcase classname="tests.e2e.test_b" name="slow" time="80.04"/>'
        "</testsuite></testsuites>"
    )
    assert read_junit(junit) == [
        {"test": "tests.e2e.test_b::slow", "seconds": 80.0},
        {"test": "tests.e2e.test_a::fast", "seconds": 1.2},
    ]
    junit.write_text("<testsuites")
    with pytest.raises(LogError, match="cannot be read"):
        read_junit(junit)


def test_a_log_that_is_not_json_lines_is_one_line(tmp_path):
    log = tmp_path / "log"
    log.write_text('{"test": "x"}\nnot json\n')
    with pytest.raises(LogError, match="cannot be read") as raised:
        read_log(log)
    assert "\n" not in str(raised.value)
    assert read_log(tmp_path / "no-such-log") == []
    log.write_text(json.dumps(rollout("t", "w", "1", "2")) + "\n")
    assert read_log(log)[0]["what"] == "w"

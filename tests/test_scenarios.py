"""The demo's report, from hand-made results (the scenarios themselves run in tests/e2e)."""

import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tools import scenarios


def result(name: str, failed: int, expect_failures: bool | None) -> scenarios.Result:
    summary = {
        "requests": 12_000,
        "failed": failed,
        "failures_by_kind": {"refused": failed} if failed else {},
        "longest_outage_s": 18.25 if failed else 0.0,
        "first_failure_s": 4.0 if failed else None,
        "last_failure_s": 28.5 if failed else None,
    }
    return scenarios.Result(name, "x", summary, (3.0, 40.0), 21.5, expect_failures)


def test_table_has_the_demo_columns_and_a_row_per_scenario():
    lines = scenarios.table(
        [result("naive v1 → v2", 5_400, True), result("safe v1 → v2", 0, False)]
    ).splitlines()
    assert lines[0].split("  ")[0] == "scenario"
    for column in scenarios.COLUMNS:
        assert column in lines[0]
    assert lines[2].split() == [
        "naive", "v1", "→", "v2", "12,000", "5,400", "refused", "5,400", "18.2", "24.5", "21.5",
    ]  # fmt: skip
    assert lines[3].split()[-5:] == ["0", "-", "0.0", "0.0", "21.5"]


@pytest.mark.parametrize(
    ("failed", "expect_failures", "met"),
    [(0, False, True), (1, False, False), (5, True, True), (0, True, False), (7, None, True)],
)
def test_expectations(failed, expect_failures, met):
    assert result("r", failed, expect_failures).met_expectation is met


def test_verdicts_flag_what_broke_the_promise():
    lines = scenarios.verdicts(
        [result("safe v1 → v2", 3, False), result("naive: delete a pod", 9, None)]
    )
    assert lines == ["UNEXPECTED: safe v1 → v2: expected zero failed requests, got 3"]


@pytest.mark.parametrize(
    "args",
    [["demo", "--url", "ftp://x"], ["--url", "not a url", "demo"], ["drill", "nope"]],
)
def test_bad_arguments_are_one_line(args):
    run = subprocess.run(
        [sys.executable, "tools/scenarios.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("scenarios: ")

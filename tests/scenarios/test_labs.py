"""labs/ and tools/scenarios/labs.py: every lab asks before it answers, the checked ones start from
what they say, and a verdict gives the numbers."""

from __future__ import annotations

import dataclasses
import json
import shutil

import pytest

from tests.helpers import ROOT
from tools.cluster.manifests import documents
from tools.results.result import Expectation, Result
from tools.scenarios import labs
from tools.scenarios.lesson import by_name
from tools.scenarios.variants import render
from tools.traffic.summary import Outcome, summarize

LABS = sorted(p for p in (ROOT / "labs").iterdir() if p.is_dir())


def test_there_are_six_labs_each_asking_before_it_answers() -> None:
    assert len(LABS) == 6
    for lab in LABS:
        text = (lab / "README.md").read_text()
        assert (
            text.index("**Predict first.**") < text.index("**Run.**") < text.index("**Explain.**")
        )
        assert "You should see" in text, lab.name
        assert (lab / "solution.md").is_file(), lab.name


def without_first_line(path) -> str:
    return path.read_text().split("\n", 1)[1]


def test_lab_2_starts_from_naive_exactly() -> None:
    assert labs.LABS[2].work.read_text() == (ROOT / "k8s" / "naive.yaml").read_text()


def test_lab_4_is_safe_without_its_pause_and_its_answer_is_safe() -> None:
    safe = (ROOT / "k8s" / "safe.yaml").read_text()
    answer = without_first_line(labs.LABS[4].solution)
    assert answer == safe.split("\n", 2)[2]
    start = without_first_line(labs.LABS[4].work)
    assert "lifecycle:" not in start
    placeholder = "          # Your preStop pause goes here: how many seconds? (lab 4)\n"
    pause = answer[answer.index("          lifecycle:\n") : answer.index("          resources:\n")]
    assert start == answer.replace(pause, placeholder)


def test_every_checked_lab_has_its_work_file_and_a_solution() -> None:
    for lab in labs.LABS.values():
        assert lab.work.is_file() and lab.solution.is_file(), lab


def result(failed: int, requests: int) -> Result:
    outcomes = [Outcome(0.0, 0.01, "2", None)] * (requests - failed)
    outcomes += [Outcome(5.0, 5.01, None, "reset")] * failed
    summary = summarize(outcomes, url="u", keepalive=False, concurrency=8, rate=200.0, duration=60)
    return Result("lab", "lab", summary, (3.0, 70.0), 67.0, Expectation.NO_FAILURES)


@pytest.mark.parametrize(
    ("failed", "requests", "verdict"),
    [
        (0, 12_000, "pass: lab 2: 0 of 12,000 requests failed, rollout 67 s"),
        (230, 12_000, "fail: lab 2: 230 of 12,000 requests failed, rollout 67 s (reset 230)"),
        (
            0,
            2_999,
            "fail: lab 2: 0 of 2,999 requests failed, rollout 67 s; a zero needs at least 3,000",
        ),
    ],
)
def test_the_verdict_gives_the_numbers(failed: int, requests: int, verdict: str) -> None:
    measured = result(failed, requests)
    assert labs.verdict(2, measured).startswith(verdict)
    assert labs.passed(measured) is verdict.startswith("pass")


def test_a_rollout_that_never_recovered_does_not_pass() -> None:
    assert not labs.passed(dataclasses.replace(result(0, 12_000), recovered=False))


def test_lab_4s_start_is_the_lessons_no_prestop_row(require) -> None:
    """So the one rollout of lab 4's start in CI shows both (tests/e2e/test_lesson_outcomes.py)."""
    require(shutil.which("kubectl") is not None, "kubectl is not installed")
    (start,) = documents(labs.LABS[4].work)
    variant = json.loads(render(by_name("no-prestop"), "myapp:1"))
    assert start["spec"] == variant["spec"]

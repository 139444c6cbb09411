"""`python -m tools.scenarios`: its command line (the scenarios themselves run in tests/e2e)."""

import pytest

from tests.helpers import run_module
from tools.results import Expectation
from tools.scenarios import promise, release_lesson


@pytest.mark.parametrize(
    "args",
    [
        ["demo", "--url", "ftp://x"],
        ["--url", "not a url", "demo"],
        ["drill", "nope"],
        ["--rate", "0", "demo"],
        ["baseline", "--seconds", "0"],
        ["baseline", "--seconds", "nan"],
        ["lesson"],  # --image is required: the Makefile's IMAGE is the one default
        ["lesson", "--image", "myapp", "--rollouts", "0"],
        ["lesson", "--image", "myapp", "--variant", "no-such-variant"],
        ["lesson", "--image", "myapp", "--slow", "0"],
        ["lesson", "--image", "myapp", "--slow", "11"],
    ],
)
def test_bad_arguments_are_one_line(args):
    run = run_module("tools.scenarios", *args)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("scenarios: ")


def test_the_drills_promise_holds_safe_to_zero_and_reports_naive():
    assert promise("safe") is Expectation.NO_FAILURES
    assert promise("naive") is Expectation.REPORT_ONLY


def test_a_releases_lesson_is_naive_fails_and_safe_loses_nothing():
    assert release_lesson("naive") is Expectation.FAILURES
    assert release_lesson("safe") is Expectation.NO_FAILURES

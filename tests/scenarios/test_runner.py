"""`python -m tools.scenarios`: its command line (the scenarios themselves run in tests/e2e)."""

import pytest

from tests.helpers import run_module


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

"""The labs on a real cluster: each checked lab's start fails `make check` and its solution
passes, so the check can tell them apart (labs/README.md)."""

import pytest

from tests.helpers import ROOT
from tools import labs
from tools.cluster import make


@pytest.mark.parametrize("number", sorted(labs.LABS))
def test_the_start_fails_its_check_and_the_solution_passes(cluster, number):
    lab = labs.LABS[number]
    start = make("check", LAB=str(number))
    # make exits 2 whatever its recipe's status; the verdict line tells a fail from an error.
    assert start.returncode != 0, start.stdout[-3000:] + start.stderr[-2000:]
    assert f"fail: lab {number}:" in start.stdout
    solved = make("check", LAB=str(number), FILE=str(lab.solution.relative_to(ROOT)))
    assert solved.returncode == 0, solved.stdout[-3000:] + solved.stderr[-2000:]
    assert f"pass: lab {number}: 0 of" in solved.stdout

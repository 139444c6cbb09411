"""The labs' check on a real cluster: `make check` fails a lab's start and passes its solution
(labs/README.md).

Each checked lab runs here the half no other test rolls: lab 2 starts from k8s/naive.yaml
exactly, whose rollout test_rollout.py sees losing requests, and lab 4's answer is
k8s/safe.yaml, whose rollouts it sees losing none (tests/test_labs.py holds both labs to those
files). So each verdict is given once on the cluster, in two rollouts instead of four."""

from tests.helpers import ROOT
from tools import labs
from tools.cluster import make


def test_lab_2s_solution_passes_its_check(cluster):
    solution = labs.LABS[2].solution.relative_to(ROOT)
    solved = make("check", LAB="2", FILE=str(solution))
    assert solved.returncode == 0, solved.stdout[-3000:] + solved.stderr[-2000:]
    assert "pass: lab 2: 0 of" in solved.stdout


def test_lab_4s_start_fails_its_check(cluster):
    start = make("check", LAB="4")
    # make exits 2 whatever its recipe's status; the verdict line tells a fail from an error.
    assert start.returncode != 0, start.stdout[-3000:] + start.stderr[-2000:]
    assert "fail: lab 4:" in start.stdout

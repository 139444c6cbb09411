"""The labs' check on a real cluster: `make check` passes a lab's solution (labs/README.md).

Each checked lab runs here the half no other test rolls: lab 2 starts from k8s/naive.yaml
exactly, whose rollout test_rollout.py sees losing requests; lab 4's answer is k8s/safe.yaml,
whose rollouts it sees losing none, and its start is the lesson's no-prestop row, whose check
test_lesson_outcomes.py runs and sees failing (tests/scenarios/test_labs.py holds the labs to those
files). So each verdict is given once on the cluster.

The release warms up for the end-to-end tests' STARTUP_DELAY (tests/e2e/conftest.py): a
solution that keeps warming pods out of the Service passes whatever the warm-up's length."""

from tests.helpers import ROOT
from tools.cluster.commands import make
from tools.scenarios import labs


def test_lab_2s_solution_passes_its_check(cluster):
    solution = labs.LABS[2].solution.relative_to(ROOT)
    solved = make("check", LAB="2", FILE=str(solution))
    assert solved.returncode == 0, solved.stdout[-3000:] + solved.stderr[-2000:]
    assert "pass: lab 2: 0 of" in solved.stdout

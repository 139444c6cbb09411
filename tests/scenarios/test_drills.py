"""tools/scenarios/drills.py: what each drill expects of naive and safe (the drills run in
tests/e2e)."""

from tests.helpers import ROOT
from tools.results.result import Expectation
from tools.scenarios.drills import DRILLS, promise


def test_the_drills_promise_holds_safe_to_zero_and_reports_naive():
    assert promise("safe") is Expectation.NO_FAILURES
    assert promise("naive") is Expectation.REPORT_ONLY


def test_every_drill_has_a_make_target():
    makefile = (ROOT / "Makefile").read_text()
    for name in DRILLS:
        assert f"drill-{name}:" in makefile

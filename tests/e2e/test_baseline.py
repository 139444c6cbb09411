"""The control: steady traffic with nothing happening loses nothing on the test cluster."""

from tools.results.result import report
from tools.scenarios import runner as scenarios

# 10 s at the default 200 requests/s, and the wait for healthy traffic around them: the zero
# stands on at least this many.
MIN_REQUESTS = 1_500


def test_steady_traffic_loses_nothing(cluster, setup):
    (result,) = scenarios.baseline(10, setup)
    assert result.summary.requests >= MIN_REQUESTS, report([result])
    assert result.summary.failed == 0, report([result])

"""The control: steady traffic with nothing happening loses nothing on the test cluster."""

from tools import scenarios
from tools.results import table


def test_steady_traffic_loses_nothing(cluster, setup):
    (result,) = scenarios.baseline(10, setup)
    assert result.summary.failed == 0, table([result])
    assert result.summary.requests > 0

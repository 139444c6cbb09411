"""How long each node's kube-proxy keeps routing to a deleted pod: well within the safe
Deployment's preStop pause, on every node of a multi-node kind cluster."""

import pytest

from tests.helpers import safe_pre_stop_s
from tools import kube_proxy, propagation
from tools.cluster import ClusterError, start_from

DELETIONS = 3
# The pause has to outlast the slowest node even on a busier machine than the one measured:
# every node must have dropped the pod within half of it.
SHARE_OF_THE_PAUSE = 0.5


@pytest.fixture
def kind_nodes(require, cluster) -> list[str]:
    """The cluster's nodes, each of whose kube-proxy rules docker exec can read, as on kind."""
    nodes = propagation.nodes()
    try:
        mode = kube_proxy.running_mode()
        for node in nodes:
            kube_proxy.node_rules(node, mode)
    except ClusterError as error:
        require(False, str(error))
    return nodes


@pytest.mark.multinode
def test_every_node_drops_a_deleted_pod_well_within_the_pre_stop_pause(
    multinode, kind_nodes, setup
):
    start_from("safe", "1", setup.traffic)
    measured = propagation.measure(DELETIONS)
    report = "\n".join([propagation.table(measured), *propagation.summary(measured)])

    assert measured.nodes == kind_nodes
    assert len(measured.deletions) == DELETIONS
    limit_s = safe_pre_stop_s() * SHARE_OF_THE_PAUSE
    for deletion in measured.deletions:
        assert deletion.endpoint_not_ready.seen_s > 0, report
        assert set(deletion.rules_gone) == set(kind_nodes), report
        for gone in deletion.rules_gone.values():
            assert 0 < gone.seen_s < limit_s, report

"""tools/cluster/kube_proxy.py without a cluster: kube-proxy's mode from its configuration, and the
pod addresses its rules DNAT to, in iptables and in nftables mode."""

from pathlib import Path

import pytest

from tests.helpers import run_module
from tools.cluster.commands import ClusterError
from tools.cluster.kube_proxy import configured_mode, dnat_destinations

# kube-proxy's rules as `docker exec NODE COMMAND` prints them on a kind node (COMMAND is the
# mode's, RULES[mode].command) while myapp runs 3 pods, abridged to myapp, kube-dns's dns-tcp port
# and the API server (and Docker's DNS in iptables mode). Written as kube-proxy writes its rules
# (pkg/proxy/iptables/proxier.go, pkg/proxy/nftables/proxier.go) and iptables-save and nft print
# them back, not captured from a node:
#   iptables-three-pods.txt                 iptables mode
#   iptables-after-deleting-10.244.2.3.txt  once it has dropped that pod (myapp's part)
#   nftables-endpoint-chains.txt            nftables mode in its first GA releases: a chain per
#                                           endpoint
#   nftables-after-deleting-10.244.2.3.txt  once it has dropped that pod: its chain is flushed at
#                                           once, deleted in a later sync (myapp's part)
#   nftables-service-maps.txt               newer releases: a Service's map of endpoints, or its
#                                           one endpoint, in the Service's chain
# (nft 1.0.6 lists such rules so, loaded into a scratch network namespace: the map as `dnat ip to
# numgen random mod 2 map { 0 : 10.244.1.2 . 8080, 1 : 10.244.2.2 . 8080 }`.)
RULES = Path(__file__).parent / "kube-proxy-rules"


def rules(name: str) -> str:
    return (RULES / name).read_text()


def test_iptables_dnat_destinations_are_every_endpoint_a_node_routes_to():
    assert dnat_destinations(rules("iptables-three-pods.txt"), "iptables") == {
        "10.244.1.2",
        "10.244.2.2",
        "10.244.2.3",  # myapp
        "10.244.0.2",
        "10.244.0.3",  # kube-dns
        "172.18.0.3",  # the API server
        "127.0.0.11",  # Docker's DNS, which kind's nodes use
    }


def test_iptables_drops_a_deleted_pods_rules():
    assert dnat_destinations(rules("iptables-after-deleting-10.244.2.3.txt"), "iptables") == {
        "10.244.1.2",
        "10.244.2.2",
    }


@pytest.mark.parametrize(
    "rule",
    [
        # The Service's jump to the endpoint names it in a comment only.
        '-A KUBE-SVC-HHGOZLBPI3QIJ6ES -m comment --comment "default/myapp:http -> 10.244.2.3:8080"'
        " -j KUBE-SEP-3BNHRVO3BVVBSWDM",
        # The endpoint's own masquerade rule names it as a source.
        '-A KUBE-SEP-3BNHRVO3BVVBSWDM -s 10.244.2.3/32 -m comment --comment "default/myapp:http"'
        " -j KUBE-MARK-MASQ",
        # Another pod whose address starts with the same digits.
        '-A KUBE-SEP-QZ5LHUYKT5GW6B2P -p tcp -m comment --comment "default/myapp:http" -m tcp'
        " -j DNAT --to-destination 10.244.2.31:8080",
    ],
)
def test_iptables_only_a_dnat_to_the_address_itself_counts(rule):
    assert "10.244.2.3" not in dnat_destinations(f"*nat\n{rule}\nCOMMIT\n", "iptables")


def test_nftables_dnat_destinations_are_every_endpoint_a_node_routes_to():
    assert dnat_destinations(rules("nftables-endpoint-chains.txt"), "nftables") == {
        "10.244.1.2",
        "10.244.2.2",
        "10.244.2.3",  # myapp
        "10.244.0.2",
        "10.244.0.3",  # kube-dns
        "172.18.0.3",  # the API server
    }


def test_nftables_drops_a_deleted_pod_though_its_flushed_chain_still_names_it():
    assert dnat_destinations(rules("nftables-after-deleting-10.244.2.3.txt"), "nftables") == {
        "10.244.1.2",
        "10.244.2.2",
    }


def test_nftables_endpoints_in_a_services_map_are_dnat_destinations():
    assert dnat_destinations(rules("nftables-service-maps.txt"), "nftables") == {
        "10.244.1.2",
        "10.244.2.2",
        "10.244.2.3",
        "172.18.0.3",
    }


@pytest.mark.parametrize(
    "rule",
    [
        # The endpoint's own masquerade rule names it as a source.
        "ip saddr 10.244.2.3 jump mark-for-masquerade",
        # The Service's jump to the endpoint names it in the chain's name only.
        "numgen random mod 1 vmap { 0 : goto"
        " endpoint-3BNHRVO3-default/myapp/tcp/http__10.244.2.3/8080 }",
        # A Service address in the dispatch map, and another pod whose address starts alike.
        "elements = { 10.244.2.3 . tcp . 80 : goto service-HHGOZLBP-default/myapp/tcp/http }",
        "meta l4proto tcp dnat to 10.244.2.31:8080",
        "meta l4proto tcp dnat ip to numgen random mod 1 map { 0 : 10.244.2.31 . 8080 }",
    ],
)
def test_nftables_only_a_dnat_to_the_address_itself_counts(rule):
    assert "10.244.2.3" not in dnat_destinations(
        f"table ip kube-proxy {{\n\t\t{rule}\n}}\n", "nftables"
    )


# kube-proxy's configuration as kubeadm keeps it (ConfigMap kube-proxy, key config.conf), abridged.
KUBE_PROXY_CONFIG = """\
apiVersion: kubeproxy.config.k8s.io/v1alpha1
bindAddress: 0.0.0.0
clusterCIDR: 10.244.0.0/16
conntrack:
  maxPerCore: 0
  tcpBeLiberal: true
iptables:
  minSyncPeriod: 1s
kind: KubeProxyConfiguration
{mode}
nftables:
  minSyncPeriod: 1s
"""


@pytest.mark.parametrize(
    ("line", "mode"),
    [
        ("mode: nftables", "nftables"),
        ('mode: "nftables"', "nftables"),
        ("mode: iptables", "iptables"),
        # Unset: Linux's default.
        ('mode: ""', "iptables"),
        ("", "iptables"),
    ],
)
def test_the_mode_comes_from_kube_proxys_configuration(line, mode):
    assert configured_mode(KUBE_PROXY_CONFIG.format(mode=line)) == mode


def test_a_mode_whose_rules_it_cannot_read_is_one_line():
    with pytest.raises(ClusterError) as caught:
        configured_mode(KUBE_PROXY_CONFIG.format(mode="mode: ipvs"))
    assert str(caught.value) == (
        "kube-proxy runs in ipvs mode: only the iptables and nftables modes can be read"
    )


def test_the_mode_on_the_command_line_is_one_line_when_the_cluster_cannot_say(monkeypatch):
    monkeypatch.setenv("KUBECTL", "kubectl-not-installed")
    run = run_module("tools.cluster.kube_proxy")
    assert run.returncode == 2
    assert run.stderr.startswith("kube_proxy: kubectl-not-installed not found: ")
    assert run.stderr.endswith("(docs/troubleshooting.md#kubectl)\n")
    assert run.stdout == ""

#!/usr/bin/env bash
# make cluster and make kind-config: the workshop's kind cluster, whose NodePorts 30080 (the
# Service) and 30081 (the gateway) answer on 127.0.0.1. Every setting is checked before anything runs, each wrong one in one line.
# Usage: hack/make-rules/cluster.sh create|config
#   (KIND, KIND_CLUSTER, KIND_NODE_IMAGE, NODES and PROXY_MODE come from make's settings)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

KIND=${KIND:-kind}
KIND_CLUSTER=${KIND_CLUSTER:-zero-downtime}
KIND_NODE_IMAGE=${KIND_NODE_IMAGE:-}
# (unset: the defaults; given empty: wrong, and said so)
NODES=${NODES-1}
PROXY_MODE=${PROXY_MODE-iptables}
PORTS=(30080 30081)

fail() {
  echo "error: $*" >&2
  exit 1
}

check_settings() {
  case "$NODES" in
    1 | 2 | 3 | 4 | 5) ;;
    *) fail "NODES must be a whole number from 1 to 5, not '$NODES'" ;;
  esac
  case "$PROXY_MODE" in
    iptables | nftables) ;;
    *) fail "PROXY_MODE must be iptables or nftables, not '$PROXY_MODE'" ;;
  esac
}

# k8s/kind-config.yaml, whose last key is `nodes`, with NODES - 1 workers appended to it, then
# kube-proxy's mode (kind's networking.kubeProxyMode) as a key of its own.
config() {
  cat k8s/kind-config.yaml
  for _ in $(seq 2 "$NODES"); do echo '  - role: worker'; done
  printf 'networking:\n  kubeProxyMode: %s\n' "$PROXY_MODE"
  # Kubernetes 1.35+ refuses cgroup v1 unless the kubelet is told otherwise (older Linux, some
  # CI machines).
  if [ "$(docker info --format '{{.CgroupVersion}}' 2>/dev/null)" = 1 ]; then
    printf '%s\n' "kubeadmConfigPatches:" "  - |" "    kind: KubeletConfiguration" \
      "    failCgroupV1: false"
  fi
}

create() {
  command -v "$KIND" >/dev/null || fail "$KIND not found: install kind from https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
  command -v docker >/dev/null || fail "docker not found: install Docker (Engine or Desktop) from https://docs.docker.com/get-docker/"
  docker info >/dev/null 2>&1 ||
    fail "Docker is not running: start Docker Desktop (or dockerd), then run make cluster again"
  if "$KIND" get clusters 2>/dev/null | grep -qx "$KIND_CLUSTER"; then
    "$KIND" export kubeconfig --name "$KIND_CLUSTER" >/dev/null
    echo "kind cluster '$KIND_CLUSTER' already exists: kubectl now points at it, context" \
      "kind-$KIND_CLUSTER (to change the cluster, e.g. its NODES: make cluster-delete first)"
    return
  fi
  for port in "${PORTS[@]}"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      fail "127.0.0.1:$port is taken, and the cluster needs it: find the owner with 'lsof -i :$port' and stop it"
    fi
  done
  local image=()
  if [ -n "$KIND_NODE_IMAGE" ]; then
    if ! docker image inspect "$KIND_NODE_IMAGE" >/dev/null 2>&1; then
      echo "pulling the node image $KIND_NODE_IMAGE (make prefetch pulls it before the day)"
      docker pull -q "$KIND_NODE_IMAGE" >/dev/null 2>&1 ||
        fail "node image $KIND_NODE_IMAGE is not on this machine and cannot be pulled: check its name and your network"
    fi
    image=(--image "$KIND_NODE_IMAGE")
  fi
  config_file=$(mktemp)
  trap 'rm -f "$config_file"' EXIT
  config >"$config_file"
  if grep -q failCgroupV1 "$config_file"; then
    echo "cgroup v1 host: allowing it in the kubelet's configuration (failCgroupV1: false;" \
      "Kubernetes 1.35+ refuses cgroup v1 otherwise)"
  fi
  "$KIND" create cluster --name "$KIND_CLUSTER" --config "$config_file" "${image[@]}" --wait 180s
}

check_settings
case "${1:-}" in
  create) create ;;
  config) config ;;
  *) fail "usage: hack/make-rules/cluster.sh create|config" ;;
esac

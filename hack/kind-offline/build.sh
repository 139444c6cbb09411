#!/usr/bin/env bash
# Offline build of a kind node image on a machine that reaches NO container registry and no
# download site, only the Go module proxy and Debian's mirror. This is what CI on such machines
# uses; workshop attendees never need it: their kind pulls the published kindest/node image.
#
# Everything is built here from Go modules and Debian packages, at the versions hack/versions.env
# pins:
#   kind (the CLI), and kubectl of the same release          -> $CACHE/bin/kind, $CACHE/bin/kubectl
#   Kubernetes binaries (kubeadm, kubelet, kubectl, control plane, kube-proxy), from k8s.io/kubernetes
#   containerd + shim + ctr, runc (with seccomp), crictl, CNI plugins          -> node base image
#   etcd, CoreDNS, pause, kindnetd                                              -> images, tagged
#     exactly as kubeadm and kind name them, preloaded into the node's containerd
#   a Debian rootfs made with debootstrap, laid out like kind's images/base (systemd, kind's
#     entrypoint and config files, copied from the sigs.k8s.io/kind module)
# and the node image is assembled the way `kind build node-image` does it (build container, copy the
# binaries to /usr/bin, write /kind/version and /kind/manifests, import the images into containerd
# with the pinned label, `docker commit`), because kind's own command would try to pull etcd,
# CoreDNS, pause and kindnetd from their registries.
#
# Usage:   hack/kind-offline/build.sh                  (as root; needs the Go of versions.env)
#          hack/kind-offline/build.sh --prerequisites  only install what the build needs with
#              apt-get (debootstrap, gcc, libseccomp-dev), so that no apt-get of the build's runs
#              beside another one (Docker's install: apt does not queue). Docker is needed from
#              the base image on (step 7), not before: CI starts this build first and Docker beside
#              it. docs/ci.md gives the time it takes from an empty cache.
# Output:  the node image name, as the LAST line of stdout; progress goes to stderr, each step's
#          full log to $CACHE/logs/STEP.log. Idempotent: every step is cached under $CACHE (never in
#          the git tree), so a second run takes seconds.
# Use it:  $CACHE/bin/kind create cluster --image "$(hack/kind-offline/build.sh | tail -n 1)" ...
#          (make cluster KIND_NODE_IMAGE=... adds what a cgroup v1 host's kubelet needs)
# Differences from kindest/node, and why:
#   - containerd's restrict_oom_score_adj is on (base.Dockerfile): on hosts without
#     CAP_SYS_RESOURCE every pod sandbox fails otherwise; a no-op elsewhere.
#   - kindnetd is built from kind's source one commit before it moved to a kube-network-policies
#     version the module proxy does not serve (kindnetd/README.md).
#   - no local-path-provisioner: the kit claims no volume, and without /kind/manifests/
#     default-storage.yaml kind installs its legacy host-path StorageClass instead (kind's
#     installstorage action, with a warning); a compile and two images less on CI's longest path.
#   - CoreDNS has only the plugins of the Corefile kubeadm deploys (read from kubeadm's source),
#     not all 50-odd: a third less to compile, and nothing else runs in a kind cluster.
#   - images are FROM scratch (+ /etc/passwd, /tmp, CA certificates) or FROM a Debian minbase
#     with iptables/nftables, instead of distroless; no fuse-overlayfs snapshotter (rootless only),
#     no nfs-common / open-iscsi in the node.
set -Eeuo pipefail
case "${1:-}" in
  "" | --prerequisites) ;;
  *) echo "usage: hack/kind-offline/build.sh [--prerequisites]" >&2; exit 2 ;;
esac

# ---- version pins: hack/versions.env, the kit's one place for them ------------------------------
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=hack/versions.env
. "$HERE/../versions.env"
K8S_VERSION=$K8S_BUILD_VERSION      # k8s.io/kubernetes; its staging modules are k8s.io/*@v0.MINOR.PATCH
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

# ---- names ---------------------------------------------------------------------------------------
CACHE=${KIND_OFFLINE_CACHE:-/var/cache/kind-offline}
NODE_IMAGE=${KIND_OFFLINE_NODE_IMAGE:-local/kind-node:${K8S_VERSION}}
BASE_IMAGE=${KIND_OFFLINE_BASE_IMAGE:-local/kind-base:${KIND_VERSION}}
# The images kind references (KINDNETD_IMAGE in versions.env, from kind's
# pkg/build/nodeimage/const_cni.go) and the sandbox image its containerd
# config names; kubeadm's own list is read from kubeadm itself below.

# -dwarf=false: every binary is linked with -w (no DWARF), so the compiler need not emit it:
# a tenth less compiling (CoreDNS from an empty cache: 210 -> 189 CPU seconds).
# GOGC=400: the compiler's own garbage collector runs a quarter as often, for about a sixth less
# CPU in all and a little more memory (docs/ci.md); the binaries are the same, and so is the
# build cache.
export GOPATH=$CACHE/go GOMODCACHE=$CACHE/go/mod GOCACHE=$CACHE/go/build GOFLAGS="-mod=mod -gcflags=all=-dwarf=false" GOGC=400
export GOTOOLCHAIN=local
KIND=$CACHE/bin/kind
KIND_SRC=$GOMODCACHE/sigs.k8s.io/kind@$KIND_VERSION
OUT=$CACHE/out                    # built binaries, one directory per component and version
IMAGES=$CACHE/images              # `docker save` tarballs that get imported into the node
NICE=(nice -n 15)
mkdir -p "$CACHE"/{bin,logs,stamps,src,tmp} "$OUT" "$IMAGES"

# ---- plumbing ------------------------------------------------------------------------------------
STEP=setup
T0=$(date +%s)
say() { printf '[kind-offline %4ss] %s\n' "$(($(date +%s) - T0))" "$*" >&2; }
fail() {
  local log=$CACHE/logs/$STEP.log
  if [ -s "$log" ]; then { echo "---- last lines of $log ----"; tail -n 25 "$log"; } >&2; fi
  echo "kind-offline build.sh: FAILED in step '$STEP': $* (log: $log)" >&2
  exit 1
}
# (in a subshell, e.g. a $(...), only end it: the assignment that used it then fails in the main shell)
# shellcheck disable=SC2016 # expanded where the trap fires, not here
ON_ERR='if [ "$BASHPID" = "$$" ]; then fail "command failed (line $LINENO)"; else exit 1; fi'
# shellcheck disable=SC2064 # ON_ERR is that text, to be expanded when the trap fires
trap "$ON_ERR" ERR

# run STEP_NAME KEY FUNCTION: runs FUNCTION unless the stamp of STEP_NAME holds KEY and the step's
# check function (check_STEP_NAME, when defined) passes. Output goes to the step's log.
run() {
  local name=$1 key=$2 fn=$3 stamp=$CACHE/stamps/$1
  STEP=$name
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ] && { ! declare -F "check_$name" >/dev/null || "check_$name"; }; then
    say "$name: cached"
    return 0
  fi
  local t
  t=$(date +%s)
  say "$name: building (log: $CACHE/logs/$name.log)"
  rm -f "$stamp"
  local rc=0
  # Not trapped: the line after names the step and shows its log, also in a background build.
  # (Not an `if ( ... )` either: set -e is ignored in a condition, also inside its subshell.)
  trap - ERR
  set +e
  ( set -e; "$fn" ) >"$CACHE/logs/$name.log" 2>&1
  rc=$?
  set -e
  # shellcheck disable=SC2064 # as above
  trap "$ON_ERR" ERR
  [ "$rc" = 0 ] || fail "$fn exited $rc"
  echo "$key" >"$stamp"
  say "$name: done in $(($(date +%s) - t))s"
}
have_image() { docker image inspect "$1" >/dev/null 2>&1; }
# size and mtime of a big file: a cheap stand-in for its hash in a cache key
stat_of() { stat -c '%s.%Y' "$@" | tr '\n' ':'; }
# hash of files in this folder that a step depends on, so editing them rebuilds that step
hash_of() { (cd "$HERE" && find "$@" -type f -print0 | sort -z | xargs -0 cat) | sha256sum | cut -c1-16; }

# go_wrapper DIR MODULE@VERSION [replace lines...]: a throwaway module that requires MODULE and
# lists the packages to build as tools; this is how modules with replace directives
# (k8s.io/kubernetes, etcd) are built from the module proxy.
go_wrapper() {
  local dir=$1 req=$2; shift 2
  mkdir -p "$dir"
  {
    echo "module local/kind-offline/build"; echo; echo "go $GO_VERSION.0"; echo
    echo "require ${req%@*} ${req#*@}"; echo
    if [ $# -gt 0 ]; then echo "replace ("; printf '\t%s\n' "$@"; echo ")"; fi
  } >"$dir/go.mod"
}
# go_tools DIR PKG...: add the packages as tool directives, resolve, tidy
go_tools() {
  local dir=$1; shift
  { echo; echo "tool ("; printf '\t%s\n' "$@"; echo ")"; } >>"$dir/go.mod"
  (cd "$dir" && go mod tidy)
}

# ---- 1. preflight --------------------------------------------------------------------------------
STEP=preflight
[ "$(id -u)" = 0 ] || fail "run as root (debootstrap, docker, apt-get)"
command -v go >/dev/null || fail "go is not installed (Go >= $GO_VERSION is needed: k8s.io/kubernetes $K8S_VERSION's go.mod says so)"
go_minor=$(go env GOVERSION | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
[ "${go_minor:-0}" -ge "${GO_VERSION#1.}" ] || fail "Go >= $GO_VERSION is needed, found $(go env GOVERSION)"
# Docker is waited for at step 7: say now if it is not up yet, so a person running this by hand knows.
docker info >/dev/null 2>&1 || say "docker is not answering yet: it is needed in about 20 min, for the images (start it, e.g. ../shared/ci-env/docker-up)"
missing=()
for tool_pkg in debootstrap:debootstrap gcc:gcc pkg-config:pkg-config; do
  command -v "${tool_pkg%%:*}" >/dev/null || missing+=("${tool_pkg#*:}")
done
[ -f /usr/include/seccomp.h ] || missing+=(libseccomp-dev)
[ -f /usr/lib/x86_64-linux-gnu/libc.a ] || missing+=(libc6-dev)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} with apt-get"
  # (waits for dpkg's lock: docker-up may be installing Docker beside this build)
  { apt-get -o DPkg::Lock::Timeout=600 update &&
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}"; } \
    >"$CACHE/logs/preflight.log" 2>&1 || fail "apt-get install ${missing[*]} failed"
fi
if [ "${1:-}" = --prerequisites ]; then
  say "prerequisites installed"
  exit 0
fi
[ "$(uname -m)" = x86_64 ] || fail "only amd64 is supported"

# ---- 2. kind CLI ---------------------------------------------------------------------------------
check_kind() { [ -x "$KIND" ] && "$KIND" version | grep -q "kind $KIND_VERSION " && [ -d "$KIND_SRC/images/base/files" ]; }
build_kind() {
  GOBIN=$CACHE/bin "${NICE[@]}" go install "sigs.k8s.io/kind@$KIND_VERSION"
  go mod download "sigs.k8s.io/kind@$KIND_VERSION"
}
# ---- 3. Debian rootfs (debootstrap), in the background while Go compiles ----------------------
# node: the packages of kind's images/base (less nfs-common and open-iscsi: no NFS/iSCSI volumes here)
NODE_PKGS=systemd,conntrack,iptables,nftables,iproute2,ethtool,util-linux,mount,kmod,libseccomp2,pigz,fuse-overlayfs,e2fsprogs,bash,ca-certificates,curl,jq,procps
# tools: what the kube-proxy and kindnetd images need
TOOLS_PKGS=iptables,nftables,conntrack,ipset,kmod,bash
rootfs_tar() { echo "$CACHE/rootfs-$DEBIAN_SUITE-$1.tar"; }
debootstrap_tar() { # NAME PACKAGES
  local root=$CACHE/tmp/rootfs-$1 tar; tar=$(rootfs_tar "$1")
  rm -rf "$root"
  "${NICE[@]}" debootstrap --variant=minbase --include="$2" "$DEBIAN_SUITE" "$root" "$DEBIAN_MIRROR"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/* \
         "$root"/var/log/* "$root"/tmp/* "$root"/var/tmp/* "$root"/var/cache/debconf/*-old
  tar -C "$root" --numeric-owner -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
  rm -rf "$root"
}
check_rootfs_node() { [ -s "$(rootfs_tar node)" ]; }
check_rootfs_tools() { [ -s "$(rootfs_tar tools)" ]; }
build_rootfs_node() { debootstrap_tar node "$NODE_PKGS"; }
build_rootfs_tools() { debootstrap_tar tools "$TOOLS_PKGS"; }
( run rootfs_node "$DEBIAN_SUITE:$NODE_PKGS" build_rootfs_node
  run rootfs_tools "$DEBIAN_SUITE:$TOOLS_PKGS" build_rootfs_tools ) &
ROOTFS_PID=$!

# ---- 4. Kubernetes binaries ----------------------------------------------------------------------
K8S_BIN=$OUT/kubernetes-$K8S_VERSION
K8S_CMDS=(kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy)
check_kubernetes() { for c in "${K8S_CMDS[@]}"; do [ -x "$K8S_BIN/$c" ] || return 1; done; }
build_kubernetes() {
  local staging=v0.${K8S_VERSION#v1.} dir=$CACHE/src/kubernetes-$K8S_VERSION kmod ldflags="-s -w" p
  go mod download "k8s.io/kubernetes@$K8S_VERSION"
  kmod=$GOMODCACHE/k8s.io/kubernetes@$K8S_VERSION/go.mod
  # k8s.io/kubernetes replaces every staging module with ./staging/src/k8s.io/X, which is not in
  # its module zip: point each at the published k8s.io/X module of the same release instead.
  mapfile -t reps < <(sed -n '/^replace (/,/^)/p' "$kmod" | awk -v v="$staging" '$2=="=>" && $3 ~ /^\.\/staging/ {print $1" => "$1" "v}')
  [ ${#reps[@]} -gt 20 ] || { echo "no staging replaces found in $kmod"; return 1; }
  go_wrapper "$dir" "k8s.io/kubernetes@$K8S_VERSION" "${reps[@]}"
  sed -i "s/^go $GO_VERSION.0\$/go $GO_VERSION.0\n\ngodebug default=go$GO_VERSION/" "$dir/go.mod"
  go_tools "$dir" "${K8S_CMDS[@]/#/k8s.io/kubernetes/cmd/}"
  local major=${K8S_VERSION#v}; major=${major%%.*}
  local minor=${K8S_VERSION#v*.}; minor=${minor%%.*}
  for p in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    ldflags+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=$major -X $p.gitMinor=$minor"
    ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  mkdir -p "$K8S_BIN"
  (cd "$dir" && CGO_ENABLED=0 "${NICE[@]}" go build -trimpath -tags selinux,notest -ldflags "$ldflags" \
      -o "$K8S_BIN/" "${K8S_CMDS[@]/#/k8s.io/kubernetes/cmd/}")
  "$K8S_BIN/kubelet" --version | grep -qx "Kubernetes $K8S_VERSION"
  "$K8S_BIN/kubeadm" version -o short | grep -qx "$K8S_VERSION"
}
# ---- 5. node runtime: containerd, runc, crictl, CNI plugins --------------------------------------
RT_BIN=$OUT/runtime-$CONTAINERD_VERSION-$RUNC_VERSION-$CRICTL_VERSION-$CNI_PLUGINS_VERSION
RT_FILES=(containerd containerd-shim-runc-v2 ctr runc crictl cni/bridge cni/host-local cni/loopback cni/portmap cni/ptp)
check_runtime() { for f in "${RT_FILES[@]}"; do [ -x "$RT_BIN/$f" ] || return 1; done; }
build_runtime() {
  local dir
  mkdir -p "$RT_BIN/cni"
  # containerd: built inside its own module (it has replace-free go.mod, but building in place keeps
  # its exact dependency versions); static, no cgo; the build tags kind uses.
  go mod download "github.com/containerd/containerd/v2@$CONTAINERD_VERSION"
  dir=$GOMODCACHE/github.com/containerd/containerd/v2@$CONTAINERD_VERSION
  (cd "$dir" && CGO_ENABLED=0 "${NICE[@]}" go build -trimpath -tags "no_aufs no_zfs no_btrfs no_devmapper" \
      -ldflags "-s -w -X github.com/containerd/containerd/v2/version.Version=$CONTAINERD_VERSION -X github.com/containerd/containerd/v2/version.Package=github.com/containerd/containerd/v2" \
      -o "$RT_BIN/" ./cmd/containerd ./cmd/containerd-shim-runc-v2 ./cmd/ctr)
  # runc: cgo is required (nsenter); with libseccomp like upstream's `make runc`
  go mod download "github.com/opencontainers/runc@$RUNC_VERSION"
  dir=$GOMODCACHE/github.com/opencontainers/runc@$RUNC_VERSION
  (cd "$dir" && CGO_ENABLED=1 "${NICE[@]}" go build -trimpath -tags "seccomp urfave_cli_no_docs" \
      -ldflags "-s -w -X main.version=${RUNC_VERSION#v}" -o "$RT_BIN/runc" .)
  go mod download "sigs.k8s.io/cri-tools@$CRICTL_VERSION"
  dir=$GOMODCACHE/sigs.k8s.io/cri-tools@$CRICTL_VERSION
  (cd "$dir" && CGO_ENABLED=0 "${NICE[@]}" go build -trimpath \
      -ldflags "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=$CRICTL_VERSION" -o "$RT_BIN/crictl" ./cmd/crictl)
  go mod download "github.com/containernetworking/plugins@$CNI_PLUGINS_VERSION"
  dir=$GOMODCACHE/github.com/containernetworking/plugins@$CNI_PLUGINS_VERSION
  (cd "$dir" && CGO_ENABLED=0 "${NICE[@]}" go build -trimpath \
      -ldflags "-s -w -X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=$CNI_PLUGINS_VERSION" \
      -o "$RT_BIN/cni/" ./plugins/main/bridge ./plugins/ipam/host-local ./plugins/main/loopback ./plugins/meta/portmap ./plugins/main/ptp)
  "$RT_BIN/containerd" --version
  "$RT_BIN/runc" --version
}
# ---- 6. images' binaries: etcd, CoreDNS, kindnetd, pause -----------------------------------------
ADDON_BIN=$OUT/addons-$ETCD_VERSION-$COREDNS_VERSION
ADDON_FILES=(etcd coredns kindnetd pause)
check_addons() { for f in "${ADDON_FILES[@]}"; do [ -x "$ADDON_BIN/$f" ] || return 1; done; }
build_addons() {
  local dir
  mkdir -p "$ADDON_BIN"
  # etcd's server module replaces its sibling modules with ../api etc.: build via a wrapper module
  dir=$CACHE/src/etcd-$ETCD_VERSION
  go_wrapper "$dir" "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  go_tools "$dir" go.etcd.io/etcd/server/v3
  (cd "$dir" && CGO_ENABLED=0 "${NICE[@]}" go build -trimpath -ldflags "-s -w" -o "$ADDON_BIN/etcd" go.etcd.io/etcd/server/v3)
  "$ADDON_BIN/etcd" --version | grep "etcd Version: ${ETCD_VERSION#v}"
  build_coredns
  # kindnetd is a nested module of the kind repository, not in the module zip: its source is
  # copied in ./kindnetd (see kindnetd/README.md)
  dir=$CACHE/src/kindnetd
  rm -rf "$dir" && cp -r "$HERE/kindnetd" "$dir"
  (cd "$dir" && CGO_ENABLED=0 "${NICE[@]}" go build -trimpath -ldflags "-s -w" -o "$ADDON_BIN/kindnetd" ./cmd/kindnetd)
  # pause: Kubernetes' own build/pause/linux/pause.c, static (the module may still be on its way
  # for the Kubernetes step beside this one: Go's module cache locks what it downloads)
  go mod download "k8s.io/kubernetes@$K8S_VERSION"
  gcc -Os -Wall -Werror -static -DVERSION=v3.10-kind-offline \
    -o "$ADDON_BIN/pause" "$GOMODCACHE/k8s.io/kubernetes@$K8S_VERSION/build/pause/linux/pause.c"
  strip "$ADDON_BIN/pause"
}
# CoreDNS with the plugins of kubeadm's Corefile, each imported by its package (the prometheus
# directive is the metrics plugin), like CoreDNS's own main with a shorter list
coredns_plugins() {
  # the directives at the top level of the Corefile's server block, template actions removed
  awk '/Corefile: \|/ {on = 1; next} on && /^`/ {exit}
       on { gsub(/\{\{[^}]*\}\}/, ""); if (depth == 1 && $1 ~ /^[a-z0-9_]+$/) print $1
            depth += gsub(/\{/, "{") - gsub(/\}/, "}") }' \
    "$GOMODCACHE/k8s.io/kubernetes@$K8S_VERSION/cmd/kubeadm/app/phases/addons/dns/manifests.go"
}
build_coredns() {
  local dir=$CACHE/src/coredns-$COREDNS_VERSION p plugins
  go mod download "k8s.io/kubernetes@$K8S_VERSION"   # kubeadm's Corefile (see pause below)
  mapfile -t plugins < <(coredns_plugins)
  [ ${#plugins[@]} -ge 5 ] || { echo "kubeadm's Corefile gave plugins: ${plugins[*]}"; return 1; }
  rm -rf "$dir" && go_wrapper "$dir" "github.com/coredns/coredns@$COREDNS_VERSION"
  { echo "package main"; echo; echo "import ("
    printf '\t_ "github.com/coredns/coredns/plugin/%s"\n' "${plugins[@]/#prometheus/metrics}"
    printf '\t"github.com/coredns/coredns/coremain"\n)\n\nfunc main() { coremain.Run() }\n'
  } >"$dir/main.go"
  (cd "$dir" && go mod tidy)
  (cd "$dir" && CGO_ENABLED=0 "${NICE[@]}" go build -trimpath -ldflags "-s -w" -o "$ADDON_BIN/coredns" .)
  "$ADDON_BIN/coredns" -version | grep "CoreDNS-${COREDNS_VERSION#v}"
  local built; built=$("$ADDON_BIN/coredns" -plugins)
  for p in "${plugins[@]}"; do
    grep -qx "$p" <<<"$built" || { echo "coredns lacks the plugin $p"; return 1; }
  done
}
# ---- 2, 4 to 6, together: the Go builds ---------------------------------------------------------
# Kubernetes' build is the longest step (20 to 28 min from an empty cache on 2 cores); kind's,
# the runtime's and the images' (19 to 27 min together) run beside it, so that one build's downloads and
# single-threaded links leave the other the CPU.
ADDONS_KEY="$ADDON_BIN:$(hash_of kindnetd):$(declare -f build_addons build_coredns coredns_plugins | sha256sum | cut -c1-16)"
( run kind "$KIND_VERSION" build_kind
  run runtime "$RT_BIN" build_runtime
  run addons "$ADDONS_KEY" build_addons ) &
SIDE_BUILDS_PID=$!
run kubernetes "$K8S_VERSION" build_kubernetes
# (each says what failed, and where its log is, above)
wait "$SIDE_BUILDS_PID" || { echo "kind-offline build.sh: stopped: kind, the runtime or the images' binaries failed to build" >&2; exit 1; }
wait "$ROOTFS_PID" || { echo "kind-offline build.sh: stopped: a Debian rootfs failed to build" >&2; exit 1; }

# ---- 7. kind base image --------------------------------------------------------------------------
BASE_KEY="$RT_BIN:$(hash_of base.Dockerfile):$(stat_of "$(rootfs_tar node)")"
check_base() { have_image "$BASE_IMAGE"; }
build_base() {
  local ctx=$CACHE/tmp/ctx-base
  rm -rf "$ctx" && mkdir -p "$ctx"
  docker import "$(rootfs_tar node)" "local/kind-offline-rootfs:$DEBIAN_SUITE-node"
  cp -r "$KIND_SRC/images/base/files" "$ctx/files" && chmod -R u+w "$ctx/files"
  cp -r "$RT_BIN" "$ctx/runtime"
  cp "$HERE/base.Dockerfile" "$ctx/Dockerfile"
  "${NICE[@]}" docker build --build-arg "ROOTFS=local/kind-offline-rootfs:$DEBIAN_SUITE-node" -t "$BASE_IMAGE" "$ctx"
  rm -rf "$ctx"
}
docker info >/dev/null 2>&1 || { STEP=base; fail "docker is not answering (start it, e.g. ../shared/ci-env/docker-up)"; }
run base "$BASE_KEY" build_base

# ---- 8. images preloaded in the node -------------------------------------------------------------
# image tarball name for an image reference
img_tar() { echo "$IMAGES/$(echo "$1" | tr '/:' '__').tar"; }
# the images kubeadm asks for, from kubeadm itself (kind drops kubeadm's pause for containerd's)
mapfile -t KUBEADM_IMAGES < <("$K8S_BIN/kubeadm" config images list --kubernetes-version "$K8S_VERSION" 2>/dev/null)
[ ${#KUBEADM_IMAGES[@]} -ge 6 ] || { STEP=images; fail "kubeadm config images list gave: ${KUBEADM_IMAGES[*]}"; }
SANDBOX_IMAGE=$(sed -n 's/^ *sandbox_image *= *"\(.*\)"/\1/p' "$KIND_SRC/images/base/files/etc/containerd/config.toml")
[ -n "$SANDBOX_IMAGE" ] || { STEP=images; fail "no sandbox_image in kind's containerd config"; }
ALL_IMAGES=("${KUBEADM_IMAGES[@]}" "$SANDBOX_IMAGE" "$KINDNETD_IMAGE")
check_images() { for i in "${ALL_IMAGES[@]}"; do [ -s "$(img_tar "$i")" ] || return 1; done; }
# The Dockerfile of each image. "static": FROM a scratch rootfs with /tmp, /etc/passwd and CA
# certificates (like distroless/static); "tools": FROM the Debian minbase rootfs with iptables and
# nftables (like registry.k8s.io/build-image/distroless-iptables), with the iptables wrapper.
PATH_ENV='ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
# shellcheck disable=SC2016 # a Dockerfile's text: $t is the RUN's shell's
WRAP_IPTABLES='COPY iptables-wrapper /usr/sbin/iptables-wrapper
RUN chmod 755 /usr/sbin/iptables-wrapper && for t in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do ln -sf iptables-wrapper /usr/sbin/$t; done'
dockerfile_for() { # IMAGE -> Dockerfile on stdout
  local b
  case "$1" in
    */kube-apiserver:*|*/kube-controller-manager:*|*/kube-scheduler:*)
      b=${1##*/}; b=${b%%:*}
      printf 'FROM %s\n%s\nCOPY bin/%s /usr/local/bin/%s\nENTRYPOINT ["/usr/local/bin/%s"]\n' "$STATIC_BASE" "$PATH_ENV" "$b" "$b" "$b" ;;
    */kube-proxy:*)
      printf 'FROM %s\n%s\n%s\nCOPY bin/kube-proxy /usr/local/bin/kube-proxy\nENTRYPOINT ["/usr/local/bin/kube-proxy"]\n' "$TOOLS_BASE" "$PATH_ENV" "$WRAP_IPTABLES" ;;
    */etcd:*)
      printf 'FROM %s\n%s\nCOPY bin/etcd /usr/local/bin/etcd\nWORKDIR /\nEXPOSE 2379 2380\nCMD ["/usr/local/bin/etcd"]\n' "$STATIC_BASE" "$PATH_ENV" ;;
    */coredns:*)
      printf 'FROM %s\n%s\nCOPY bin/coredns /coredns\nEXPOSE 53 53/udp\nENTRYPOINT ["/coredns"]\n' "$STATIC_BASE" "$PATH_ENV" ;;
    */pause:*)
      printf 'FROM scratch\nCOPY bin/pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n' ;;
    "$KINDNETD_IMAGE")
      printf 'FROM %s\n%s\n%s\nCOPY bin/kindnetd /bin/kindnetd\nCMD ["/bin/kindnetd"]\n' "$TOOLS_BASE" "$PATH_ENV" "$WRAP_IPTABLES" ;;
    *) echo "no recipe for image $1" >&2; return 1 ;;
  esac
}
STATIC_BASE=local/kind-offline-static:latest
TOOLS_BASE=local/kind-offline-rootfs:$DEBIAN_SUITE-tools
build_images() {
  local ctx=$CACHE/tmp/ctx-images st=$CACHE/tmp/static-rootfs img
  rm -rf "$ctx" "$st" && mkdir -p "$ctx/bin" "$st/etc/ssl/certs" "$st/tmp" "$st/var/run" "$st/root" "$st/home/nonroot"
  chmod 1777 "$st/tmp"; chmod 700 "$st/root"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$st/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' >"$st/etc/group"
  printf 'hosts: files dns\n' >"$st/etc/nsswitch.conf"
  cp /etc/ssl/certs/ca-certificates.crt "$st/etc/ssl/certs/"
  chown 65532:65532 "$st/home/nonroot"
  tar -C "$st" --numeric-owner -c . | docker import - "$STATIC_BASE"
  rm -rf "$st"
  docker import "$(rootfs_tar tools)" "$TOOLS_BASE"
  cp "$K8S_BIN"/kube-{apiserver,controller-manager,scheduler,proxy} "$ADDON_BIN"/* "$ctx/bin/"
  cp "$HERE/iptables-wrapper" "$ctx/"
  for img in "${ALL_IMAGES[@]}"; do
    echo "=== $img"
    dockerfile_for "$img" | tee "$ctx/Dockerfile"
    "${NICE[@]}" docker build -t "$img" "$ctx"
    docker save -o "$(img_tar "$img").tmp" "$img" && mv "$(img_tar "$img").tmp" "$(img_tar "$img")"
  done
  rm -rf "$ctx"
}
IMAGES_KEY="$K8S_BIN:$ADDONS_KEY:$(declare -f dockerfile_for build_images | cat - "$HERE/iptables-wrapper" | sha256sum | cut -c1-16):$(stat_of "$(rootfs_tar tools)"):${ALL_IMAGES[*]}"
run images "$IMAGES_KEY" build_images

# ---- 9. kind's default CNI manifest (a Go constant in kind's nodeimage package) --------------------
MANIFESTS=$CACHE/manifests-$KIND_VERSION
check_manifests() { [ -s "$MANIFESTS/default-cni.yaml" ]; }
build_manifests() {
  local dir=$CACHE/src/kind-manifests-$KIND_VERSION
  rm -rf "$dir" && mkdir -p "$dir" "$MANIFESTS"
  sed 's/^package nodeimage$/package main/' "$KIND_SRC/pkg/build/nodeimage/const_cni.go" >"$dir/const_cni.go"
  printf 'module local/kind-manifests\n\ngo %s.0\n' "$GO_VERSION" >"$dir/go.mod"
  cat >"$dir/main.go" <<'EOF'
package main

import "os"

func main() {
	dir := os.Args[1]
	if err := os.WriteFile(dir+"/default-cni.yaml", []byte(defaultCNIManifest), 0o644); err != nil {
		panic(err)
	}
}
EOF
  (cd "$dir" && go run . "$MANIFESTS")
  grep -q "image: $KINDNETD_IMAGE" "$MANIFESTS/default-cni.yaml"
}
run manifests "$KIND_VERSION" build_manifests

# ---- 10. node image ------------------------------------------------------------------------------
NODE_KEY="$(docker image inspect -f '{{.Id}}' "$BASE_IMAGE"):$K8S_BIN:$IMAGES_KEY:$(for i in "${ALL_IMAGES[@]}"; do stat_of "$(img_tar "$i")"; done | sha256sum | cut -c1-16)"
check_node() { have_image "$NODE_IMAGE"; }
build_node() {
  # the same steps as kind's pkg/build/nodeimage/buildcontext.go, with every image
  # imported from a local tarball instead of pulled
  local id=kind-offline-build-$$ b img
  docker rm -f "$id" >/dev/null 2>&1 || true
  docker run -d --entrypoint=sleep --name="$id" --security-opt seccomp=unconfined "$BASE_IMAGE" infinity
  trap 'docker rm -f -v '"$id"' >/dev/null 2>&1 || true' EXIT   # the step runs in a subshell
  for b in kubeadm kubelet kubectl; do
    docker cp "$K8S_BIN/$b" "$id:/usr/bin/$b"
    docker exec "$id" chmod +x "/usr/bin/$b"
    docker exec "$id" chown root:root "/usr/bin/$b"
  done
  docker exec "$id" mkdir -p /kind/manifests
  echo -n "$K8S_VERSION" | docker exec -i "$id" cp /dev/stdin /kind/version
  docker cp "$MANIFESTS/default-cni.yaml" "$id:/kind/manifests/default-cni.yaml"
  docker exec "$id" bash -c 'nohup containerd >/tmp/containerd.log 2>&1 &'
  docker exec "$id" bash -c 'for i in $(seq 1 30); do [ -S /run/containerd/containerd.sock ] && break; sleep 1; done; ctr info >/dev/null'
  for img in "${ALL_IMAGES[@]}"; do
    echo "=== importing $img"
    docker exec -i "$id" ctr --namespace=k8s.io images import --label=io.cri-containerd.pinned=pinned \
      --all-platforms --no-unpack --digests - <"$(img_tar "$img")"
  done
  docker exec "$id" ctr --namespace=k8s.io images list -q | tee "$CACHE/tmp/node-images.txt"
  for img in "${ALL_IMAGES[@]}"; do
    # containerd names docker.io images in full; kubeadm's registry.k8s.io names are already full
    case "$img" in */*/*|*.*/*) ;; *) img=docker.io/$img ;; esac
    grep -qx "$img" "$CACHE/tmp/node-images.txt" || { echo "image $img missing in the node's containerd"; return 1; }
  done
  docker exec "$id" pkill containerd
  # (PID 1 is sleep, which reaps nobody: a stopped containerd stays as a zombie)
  docker exec "$id" bash -c 'for i in $(seq 1 30); do ps -C containerd -o stat= | grep -qv "^Z" || exit 0; sleep 1; done; exit 1'
  docker exec "$id" rm -f /tmp/containerd.log
  docker commit \
    --change 'ENTRYPOINT [ "/usr/local/bin/entrypoint", "/sbin/init" ]' \
    --change 'ENV HTTP_PROXY="" HTTPS_PROXY="" NO_PROXY=""' \
    "$id" "$NODE_IMAGE"
}
run node "$NODE_KEY" build_node

STEP="done"
# A kubectl of the cluster's release beside kind: PATH=$CACHE/bin:$PATH gives both.
ln -sf "$K8S_BIN/kubectl" "$CACHE/bin/kubectl"
say "node image ready in $(($(date +%s) - T0))s; kind and kubectl: $CACHE/bin"
echo "$NODE_IMAGE"

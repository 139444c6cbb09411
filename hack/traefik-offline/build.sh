#!/usr/bin/env bash
# Offline build of the gateway's image, Traefik, on a machine that reaches NO container registry,
# only the Go module proxy: what CI uses. Attendees never need it: `make gateway` pulls Traefik's
# published image, pinned by digest (TRAEFIK_PUBLISHED_IMAGE in hack/versions.env).
#
# The same release (TRAEFIK_VERSION) is built from its Go module the way Traefik's Makefile builds
# it (static, its version stamped in, so `traefik version` names it), inside a copy of the module,
# because `go install` refuses a module with replace directives. Two things the module proxy does
# not give are made up for:
#   - pkg/config/dynamic/ext, a nested module the zip leaves out (two empty types upstream too);
#   - the version of Traefik's fork of abbot/go-http-auth that its go.mod names (refused): the
#     fork's version Traefik used from 2020 until August 2026 instead, which only the basic and
#     digest auth middlewares use, and the kit uses neither.
# The image is FROM scratch with the binary, CA certificates and a non-root user, entrypoint the
# binary: the manifests pass flags only, which Traefik's published image's entrypoint also takes.
#
# Usage:   hack/traefik-offline/build.sh                (needs Go; Docker for the image)
#          hack/traefik-offline/build.sh --binary-only  the compile alone, no Docker needed: CI
#              starts it first, beside the node image's build, before Docker is up
# Output:  the image name as the LAST line of stdout; progress on stderr; the compile's log in
#          $CACHE/build.log. Idempotent: the module, the build cache and the binary stay in $CACHE
#          (never in the git tree), so a second run takes seconds.
set -euo pipefail
case "${1:-}" in
  "" | --binary-only) ;;
  *) echo "usage: hack/traefik-offline/build.sh [--binary-only]" >&2; exit 2 ;;
esac
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=hack/versions.env
. "$HERE/../versions.env"
CACHE=${TRAEFIK_OFFLINE_CACHE:-/var/cache/traefik-offline}
IMAGE=local/traefik:$TRAEFIK_VERSION
BIN=$CACHE/out/traefik-$TRAEFIK_VERSION
MODULE=github.com/traefik/traefik/v3
# Traefik's fork of github.com/abbot/go-http-auth, at a version the proxy serves (see above)
GO_HTTP_AUTH=github.com/containous/go-http-auth@v0.4.1-0.20200324110947-a37a7636d23e
# As hack/kind-offline/build.sh: no DWARF (every binary is linked with -w), the compiler's GC a
# quarter as often, this machine's Go only.
export GOPATH=$CACHE/go GOMODCACHE=$CACHE/go/mod GOCACHE=$CACHE/go/build GOTOOLCHAIN=local \
  GOFLAGS="-mod=mod -gcflags=all=-dwarf=false" GOGC=400
T0=$SECONDS
say() { printf '[traefik-offline %4ss] %s\n' $((SECONDS - T0)) "$*" >&2; }
fail() { echo "traefik-offline build.sh: $*" >&2; exit 1; }
mkdir -p "$CACHE/out" "$CACHE/src"

build_binary() {
  local src=$CACHE/src/traefik-$TRAEFIK_VERSION
  go mod download "$MODULE@$TRAEFIK_VERSION"
  rm -rf "$src"
  cp -r "$GOMODCACHE/$MODULE@$TRAEFIK_VERSION" "$src"
  chmod -R u+w "$src"
  mkdir -p "$src/pkg/config/dynamic/ext"
  printf 'module github.com/traefik/traefik/dynamic/ext\n\ngo %s.0\n' "$GO_VERSION" \
    >"$src/pkg/config/dynamic/ext/go.mod"
  printf 'package ext\n\ntype HTTP struct{}\n\ntype Router struct{}\n' \
    >"$src/pkg/config/dynamic/ext/ext.go"
  (cd "$src" && go mod edit -replace "github.com/abbot/go-http-auth=$GO_HTTP_AUTH")
  (cd "$src" && CGO_ENABLED=0 nice -n 15 go build -trimpath -o "$BIN.tmp" \
    -ldflags "-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$TRAEFIK_VERSION" ./cmd/traefik)
  mv "$BIN.tmp" "$BIN"
}
if [[ ! -x $BIN ]]; then
  say "building Traefik $TRAEFIK_VERSION from its Go module (log: $CACHE/build.log)"
  # (not `build_binary || ...`: set -e is off inside a condition, also in its subshell)
  set +e
  (set -e; build_binary) >"$CACHE/build.log" 2>&1
  status=$?
  set -e
  if ((status != 0)); then
    tail -n 25 "$CACHE/build.log" >&2
    fail "go build failed (log: $CACHE/build.log)"
  fi
  say "built in $((SECONDS - T0)) s"
fi
"$BIN" version | grep -q "Version: *$TRAEFIK_VERSION\$" || fail "$BIN does not report $TRAEFIK_VERSION"
say "binary: $BIN, $("$BIN" version | head -n 1 | tr -s ' ')"
[[ ${1:-} != --binary-only ]] || exit 0

# The image, rebuilt when the binary or this recipe changes.
key=$( { stat -c '%s.%Y' "$BIN"; sed -n '/^build_image/,/^}/p' "${BASH_SOURCE[0]}"; } | sha256sum | cut -c1-16)
build_image() {
  local ctx=$CACHE/ctx
  rm -rf "$ctx" && mkdir -p "$ctx/root/etc/ssl/certs" "$ctx/root/tmp"
  chmod 1777 "$ctx/root/tmp"
  cp /etc/ssl/certs/ca-certificates.crt "$ctx/root/etc/ssl/certs/"
  printf 'nonroot:x:65532:65532:nonroot:/:/sbin/nologin\n' >"$ctx/root/etc/passwd"
  cp "$BIN" "$ctx/root/traefik"
  printf 'FROM scratch\nCOPY root/ /\nUSER 65532:65532\nEXPOSE 8000 8080\nENTRYPOINT ["/traefik"]\nLABEL traefik-offline.key=%s\n' \
    "$key" >"$ctx/Dockerfile"
  docker build -q -t "$IMAGE" "$ctx" >/dev/null
  rm -rf "$ctx"
}
docker info >/dev/null 2>&1 || fail "docker is not answering (start it, e.g. ../shared/ci-env/docker-up)"
if [[ $(docker image inspect -f '{{index .Config.Labels "traefik-offline.key"}}' "$IMAGE" 2>/dev/null) != "$key" ]]; then
  build_image
fi
say "image $IMAGE ready"
echo "$IMAGE"

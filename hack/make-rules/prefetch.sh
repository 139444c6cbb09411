#!/usr/bin/env bash
# make prefetch: what the workshop downloads, fetched before the day (at home, not 30 laptops on
# the venue's Wi-Fi): the images first (the Dockerfile's base image, make gateway's Traefik and
# the node image make cluster uses, last), then the wheels make test and make lint install. The images come first: they
# are the big download, and a laptop without ensurepip (a bare Debian, Ubuntu or WSL) stops at
# the virtualenv, after them. SAVE=1 also writes the images to PREFETCH_DIR/images.tar, tagged
# without their digest, for a facilitator's offline copy (docs/facilitator.md).
# Usage: hack/make-rules/prefetch.sh IMAGE...   (MAKE, VENV, PREFETCH_DIR, SAVE from make)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

command -v docker >/dev/null ||
  { echo "error: docker not found: install Docker (Engine or Desktop) from https://docs.docker.com/get-docker/" >&2; exit 1; }
docker info >/dev/null 2>&1 ||
  { echo "error: Docker is not running: start Docker Desktop (or dockerd), then run make prefetch again" >&2; exit 1; }
for image in "$@"; do
  echo "pulling $image"
  docker pull -q "$image" >/dev/null
done
if [ -n "${SAVE:-}" ]; then
  mkdir -p "$PREFETCH_DIR"
  tags=()
  for image in "$@"; do
    docker tag "$image" "${image%@*}"
    tags+=("${image%@*}")
  done
  docker save -o "$PREFETCH_DIR/images.tar" "${tags[@]}"
  echo "saved $PREFETCH_DIR/images.tar: docker load -i $PREFETCH_DIR/images.tar"
  # docker load brings back tags, not digests: the node image and Traefik's are named by their
  # tags there (make gateway loads a tagged image Docker has into kind).
  echo "then: make cluster KIND_NODE_IMAGE=${tags[-1]}; make gateway TRAEFIK_IMAGE=${tags[-2]}"
fi
"$MAKE" --no-print-directory "$VENV/.installed"
"$VENV/bin/pip" download --quiet --disable-pip-version-check -d "$PREFETCH_DIR/wheels" -r requirements-dev.txt
echo "prefetched: $* and the wheels in $PREFETCH_DIR/wheels"

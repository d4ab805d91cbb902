# Redis from Debian's packages on the local Debian base, for hosts without a registry
# (compose.local.yaml). Like the official image: runs the given redis-server command in /data,
# reachable from the stack's network (protected mode off; Redis is never published).
ARG BASE_IMAGE=behaviour-platform/debian:bookworm
FROM ${BASE_IMAGE}
RUN set -eu; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server; \
    rm -rf /var/lib/apt/lists/*; \
    install -d -o redis -g redis /data
WORKDIR /data
USER redis
EXPOSE 6379
ENTRYPOINT ["redis-server", "--protected-mode", "no", "--bind", "0.0.0.0"]
CMD []

# nginx from Debian's packages on the local Debian base, for hosts without a registry
# (compose.local.yaml). It serves the same deploy/nginx/platform.conf, mounted at
# /etc/nginx/conf.d/default.conf as for the official image, and runs as www-data: Docker lets
# unprivileged processes bind ports below 1024 inside a container. Debian 12's nginx (1.22) does
# not know `http2 on;` (1.25.1): the entrypoint writes `listen 443 ssl http2;` instead.
ARG BASE_IMAGE=behaviour-platform/debian:bookworm
FROM ${BASE_IMAGE}
RUN set -eu; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx-light curl; \
    rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/*; \
    install -d -o www-data -g www-data /var/lib/nginx /run/nginx
COPY nginx.conf /etc/nginx/nginx.conf
COPY nginx-entrypoint.sh /usr/local/bin/
USER www-data
EXPOSE 80 443
STOPSIGNAL SIGQUIT
ENTRYPOINT ["nginx-entrypoint.sh"]
CMD ["nginx", "-g", "daemon off;"]

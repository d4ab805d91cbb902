# PostgreSQL from Debian's packages on the local Debian base, for hosts without a registry
# (compose.local.yaml). It starts like the official image: POSTGRES_USER, POSTGRES_PASSWORD and
# POSTGRES_DB create the cluster on the first start of an empty volume. Debian 12 ships
# PostgreSQL 15; the production default (compose.yaml) is the official postgres:16.
ARG BASE_IMAGE=behaviour-platform/debian:bookworm
FROM ${BASE_IMAGE}
RUN set -eu; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15; \
    rm -rf /var/lib/apt/lists/*; \
    install -d -o postgres -g postgres -m 700 /var/lib/postgresql/data; \
    install -d -o postgres -g postgres /var/run/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/
USER postgres
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["postgres-entrypoint.sh"]
CMD ["postgres"]

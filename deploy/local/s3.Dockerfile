# The local stand-in for MinIO: moto's S3 server (an emulator of the S3 API, not MinIO), for
# hosts where no MinIO image can be had (compose.local.yaml). It keeps objects in memory: they
# are lost when the container stops. Built from deploy/ (the wheels of deploy/wheelhouse.sh):
#   docker build -f deploy/local/s3.Dockerfile deploy
ARG BASE_IMAGE=behaviour-platform/debian:bookworm
FROM ${BASE_IMAGE}
ENV PATH=/opt/venv/bin:$PATH PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1
RUN set -eu; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-venv; \
    rm -rf /var/lib/apt/lists/*; \
    python3 -m venv /opt/venv; \
    useradd --uid 1000 s3
RUN --mount=type=bind,source=wheels,target=/wheels \
    pip install --no-index --find-links /wheels "moto[server]>=5"
COPY local/s3_objects.py /usr/local/bin/
USER s3
EXPOSE 9000
HEALTHCHECK --interval=5s --timeout=5s --retries=20 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9000/moto-api/', timeout=4)"
CMD ["moto_server", "--host", "0.0.0.0", "--port", "9000"]

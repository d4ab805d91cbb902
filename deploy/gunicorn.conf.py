"""gunicorn settings for the web container (behind nginx, which buffers request bodies).

Every value can be changed from the environment without rebuilding the image.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", str(min(4, multiprocessing.cpu_count() * 2 + 1))))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
# Completing an upload hashes and probes the whole video before answering (tens of seconds for
# gigabytes); nginx's proxy_read_timeout (300 s) is above this.
timeout = int(os.environ.get("GUNICORN_TIMEOUT_S", "240"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so that a slow leak never takes the web app down.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# Heartbeat files in memory (/dev/shm, private to the container): an overlay filesystem can stall them.
_SHM = "/dev/shm"  # noqa: S108
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR") or (_SHM if os.path.isdir(_SHM) else None)
# X-Forwarded-Proto is trusted from these addresses. The web container publishes no port, so only
# nginx reaches it; set FORWARDED_ALLOW_IPS to nginx's address if gunicorn is reachable otherwise.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
accesslog = "-"
errorlog = "-"
chdir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "platform")

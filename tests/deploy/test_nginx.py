"""deploy/nginx/platform.conf run by a real nginx in front of gunicorn (bin/test installs nginx; a
machine without it fails these tests rather than skipping them): TLS, the redirect to HTTPS, static files, the body limit against the upload chunk,
and the headers the app relies on (X-Forwarded-Proto, Host).

The file is used as it is, with only what differs outside compose replaced: the upstream
address (gunicorn on 127.0.0.1 instead of web:8000), the ports, the certificate and static
folders, and, on nginx older than 1.25.1 (Debian 12 ships 1.22), the `http2 on;` directive,
which those versions spell as a `listen` parameter.
"""

from __future__ import annotations

import re
import shutil
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from tests.deploy.compose_files import NGINX_CONF, read_env_file
from tests.deploy.gunicorn_server import free_port

NGINX = shutil.which("nginx") or (shutil.which("nginx", path="/usr/sbin:/usr/local/sbin"))


def _nginx_version() -> tuple[int, ...]:
    output = subprocess.run([NGINX, "-v"], check=False, capture_output=True, text=True).stderr
    return tuple(int(part) for part in re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", output).groups())


class Nginx:
    def __init__(self, folder, upstream_port: int, static_root):
        self.folder = folder
        self.http_port, self.https_port = free_port(), free_port()
        folder.joinpath("logs").mkdir()
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
             "-keyout", str(folder / "privkey.pem"), "-out", str(folder / "fullchain.pem")],
            check=True, capture_output=True,
        )  # fmt: skip
        site = NGINX_CONF.read_text()
        replacements = {
            "server web:8000;": f"server 127.0.0.1:{upstream_port};",
            "listen 80;": f"listen 127.0.0.1:{self.http_port};",
            "listen 443 ssl;": f"listen 127.0.0.1:{self.https_port} ssl;",
            "/etc/nginx/certs/": f"{folder}/",
            "alias /srv/static/;": f"alias {static_root}/;",
        }
        if _nginx_version() < (1, 25, 1):
            replacements["http2 on;"] = ""
        for old, new in replacements.items():
            assert old in site, f"{old!r} is no longer in platform.conf: update this test"
            site = site.replace(old, new)
        (folder / "site.conf").write_text(site)
        user = "user root;" if shutil.os.geteuid() == 0 else ""
        (folder / "nginx.conf").write_text(
            f"""{user}
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/logs/error.log;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    include {folder}/site.conf;
}}
"""
        )
        self.process: subprocess.Popen | None = None

    def test_config(self) -> subprocess.CompletedProcess:
        return subprocess.run(
            [NGINX, "-t", "-p", str(self.folder), "-c", str(self.folder / "nginx.conf")],
            check=False,
            capture_output=True,
            text=True,
        )

    def start(self) -> None:
        self.process = subprocess.Popen(
            [NGINX, "-p", str(self.folder), "-c", str(self.folder / "nginx.conf"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/nginx-health", timeout=2)
                return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError((self.folder / "logs" / "error.log").read_text())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            self.process.wait(timeout=20)


@pytest.fixture(scope="module")
def nginx(gunicorn, tmp_path_factory):
    if NGINX is None:
        pytest.fail(
            "nginx is missing. Install it with `apt-get install -y nginx` (bin/test does this), then rerun."
        )
    server = Nginx(tmp_path_factory.mktemp("nginx"), gunicorn.port, gunicorn.static_root)
    checked = server.test_config()
    assert checked.returncode == 0, checked.stderr
    server.start()
    yield server
    server.stop()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _open(
    url: str, *, host: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None
):
    """(status, headers, body) of one request, without following redirects, trusting the test
    certificate."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    opener = urllib.request.build_opener(_NoRedirect, urllib.request.HTTPSHandler(context=context))
    request = urllib.request.Request(url, data=body, method=method, headers={"Host": host, **(headers or {})})
    try:
        with opener.open(request, timeout=60) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture(scope="module")
def host(web_env) -> str:
    return web_env["DJANGO_ALLOWED_HOSTS"].split(",")[0]


def test_plain_http_is_redirected_to_https(nginx, host):
    status, headers, _ = _open(f"http://127.0.0.1:{nginx.http_port}/patients/", host=host)
    assert status == 301
    assert headers["Location"] == f"https://{host}/patients/"


def test_the_health_check_answers_over_plain_http_for_load_balancers(nginx, host):
    status, _, body = _open(f"http://127.0.0.1:{nginx.http_port}/healthz", host=host)
    assert status == 200 and b'"ok"' in body


def test_pages_come_through_https_with_the_apps_security_headers_once(nginx, host):
    status, headers, _ = _open(f"https://127.0.0.1:{nginx.https_port}/login/", host=host)
    assert status == 200, "nginx passed X-Forwarded-Proto https and the Host: no redirect loop"
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers.get_all("X-Content-Type-Options") == ["nosniff"], "sent once, by Django"
    assert headers["X-Frame-Options"] == "DENY"
    assert "Server" not in headers or "nginx/" not in headers["Server"], "server_tokens off"


def test_static_files_are_served_by_nginx_with_headers(nginx, host, gunicorn):
    css = next(gunicorn.static_root.rglob("*.css"))
    path = css.relative_to(gunicorn.static_root).as_posix()
    status, headers, body = _open(f"https://127.0.0.1:{nginx.https_port}/static/{path}", host=host)
    assert status == 200 and body == css.read_bytes()
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age=2592000" in headers["Cache-Control"]


def test_a_whole_upload_chunk_passes_nginx_and_a_bigger_body_is_refused(nginx, host):
    chunk_bytes = int(read_env_file()["UPLOAD_CHUNK_BYTES"])
    url = f"https://127.0.0.1:{nginx.https_port}/api/v1/uploads/00000000-0000-0000-0000-000000000000/chunk/?offset=0"
    headers = {"Content-Type": "application/octet-stream"}
    status, _, body = _open(url, host=host, method="PUT", body=b"\x00" * chunk_bytes, headers=headers)
    assert status == 401, "the chunk reached the app, which asks for credentials"
    assert b"credentials" in body
    status, _, _ = _open(url, host=host, method="PUT", body=b"\x00" * (13 * 1024**2), headers=headers)
    assert status == 413, "nginx refuses a body above client_max_body_size before the app sees it"

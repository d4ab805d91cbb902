"""The web container as compose runs it: the production settings load from the compose
environment and pass `check --deploy`; nginx's limits fit the upload chunk and gunicorn's timeout;
the container's health check command succeeds against gunicorn started with gunicorn.conf.py."""

import re
import runpy
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from tests.deploy.compose_files import GUNICORN_CONF, NGINX_CONF, compose_config, read_env_file
from tests.deploy.gunicorn_server import REPO_ROOT

_SIZE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def nginx_directive(name: str) -> list[str]:
    """The values of an nginx directive, in file order (comments ignored)."""
    text = re.sub(r"#.*", "", NGINX_CONF.read_text())
    return [value.strip() for value in re.findall(rf"(?<![\w$-]){name}\s+([^;{{}}]+);", text)]


def nginx_bytes(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kmgKMG]?)", value.strip()).groups()
    return int(number) * _SIZE_UNITS[unit.lower()]


def nginx_seconds(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)(s|m)?", value.strip()).groups()
    return int(number) * (60 if unit == "m" else 1)


def test_nginx_accepts_a_whole_upload_chunk_with_room_for_headers(web_env):
    chunk_bytes = int(read_env_file()["UPLOAD_CHUNK_BYTES"])
    (limit,) = nginx_directive("client_max_body_size")
    assert nginx_bytes(limit) >= chunk_bytes + 1024**2


def test_nginx_waits_longer_than_gunicorn_for_an_upload_to_complete(web_env):
    gunicorn = runpy.run_path(str(GUNICORN_CONF))
    (read_timeout,) = nginx_directive("proxy_read_timeout")
    assert nginx_seconds(read_timeout) > gunicorn["timeout"]


def test_nginx_passes_the_client_address_and_scheme_the_app_trusts(web_env):
    headers = nginx_directive("proxy_set_header")
    assert "X-Forwarded-Proto $scheme" in headers, "SECURE_PROXY_SSL_HEADER reads X-Forwarded-Proto"
    assert "X-Real-IP $remote_addr" in headers, "TRUST_X_REAL_IP reads X-Real-IP, overwritten by nginx"
    assert web_env["TRUST_X_REAL_IP"] == "1"
    assert nginx_directive("listen") == ["80", "443 ssl"]
    assert any(value.startswith("301 https://") for value in nginx_directive("return"))


def test_production_settings_load_from_the_compose_environment_and_pass_check_deploy(web_env, tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        **web_env,
        "DJANGO_SETTINGS_MODULE": "config.settings_production",
        "PLATFORM_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--tag", "security", "--fail-level", "WARNING"],
        cwd=REPO_ROOT,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key(web_env, tmp_path):
    env = {**web_env, "PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings_production"}
    del env["DJANGO_SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=REPO_ROOT,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def _container_health_check(web_env, server) -> subprocess.CompletedProcess:
    """The web service's CMD-SHELL health check, run by sh as Docker runs it in the container
    (with the port of this test's gunicorn instead of 8000)."""
    kind, command = compose_config()["services"]["web"]["healthcheck"]["test"]
    assert kind == "CMD-SHELL"
    command = command.replace("127.0.0.1:8000", f"127.0.0.1:{server.port}")
    return subprocess.run(
        ["sh", "-c", command],
        env={"PATH": "/usr/bin:/bin", **web_env},
        check=False,
        capture_output=True,
        text=True,
    )


def test_the_web_containers_health_check_passes_against_gunicorn(web_env, gunicorn):
    result = _container_health_check(web_env, gunicorn)
    assert result.returncode == 0, result.stderr
    assert '"status": "ok"' in result.stdout


def test_without_an_allowed_host_header_the_health_check_would_fail(web_env, gunicorn):
    """Why the health check sends the Host header: Django refuses the container's own address."""
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{gunicorn.url}/healthz", timeout=10)
    assert refused.value.code == 400


def test_behind_nginx_pages_redirect_to_https_and_send_hsts(web_env, gunicorn):
    host = web_env["DJANGO_ALLOWED_HOSTS"].split(",")[0]
    plain = urllib.request.Request(f"{gunicorn.url}/login/", headers={"Host": host})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirected:
        opener.open(plain, timeout=10)
    assert redirected.value.code == 301
    assert redirected.value.headers["Location"] == f"https://{host}/login/"
    secure = urllib.request.Request(
        f"{gunicorn.url}/login/", headers={"Host": host, "X-Forwarded-Proto": "https"}
    )
    with opener.open(secure, timeout=10) as page:
        assert page.status == 200
        assert "max-age=31536000" in page.headers["Strict-Transport-Security"]
        assert page.headers["X-Frame-Options"] == "DENY"
        assert "Secure" in page.headers["Set-Cookie"]

"""The project as a whole: migrations in step with the models, production settings that pass
Django's deployment checks, the standard library's `platform` module, and bin/run's server."""

import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
STDLIB = Path(sysconfig.get_paths()["stdlib"]).resolve()


# Set for the test process only (Playwright's sync API beside Django's live server); a
# deployment never has it, and `check --deploy` rightly refuses it.
TEST_ONLY_VARIABLES = {"DJANGO_ALLOW_ASYNC_UNSAFE"}


def manage(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    inherited = {key: value for key, value in os.environ.items() if key not in TEST_ONLY_VARIABLES}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env={**inherited, **(env or {})},
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_migrations_are_in_step_with_the_models():
    result = manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout


def test_production_settings_pass_the_deployment_checks_without_a_warning():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        "--settings=config.settings_production",
        env={"DJANGO_SECRET_KEY": secrets.token_urlsafe(64), "DJANGO_ALLOWED_HOSTS": "behaviour.example.org"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SECRET_KEY"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--settings=config.settings_production"],
        cwd=REPO_ROOT,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_platform_is_the_standard_library_module_in_the_tests():
    assert Path(platform.__file__).resolve().parent == STDLIB
    assert platform.system() == os.uname().sysname


@pytest.mark.parametrize(
    "entry",
    [
        ["manage.py", "shell", "-c", "import platform; print(platform.__file__, platform.system())"],
        [
            "-c",
            "import sys; sys.path.insert(0, 'platform'); import config.wsgi, platform; "
            "print(platform.__file__, platform.system())",
        ],
    ],
    ids=["manage.py", "wsgi"],
)
def test_platform_is_the_standard_library_module_in_the_running_app(entry):
    result = subprocess.run(
        [sys.executable, *entry], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=True
    )
    path, system = result.stdout.strip().splitlines()[-1].rsplit(" ", 1)
    assert Path(path).resolve().parent == STDLIB
    assert system == os.uname().sysname


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_run_commands_server_answers_healthz_and_stops_on_ctrl_c(tmp_path):
    """bin/run --serve-only starts the same gunicorn as bin/run, on a temporary SQLite file."""
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "PLATFORM_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'smoke.sqlite3'}",
        "VENV": str(Path(sys.executable).parent.parent),
    }
    server = subprocess.Popen(
        [str(REPO_ROOT / "bin" / "run"), "--serve-only"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        status, deadline = None, time.monotonic() + 120
        while status is None and time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                    status = response.status
            except OSError:
                time.sleep(0.5)
        assert status == 200, (
            server.stdout.read().decode() if server.poll() is not None else "no answer in 120 s"
        )
    finally:
        server.send_signal(signal.SIGINT)  # what Ctrl-C sends
        try:
            returncode = server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            raise
    assert returncode == 0

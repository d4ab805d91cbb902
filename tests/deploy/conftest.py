"""The web container's environment (compose + env.example) and gunicorn started from it."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.compose_files import compose_config
from tests.deploy.gunicorn_server import REPO_ROOT, GunicornServer


@pytest.fixture(scope="session")
def web_env() -> dict[str, str]:
    """The web container's environment, as compose builds it from env.example."""
    return {key: str(value) for key, value in compose_config()["services"]["web"]["environment"].items()}


@pytest.fixture(scope="session")
def gunicorn(web_env, tmp_path_factory):
    """gunicorn with gunicorn.conf.py and the production settings, after the migrate service's
    command (migrations, collectstatic), on a throwaway SQLite database and local media.
    `gunicorn.static_root` is where collectstatic put the files nginx serves."""
    folder = tmp_path_factory.mktemp("web")
    env = {
        **web_env,
        "DJANGO_SETTINGS_MODULE": "config.settings_production",
        "DATABASE_URL": f"sqlite:///{folder / 'health.sqlite3'}",
        "STORAGE_BACKEND": "local",
        "PLATFORM_VAR_DIR": str(folder),
        "GUNICORN_WORKER_TMP_DIR": str(folder),
    }
    migrate = compose_config()["services"]["migrate"]["command"]
    result = subprocess.run(
        migrate,
        cwd=REPO_ROOT,
        env={**env, "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"},
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    with GunicornServer(env, log_path=folder / "gunicorn.log") as server:
        server.static_root = folder / "static"
        yield server

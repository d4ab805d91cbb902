"""deploy/compose.yaml and deploy/env.example: the stack the issue asks for, started in the right
order, with health checks, a GPU reservation, and every secret from the environment."""

import re
import subprocess

import pytest

from tests.deploy.compose_files import (
    COMPOSE_FILE,
    DEPLOY_DIR,
    ENV_EXAMPLE,
    LOCAL_OVERRIDE,
    MissingVariable,
    compose_config,
    compose_raw,
    read_env_file,
    referenced_variables,
)

LONG_RUNNING = {"postgres", "redis", "minio", "web", "worker-cpu", "worker-gpu", "nginx"}
ONE_SHOT = {"create-bucket", "migrate"}
APP_SERVICES = {"web", "worker-cpu", "worker-gpu", "beat"}
SECRET_NAMES = re.compile(r"(PASSWORD|SECRET|_KEY$)")


@pytest.fixture(scope="module")
def config():
    return compose_config()


def test_it_parses_and_names_every_service_the_issue_lists(config):
    services = config["services"]
    assert set(services) == LONG_RUNNING | ONE_SHOT | {"beat"}
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert "minio" in services["minio"]["image"]
    assert services["nginx"]["image"].startswith("nginx:")
    assert services["web"]["build"]["dockerfile"] == "deploy/Dockerfile"
    assert services["worker-gpu"]["build"]["dockerfile"] == "deploy/Dockerfile.gpu"
    assert "gunicorn" not in str(services["web"].get("command", "")), "web runs the image's gunicorn CMD"


def test_every_long_running_service_has_a_health_check(config):
    for name in LONG_RUNNING:
        check = config["services"][name].get("healthcheck")
        assert check and not check.get("disable") and check.get("test"), f"{name} has no health check"


def test_the_gpu_worker_reserves_a_gpu_and_consumes_the_gpu_queue(config):
    gpu = config["services"]["worker-gpu"]
    devices = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert devices == [{"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}]
    assert gpu["profiles"] == ["gpu"], "the GPU worker starts only where asked (--profile gpu)"
    assert gpu["command"][gpu["command"].index("-Q") + 1] == "gpu"
    assert gpu["environment"]["ANALYSIS_DEVICE"] == "cuda"
    cpu = config["services"]["worker-cpu"]
    assert cpu["command"][cpu["command"].index("-Q") + 1] == "cpu"
    assert "deploy" not in cpu


def test_migrations_run_before_anything_serves_or_runs_jobs(config):
    services = config["services"]
    migrate = services["migrate"]
    assert "manage.py migrate --noinput" in " ".join(migrate["command"])
    assert migrate["restart"] == "no"
    for name in APP_SERVICES:
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    for name in ("migrate", "web"):
        for backend in ("postgres", "redis", "minio"):
            assert services[name]["depends_on"][backend] == {"condition": "service_healthy"}
    assert services["nginx"]["depends_on"]["web"] == {"condition": "service_healthy"}


def test_the_app_stores_media_in_the_object_store_and_queues_on_redis(config):
    for name in APP_SERVICES | {"migrate"}:
        env = config["services"][name]["environment"]
        assert env["STORAGE_BACKEND"] == "s3"
        assert env["S3_ENDPOINT_URL"] == "http://minio:9000"
        assert env["REDIS_URL"].startswith("redis://redis:6379/")
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]


def test_no_secret_is_written_in_the_compose_file():
    """Every secret-looking value is an interpolation from deploy/.env, never a literal."""
    raw = compose_raw()

    def walk(node, path=""):
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str) and SECRET_NAMES.search(key) and isinstance(value, str):
                    assert value.startswith("${") or value.startswith("$${"), f"{path}.{key} is a literal"
                walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for item in node:
                walk(item, path)

    walk(raw)


def test_the_app_does_not_receive_the_object_stores_root_password(config):
    for name in APP_SERVICES:
        env = config["services"][name]["environment"]
        assert "MINIO_ROOT_PASSWORD" not in env and "env_file" not in config["services"][name]
        assert env["S3_ACCESS_KEY_ID"] != read_env_file()["MINIO_ROOT_USER"]


def test_compose_refuses_to_start_without_a_required_secret():
    env = read_env_file()
    del env["DJANGO_SECRET_KEY"]
    with pytest.raises(MissingVariable, match="DJANGO_SECRET_KEY"):
        compose_config(env)


def test_env_example_defines_every_variable_compose_requires_and_nothing_unused():
    variables = referenced_variables(compose_raw())
    example = read_env_file()
    required = {name for name, (op, _) in variables.items() if op in (None, ":?", "?")}
    assert required <= set(example), f"missing from env.example: {sorted(required - set(example))}"
    # Every line of env.example is used by compose (a setting nobody reads misleads the operator).
    assert set(example) <= set(variables), f"unused in compose: {sorted(set(example) - set(variables))}"


def test_every_setting_compose_passes_to_the_app_is_read_by_the_app(config):
    """A typo in a variable name would be silently ignored: each one must appear in the code."""
    sources = "".join(
        path.read_text()
        for path in (
            DEPLOY_DIR.parent / "platform" / "config" / "settings.py",
            DEPLOY_DIR.parent / "platform" / "config" / "settings_production.py",
            DEPLOY_DIR / "gunicorn.conf.py",
        )
    )
    for name in config["services"]["web"]["environment"]:
        assert f'"{name}"' in sources, f"{name} is set by compose but read nowhere"


def test_env_example_is_only_an_example():
    """Its secrets are placeholders that say so, so that nobody deploys them by mistake."""
    example = read_env_file(ENV_EXAMPLE)
    for key, value in example.items():
        if SECRET_NAMES.search(key) and key != "S3_ACCESS_KEY_ID":
            assert "change-me" in value, f"{key} in env.example looks like a real secret"


def test_dot_env_is_kept_out_of_images_and_git():
    for ignore in ("Dockerfile.dockerignore", "Dockerfile.gpu.dockerignore"):
        lines = (DEPLOY_DIR / ignore).read_text().splitlines()
        assert "deploy/.env" in lines and lines[lines.index("**")] == "**"
    tracked = subprocess.run(
        ["git", "ls-files", "deploy/.env", "deploy/certs"],
        cwd=DEPLOY_DIR.parent,
        check=False,
        capture_output=True,
        text=True,
    )
    assert tracked.stdout.strip() == ""


@pytest.mark.parametrize("override", [None, LOCAL_OVERRIDE], ids=["registry", "local"])
def test_docker_compose_accepts_the_file(tmp_path, override):
    """The real Compose v2 (bin/test installs it: deploy/docker-engine.sh) reads the stack, alone
    and with the local override."""
    compose = subprocess.run(["docker", "compose", "version"], check=False, capture_output=True)
    assert compose.returncode == 0, "Compose v2 is missing: run deploy/docker-engine.sh (bin/test does)."
    env_file = tmp_path / ".env"
    env_file.write_text(ENV_EXAMPLE.read_text())
    files = ["-f", str(COMPOSE_FILE)] + (["-f", str(override)] if override else [])
    result = subprocess.run(
        ["docker", "compose", "--env-file", str(env_file), *files, "--profile", "gpu", "config", "-q"],
        check=False,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr

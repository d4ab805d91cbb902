"""Reading deploy/ the way Docker Compose does: the compose file, its variable interpolation
from deploy/.env (here: env.example), and the env files themselves. No Docker engine needed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

DEPLOY_DIR = Path(__file__).resolve().parents[2] / "deploy"
COMPOSE_FILE = DEPLOY_DIR / "compose.yaml"
LOCAL_OVERRIDE = DEPLOY_DIR / "compose.local.yaml"
ENV_EXAMPLE = DEPLOY_DIR / "env.example"
NGINX_CONF = DEPLOY_DIR / "nginx" / "platform.conf"
GUNICORN_CONF = DEPLOY_DIR / "gunicorn.conf.py"

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}
_VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def read_env_file(path: Path = ENV_EXAMPLE) -> dict[str, str]:
    """KEY=value lines of a compose env file (comments and blank lines skipped)."""
    values = {}
    for raw_line in path.read_text().splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip()
    return values


def compose_raw() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def _strings(node: Any):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)
    elif isinstance(node, str):
        yield node


def referenced_variables(raw: dict[str, Any]) -> dict[str, tuple[str | None, str]]:
    """{name: (op, arg)} of every ${...} the parsed compose file interpolates (not $$-escaped)."""
    found = {}
    for text in _strings(raw):
        for match in _VARIABLE.finditer(text.replace("$$", "")):
            found[match["name"]] = (match["op"], match["arg"] or "")
    return found


class MissingVariable(Exception):
    pass


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's interpolation of one parsed value (recursively); $$ becomes a literal $."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match) -> str:
        name, op, arg = match["name"], match["op"], match["arg"] or ""
        present = name in env and (env[name] != "" or not (op or "").startswith(":"))
        if present:
            return env[name]
        if op in (":?", "?"):
            raise MissingVariable(arg or f"{name} is required")
        if op in (":-", "-"):
            return arg
        return ""

    parts = value.split("$$")
    return "$".join(_VARIABLE.sub(substitute, part) for part in parts)


def compose_config(env: dict[str, str] | None = None) -> dict[str, Any]:
    """The compose file as Compose sees it once deploy/.env (by default env.example) is read."""
    return interpolate(compose_raw(), read_env_file() if env is None else env)

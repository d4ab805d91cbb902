"""One job per module: no module of the product grows past 400 lines.

A module that long does more than one job; split it by job (the way analysis/metrics/praxis*.py
and frontend/static/js/upload*.js are) rather than raise the limit. Migrations are generated and
vendored or minified scripts are not ours, so they are left out.
"""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 400
PYTHON_ROOTS = ("analysis", "platform", "workers", "frontend")
SCRIPT_ROOT = "frontend/static/js"


def _ours(path: Path) -> bool:
    parts = set(path.relative_to(REPO_ROOT).parts)
    return not parts & {"migrations", "vendor", "__pycache__"} and ".min." not in path.name


def product_modules() -> list[Path]:
    """Every Python module under the product's packages and every script of the pages."""
    modules = [path for root in PYTHON_ROOTS for path in (REPO_ROOT / root).rglob("*.py")]
    modules += list((REPO_ROOT / SCRIPT_ROOT).rglob("*.js"))
    return sorted(path for path in modules if _ours(path))


def line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_the_walk_finds_the_python_modules_and_the_page_scripts():
    found = {path.relative_to(REPO_ROOT).as_posix() for path in product_modules()}
    assert {"analysis/pipeline.py", "platform/audit/services.py", "frontend/static/js/upload.js"} <= found
    assert not any("/migrations/" in path or path.endswith(".min.js") for path in found)


def test_every_module_is_at_most_400_lines():
    too_long = {
        path.relative_to(REPO_ROOT).as_posix(): lines
        for path in product_modules()
        if (lines := line_count(path)) > MAX_LINES
    }
    assert not too_long, "Modules over 400 lines; split them by job: " + "; ".join(
        f"{path} has {lines} lines" for path, lines in sorted(too_long.items())
    )

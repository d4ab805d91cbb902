"""Put the repository's source roots on sys.path (for wsgi, asgi and the Celery app).

platform/ holds the Django packages but is not a package itself, so every entry point adds
it to sys.path, after the repository root (which holds analysis/, workers/ and frontend/).
"""

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PLATFORM_ROOT = REPO_ROOT / "platform"


def add_source_roots() -> None:
    for path in (str(REPO_ROOT), str(PLATFORM_ROOT)):
        if path not in sys.path:
            sys.path.insert(0, path)

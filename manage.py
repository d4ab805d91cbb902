#!/usr/bin/env python
"""Django's command-line utility, with platform/ put on sys.path first.

platform/ is a source folder, not a package: a package named `platform` would shadow the
standard library module that Django, Celery and NumPy import.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def main() -> None:
    for path in (ROOT, ROOT / "platform"):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line  # noqa: PLC0415 (after sys.path is set)

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

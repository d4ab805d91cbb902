"""Fixtures of the access tests: the demo's administrator (a superuser, every model permission),
and the walk of the access table by every role, done once for the whole folder."""

import pytest
from django.conf import settings
from django.db import transaction
from django.test import override_settings

from tests.access.figures import figures
from tests.access.matrix import ROLES, make_objects
from tests.access.walk import Answer, walk
from tests.factories import make_world

# The answers of the last walk, for the figures printed at the end of the run.
WALKED: dict[str, list[Answer]] = {}


@pytest.fixture
def superuser_admin(world):
    world.admin.is_superuser = True
    world.admin.save()
    return world.admin


@pytest.fixture(scope="package")
def walked(django_db_setup, django_db_blocker, tmp_path_factory) -> dict[str, list[Answer]]:
    """role -> the answers of every probe of the access table. Each role walks a world of its
    own (built, walked, then rolled back), so that the writes of one role change nothing that
    another reads; the stored files go to a temporary folder."""
    media = tmp_path_factory.mktemp("access-media")
    storage = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(media)}}
    with (
        django_db_blocker.unblock(),
        override_settings(
            STORAGES={**settings.STORAGES, "default": storage},
            MEDIA_ROOT=media,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
    ):
        for role in ROLES:
            with transaction.atomic():
                WALKED[role] = walk(make_objects(make_world()), role)
                transaction.set_rollback(True)
    return WALKED


def pytest_terminal_summary(terminalreporter):
    if not WALKED:
        return
    terminalreporter.section("access matrix and audit completeness")
    for line in figures(WALKED):
        terminalreporter.write_line(line)

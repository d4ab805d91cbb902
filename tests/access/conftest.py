"""Fixtures of the access tests: the demo's administrator (a superuser, every model permission)."""

import pytest


@pytest.fixture
def superuser_admin(world):
    world.admin.is_superuser = True
    world.admin.save()
    return world.admin

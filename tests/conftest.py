"""Fixtures shared by every test: the personas world and a logged-in client per persona."""

import pytest

from tests.factories import World, make_world


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Real password checks, with a cheap hash: the personas log in hundreds of times."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db) -> World:
    return make_world()


@pytest.fixture
def login(client):
    """login(world.clinician) → the test client, logged in as that persona.

    force_login: client.login() cannot pass the request that django-axes needs; the log-in form
    itself (password, lockout) is tested through the login view.
    """

    def _login(user):
        client.logout()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return _login

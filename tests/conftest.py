"""Fixtures shared by every test: the personas world and a logged-in client per persona."""

import os

import pytest
from rest_framework.test import APIClient

from accounts.tokens import api_token_create
from tests.factories import World, make_world

pytest_plugins = ["tests.skip_policy", "pytester"]


@pytest.fixture(autouse=True, scope="session")
def analysis_cache(tmp_path_factory):
    """The expression network translated from its Keras file is kept in this test session's own
    cache folder (analysis/emotion.py), not the user's: the session translates it once, as a
    fresh machine does, and leaves nothing behind."""
    os.environ["ANALYSIS_CACHE_DIR"] = str(tmp_path_factory.mktemp("analysis-cache"))


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


@pytest.fixture
def api():
    """api(user) → an APIClient authenticated with the user's token; api(None) → anonymous."""

    def _client(user):
        client = APIClient()
        if user is not None:
            _, key = api_token_create(user=user, name="tests")
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return _client

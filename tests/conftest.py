"""Fixtures shared by every test: the personas world and a logged-in client per persona."""

import pytest

from tests.factories import PASSWORD, World, make_world


@pytest.fixture
def world(db) -> World:
    return make_world()


@pytest.fixture
def login(client):
    """login("clinician") → the test client, logged in as that persona."""

    def _login(user):
        client.logout()
        assert client.login(username=user.username, password=PASSWORD), f"cannot log in as {user.username}"
        return client

    return _login

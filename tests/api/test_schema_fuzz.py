"""schemathesis against the live OpenAPI schema: generated requests to every operation, on the
real database, as a clinician with data to find. Any 5xx fails the test."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from accounts.tokens import api_token_create
from tests.api.conftest import make_analysed_session

EXAMPLES_PER_OPERATION = 8


@pytest.fixture
def keep_test_connection():
    """The WSGI handler closes database connections around each request; inside a test that
    would close the test's transaction, so do what Django's test client does and skip it."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_it_never_answers_with_a_server_error(world, keep_test_connection):
    make_analysed_session(world.patient, by=world.clinician)
    _, key = api_token_create(user=world.clinician, name="tests")
    headers = {"Authorization": f"Token {key}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def call(case):
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        call()

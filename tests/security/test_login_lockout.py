"""Login rate limiting through the real login form (django-axes): 5 failures for one username from
one address lock it for 15 minutes, whatever the password; the API's token endpoint obeys the
same lock; other people and other addresses are not affected; the lock lifts after the cool-off."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ApiToken
from tests.factories import PASSWORD

LOCKED_TEXT = "Too many failed log-in attempts"


def login_form(address: str = "10.0.0.7", **headers) -> Client:
    """A browser at that address, holding the login page's CSRF token."""
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR=address, **headers)
    client.get(reverse("login"))
    client.csrf = client.cookies["csrftoken"].value
    return client


def submit(client: Client, username: str, password: str):
    return client.post(
        reverse("login"),
        {"username": username, "password": password, "csrfmiddlewaretoken": client.csrf},
    )


def fail_until_locked(client: Client, username: str) -> list[int]:
    return [
        submit(client, username, "wrong-password").status_code for _ in range(settings.AXES_FAILURE_LIMIT)
    ]


def test_the_settings_lock_after_5_failures_for_15_minutes():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=15)
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"], "ip_address"]
    assert settings.AXES_RESET_ON_SUCCESS


def test_a_wrong_password_shows_the_form_again_until_the_fifth(world):
    client = login_form()
    statuses = fail_until_locked(client, world.clinician.username)
    # Four ordinary refusals (the form again), then the fifth failure locks.
    assert statuses[:4] == [200, 200, 200, 200]
    assert statuses[4] == 429


def test_after_5_failures_even_the_right_password_is_refused_with_the_lockout_page(world):
    client = login_form()
    fail_until_locked(client, world.clinician.username)
    answer = submit(client, world.clinician.username, PASSWORD)
    assert answer.status_code == 429
    assert LOCKED_TEXT in answer.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("patient_list")).status_code == 302, "still logged out"


def test_the_token_endpoint_cannot_be_used_to_get_round_the_lock(world):
    fail_until_locked(login_form(), world.clinician.username)
    api = APIClient(REMOTE_ADDR="10.0.0.7")
    answer = api.post("/api/v1/auth/token/", {"username": world.clinician.username, "password": PASSWORD})
    assert answer.status_code == 429
    assert answer["Content-Type"] == "application/json"
    assert LOCKED_TEXT in answer.json()["message"]
    assert not ApiToken.objects.filter(user=world.clinician).exists()


def test_failures_through_the_token_endpoint_count_too(world):
    api = APIClient(REMOTE_ADDR="10.0.0.7")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert api.post("/api/v1/auth/token/", {"username": "clinician", "password": "nope"}).status_code in (
            401,
            429,
        )
    assert submit(login_form(), world.clinician.username, PASSWORD).status_code == 429


def test_the_lock_is_per_username_and_address(world):
    fail_until_locked(login_form("10.0.0.7"), world.clinician.username)
    elsewhere = submit(login_form("10.0.0.99"), world.clinician.username, PASSWORD)
    assert elsewhere.status_code == 302, "the same username from another address logs in"


def test_one_address_cannot_try_many_usernames(world):
    """Finding 12: the lock was per (username, address) only, so one address could try five
    passwords for every username. Now five failures from one address, whatever the usernames,
    lock that address."""
    client = login_form("10.0.0.8")
    usernames = [
        world.clinician.username,
        world.colleague.username,
        world.uploader.username,
        "nobody",
        "admin",
    ]
    statuses = [submit(client, username, "wrong-password").status_code for username in usernames]
    assert statuses[-1] == 429
    assert submit(login_form("10.0.0.8"), world.statistician.username, PASSWORD).status_code == 429
    assert submit(login_form("10.0.0.9"), world.statistician.username, PASSWORD).status_code == 302


def test_the_apis_lockout_answers_json(world):
    """Finding 12: the token endpoint's lockout answered the HTML page."""
    api = APIClient(REMOTE_ADDR="10.0.0.10")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api.post("/api/v1/auth/token/", {"username": "clinician", "password": "nope"})
    answer = api.post("/api/v1/auth/token/", {"username": "clinician", "password": PASSWORD})
    assert answer.status_code == 429
    assert answer["Content-Type"] == "application/json"
    assert "Wait 15 minutes" in answer.json()["message"]


def test_the_lock_lifts_after_the_cool_off(world):
    client = login_form()
    fail_until_locked(client, world.clinician.username)
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16)
    )
    answer = submit(client, world.clinician.username, PASSWORD)
    assert answer.status_code == 302
    assert answer["Location"] == reverse("home")


@pytest.mark.parametrize("trusted", [True, False])
def test_behind_nginx_the_lock_uses_the_client_address_nginx_gives(world, settings, trusted):
    """Behind deploy/nginx every request comes from nginx's address; with TRUST_X_REAL_IP the lock
    falls on the client's address (X-Real-IP), so one person's mistakes do not lock others out."""
    settings.TRUST_X_REAL_IP = trusted
    nginx = "172.18.0.5"
    fail_until_locked(login_form(nginx, HTTP_X_REAL_IP="192.0.2.10"), world.clinician.username)
    other_client = submit(login_form(nginx, HTTP_X_REAL_IP="192.0.2.11"), world.clinician.username, PASSWORD)
    assert other_client.status_code == (302 if trusted else 429)
    assert AccessAttempt.objects.get().ip_address == ("192.0.2.10" if trusted else nginx)

"""Web sessions expire (8 h, or when the browser closes; logout ends them on the server) and API
tokens are revocable: after DELETE /api/v1/auth/token/ the old token is refused."""

from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import PASSWORD


def login_through_the_form(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("login"))
    answer = client.post(
        reverse("login"),
        {
            "username": user.username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
        },
    )
    assert answer.status_code == 302
    return client


def test_sessions_last_a_clinical_shift_and_end_with_the_browser():
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert settings.SESSION_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"


def test_the_session_cookie_is_a_browser_session_cookie_and_http_only(world):
    client = login_through_the_form(world.clinician)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["max-age"] == "" and cookie["expires"] == "", "no expiry date: gone when the browser closes"
    session = Session.objects.get(session_key=cookie.value)
    remaining = session.expire_date - timezone.now()
    assert timedelta(hours=7, minutes=59) < remaining <= timedelta(hours=8)


def test_an_expired_session_sends_the_person_back_to_the_login_page(world):
    client = login_through_the_form(world.clinician)
    assert client.get(reverse("patient_list")).status_code == 200
    Session.objects.filter(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    answer = client.get(reverse("patient_list"))
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("login"))


def test_logout_ends_the_session_on_the_server(world):
    client = login_through_the_form(world.clinician)
    stolen = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post(reverse("logout"), {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert not Session.objects.filter(session_key=stolen).exists()
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = stolen
    assert replay.get(reverse("patient_list")).status_code == 302


def test_a_revoked_token_is_refused(world):
    api = APIClient()
    obtained = api.post("/api/v1/auth/token/", {"username": world.clinician.username, "password": PASSWORD})
    assert obtained.status_code == 201
    token = obtained.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/patients/").status_code == 200
    assert api.delete("/api/v1/auth/token/").status_code == 204
    refused = api.get("/api/v1/patients/")
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == "Token"
    assert "token" in refused.json()["message"].lower()
    renewed = APIClient().post(
        "/api/v1/auth/token/", {"username": world.clinician.username, "password": PASSWORD}
    )
    assert renewed.json()["token"] != token


def test_a_deactivated_account_loses_its_token(world):
    api = APIClient()
    token = api.post(
        "/api/v1/auth/token/", {"username": world.clinician.username, "password": PASSWORD}
    ).json()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token['token']}")
    world.clinician.is_active = False
    world.clinician.save()
    assert api.get("/api/v1/patients/").status_code == 401


def test_a_wrong_password_gets_no_token(world):
    refused = APIClient().post(
        "/api/v1/auth/token/", {"username": world.clinician.username, "password": "nope"}
    )
    assert refused.status_code == 401
    assert "token" not in refused.json()

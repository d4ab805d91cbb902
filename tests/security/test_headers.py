"""Security headers on pages, JSON endpoints and the API: no MIME sniffing, no referrer to other
sites, no framing by other sites. Production's HSTS, X-Frame-Options: DENY and Secure cookies are
checked against gunicorn in tests/deploy/test_web_container.py."""

import pytest
from django.urls import reverse

from tests.api.conftest import make_analysed_session


@pytest.fixture
def pages(world):
    analysed = make_analysed_session(world.patient, by=world.clinician)
    return [
        reverse("login"),
        reverse("home"),
        reverse("patient_list"),
        reverse("patient_detail", kwargs={"code": world.patient.code}),
        reverse("session_page", kwargs={"session_id": analysed.session.pk}),
        reverse("dashboard_index"),
        reverse("patient_dashboard", kwargs={"code": world.patient.code}),
        reverse("upload:page"),
        "/api/v1/patients/",
        "/healthz",
    ]


def test_every_page_sends_the_security_headers(world, login, pages):
    client = login(world.clinician)
    for url in pages:
        answer = client.get(url)
        assert answer.status_code in (200, 302), url
        assert answer["X-Content-Type-Options"] == "nosniff", url
        assert answer["Referrer-Policy"] == "same-origin", url
        assert answer["X-Frame-Options"] in ("SAMEORIGIN", "DENY"), url


def test_refusals_send_them_too(world, login):
    client = login(world.outsider)
    answer = client.get(reverse("patient_detail", kwargs={"code": world.patient.code}))
    assert answer.status_code in (403, 404)
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert answer["X-Frame-Options"] in ("SAMEORIGIN", "DENY")

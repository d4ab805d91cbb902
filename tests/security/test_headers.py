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


def test_every_page_sends_a_content_security_policy(world, login, pages):
    """Finding 12: no Content-Security-Policy anywhere."""
    client = login(world.clinician)
    for url in pages:
        policy = client.get(url)["Content-Security-Policy"]
        assert "default-src 'self'" in policy, url
        assert "object-src 'none'" in policy, url
        script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
        assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src, url


def test_the_dashboards_one_inline_script_carries_the_nonce(world, login):
    make_analysed_session(world.patient, by=world.clinician)
    answer = login(world.clinician).get(reverse("patient_dashboard", kwargs={"code": world.patient.code}))
    html = b"".join(answer.streaming_content).decode()
    nonce = answer["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert f'<script nonce="{nonce}" id="_dash-renderer"' in html


def test_every_answer_with_patient_data_is_not_stored(world, login, pages, api):
    """Finding 12: identity pages and the identity API sent no Cache-Control: no-store."""
    client = login(world.clinician)
    for url in pages:
        assert "no-store" in client.get(url)["Cache-Control"], url
    identity = api(world.clinician).get(f"/api/v1/patients/{world.patient.code}/identity/")
    assert identity.status_code == 200
    assert "no-store" in identity["Cache-Control"]

"""CSRF is enforced on every form and every state-changing endpoint a browser session can reach.

Each write is tried twice with a client that enforces CSRF like a browser: without the token it
is refused with 403 and nothing is written; with the token it succeeds (so the refusal is CSRF's).
"""

import json
from datetime import date

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.views import APIView

from patients.models import Consent, ConsentScope
from recordings.models import ChunkedUpload, ClinicalSession
from results.models import EventReview
from tests.api.conftest import make_analysed_session
from tests.factories import PASSWORD, make_patient, make_protocol
from tests.reliability.uploading import browser, sha256


def anonymous_browser() -> Client:
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("login"))
    client.csrf = client.cookies["csrftoken"].value
    return client


def post(client: Client, url: str, data: dict, *, with_token: bool):
    if with_token:
        data = {**data, "csrfmiddlewaretoken": client.csrf}
    return client.post(url, data)


def post_json(client: Client, url: str, body: dict, *, with_token: bool):
    headers = {"HTTP_X_CSRFTOKEN": client.csrf} if with_token else {}
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def test_the_login_form_needs_the_token(world):
    client = anonymous_browser()
    credentials = {"username": world.clinician.username, "password": PASSWORD}
    refused = post(client, reverse("login"), credentials, with_token=False)
    assert refused.status_code == 403
    assert "_auth_user_id" not in client.session
    assert post(client, reverse("login"), credentials, with_token=True).status_code == 302


def test_the_consent_form_needs_the_token(world):
    patient = make_patient(
        world.memory_clinic,
        name="Paul Durand",
        hospital_number="H-0099",
        scopes=(ConsentScope.STORE_VIDEO,),
        by=world.clinician,
    )
    client = browser(world.clinician)
    url = reverse("consent_record", kwargs={"code": patient.code})
    form = {
        "scopes": ["research_export"],
        "given_on": date.today().isoformat(),
        "note": "signed at the visit",
    }
    before = Consent.objects.count()
    assert post(client, url, form, with_token=False).status_code == 403
    assert Consent.objects.count() == before
    assert post(client, url, form, with_token=True).status_code == 302
    assert Consent.objects.count() == before + 1


def test_the_consent_withdrawal_form_needs_the_token(world):
    client = browser(world.clinician)
    url = reverse("consent_withdraw", kwargs={"code": world.patient.code})
    form = {"scope": "research_export", "note": "the patient asked"}
    assert post(client, url, form, with_token=False).status_code == 403
    assert not Consent.objects.filter(withdrawn_at__isnull=False).exists()


def test_the_session_form_needs_the_token(world):
    client = browser(world.clinician)
    url = reverse("session_create", kwargs={"code": world.patient.code})
    form = {"protocol": make_protocol().pk, "session_date": "2026-11-02", "notes": ""}
    before = ClinicalSession.objects.count()
    assert post(client, url, form, with_token=False).status_code == 403
    assert ClinicalSession.objects.count() == before
    assert post(client, url, form, with_token=True).status_code == 302
    assert ClinicalSession.objects.count() == before + 1


def test_the_upload_start_needs_the_token(world, session, video_bytes):
    client = browser(world.uploader)
    body = {
        "session": session.pk,
        "filename": "visit.mp4",
        "size": len(video_bytes),
        "sha256": sha256(video_bytes),
    }
    assert post_json(client, reverse("upload:start"), body, with_token=False).status_code == 403
    assert ChunkedUpload.objects.count() == 0
    assert post_json(client, reverse("upload:start"), body, with_token=True).status_code == 201


def test_the_event_review_form_needs_the_token(world):
    analysed = make_analysed_session(world.patient, by=world.clinician)
    client = browser(world.clinician)
    url = reverse("event_review", kwargs={"session_id": analysed.session.pk, "event_id": analysed.event.pk})
    assert post(client, url, {"decision": "confirm"}, with_token=False).status_code == 403
    assert EventReview.objects.count() == 0
    assert post(client, url, {"decision": "confirm"}, with_token=True).status_code == 302
    assert EventReview.objects.count() == 1


def test_the_api_needs_the_token_when_called_with_the_browsers_session(world):
    """DRF's SessionAuthentication enforces CSRF; token-authenticated clients have no cookie to
    be tricked with, so they need none."""
    analysed = make_analysed_session(world.patient, by=world.clinician)
    client = browser(world.clinician)
    url = f"/api/v1/events/{analysed.event.pk}/reviews/"
    refused = post_json(client, url, {"decision": "confirm"}, with_token=False)
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["message"]
    assert EventReview.objects.count() == 0
    assert post_json(client, url, {"decision": "confirm"}, with_token=True).status_code == 201


def _views(resolver: URLResolver, prefix: str = ""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def test_no_view_is_exempt_from_csrf():
    """Only DRF views carry csrf_exempt, and DRF checks CSRF itself for session-authenticated
    requests (the test above); no other view may opt out."""
    exempt = []
    for route, view in _views(get_resolver()):
        view_class = getattr(view, "cls", None)
        if view_class is not None and issubclass(view_class, APIView):
            continue
        if getattr(view, "csrf_exempt", False):
            exempt.append(route)
    assert exempt == []

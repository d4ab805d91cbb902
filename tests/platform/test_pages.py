"""The pages through the test client, for every persona.

Rule: a patient outside the user's care teams is a 404 (codes do not leak); a page whose role
or action the user lacks is a 403; anonymous users are sent to the log-in page.
"""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessEvent
from patients.models import Consent
from recordings.models import ClinicalSession, Recording
from results.models import AnalysisJob
from tests.factories import make_protocol, make_session

PERSONAS = ("clinician", "colleague", "outsider", "uploader", "statistician", "admin")


def get_as(world, login, client, persona, url):
    if persona == "anonymous":
        client.logout()
        return client.get(url)
    return login(getattr(world, persona)).get(url)


@pytest.mark.parametrize(
    ("persona", "location"),
    [
        ("clinician", "/patients/"),
        ("uploader", "/upload/"),
        ("statistician", "/studies/"),
        ("admin", "/admin/"),
        ("anonymous", "/login/?next=/"),
    ],
)
def test_home_sends_each_role_to_its_page(world, login, client, persona, location):
    response = get_as(world, login, client, persona, "/")
    assert response.status_code == 302
    assert response["Location"] == location


@pytest.mark.parametrize(
    ("persona", "statuses"),  # patient list, own patient, new session, studies
    [
        ("clinician", (200, 200, 200, 403)),
        ("colleague", (200, 200, 200, 403)),
        ("outsider", (200, 404, 404, 403)),
        ("uploader", (200, 200, 200, 403)),
        ("statistician", (403, 403, 403, 200)),
        ("admin", (403, 403, 403, 200)),
        ("anonymous", (302, 302, 302, 302)),
    ],
)
def test_each_persona_gets_the_status_due(world, login, client, persona, statuses):
    code = world.patient.code
    urls = (
        reverse("patient_list"),
        reverse("patient_detail", args=[code]),
        reverse("session_create", args=[code]),
        reverse("study_list"),
    )
    expected = dict(zip(urls, statuses, strict=True))
    got = {url: get_as(world, login, client, persona, url).status_code for url in expected}
    assert got == expected


def test_an_unknown_patient_code_is_the_same_404_as_another_teams_patient(world, login):
    client = login(world.clinician)
    assert client.get(reverse("patient_detail", args=["P-NOSUCH"])).status_code == 404
    assert client.get(reverse("patient_detail", args=[world.other_patient.code])).status_code == 404


@pytest.mark.parametrize("persona", ["clinician", "uploader"])
def test_the_care_team_sees_the_identity(world, login, persona):
    client = login(getattr(world, persona))
    listing = client.get(reverse("patient_list")).content.decode()
    page = client.get(reverse("patient_detail", args=[world.patient.code])).content.decode()
    for html in (listing, page):
        assert "Jeanne Martin" in html and "H-0001" in html
    assert "Lucas Bernard" not in listing and world.other_patient.code not in listing


def test_the_outsider_sees_neither_the_patient_nor_their_identity(world, login):
    listing = login(world.outsider).get(reverse("patient_list")).content.decode()
    assert world.other_patient.code in listing and "Lucas Bernard" in listing
    assert world.patient.code not in listing and "Jeanne Martin" not in listing


def test_every_patient_page_view_writes_an_access_event(world, login):
    client = login(world.colleague)
    url = reverse("patient_detail", args=[world.patient.code])
    for expected in (1, 2, 3):
        assert client.get(url).status_code == 200
        views = AccessEvent.objects.filter(
            user=world.colleague, action="view", object_type="patient", patient_code=world.patient.code
        )
        assert views.count() == expected
    assert (
        AccessEvent.objects.filter(
            user=world.colleague, action="view_identity", patient_code=world.patient.code
        ).count()
        == 3
    )
    client.get(reverse("patient_list"))
    listed = AccessEvent.objects.get(user=world.colleague, action="view_identity", object_type="patient")
    assert listed.patient_code == world.patient.code
    assert listed.client_address == "127.0.0.1"


def test_the_patient_page_shows_sessions_recordings_analysis_status_and_consent_history(
    world, login, store_recording
):
    session = make_session(world.patient, by=world.clinician)
    recording = store_recording(session, world.uploader)
    AnalysisJob.objects.create(
        recording=recording, pipeline_version="1", status="running", progress=40, stage="pose"
    )
    html = login(world.clinician).get(reverse("patient_detail", args=[world.patient.code])).content.decode()
    assert f'href="/sessions/{session.pk}/"' in html
    assert f'href="/dashboards/patient/{world.patient.code}/"' in html
    assert "Video uploaded" in html and "running" in html and "40 %" in html
    assert "v4" in html and "v1" in html  # consent versions
    assert 'action="/patients/' in html  # consent forms for the care team


def test_the_uploader_gets_no_dashboard_nor_review_links(world, login):
    session = make_session(world.patient, by=world.clinician)
    html = login(world.uploader).get(reverse("patient_detail", args=[world.patient.code])).content.decode()
    assert "/dashboards/" not in html and f'href="/sessions/{session.pk}/"' not in html
    assert f"/upload/?session={session.pk}" in html


# ---- consent forms ----------------------------------------------------------------------------


def consent_rows(patient):
    return list(
        Consent.objects.filter(patient=patient)
        .order_by("version")
        .values_list("version", "scope", "withdrawn_at")
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"given_on": "2026-01-05"}, "Tick at least one scope"),
        ({"scopes": ["analyse"], "given_on": "2026-01-05"}, "already consents"),
        ({"scopes": ["telepathy"], "given_on": "2026-01-05"}, "not one of the available choices"),
        ({"scopes": ["analyse"], "given_on": "someday"}, "Enter the signing date"),
        ({"scopes": ["analyse"], "given_on": str(timezone.localdate() + timedelta(days=3))}, "in the future"),
    ],
)
def test_bad_consent_input_gets_a_message_and_changes_nothing(world, login, data, message):
    before = consent_rows(world.patient)
    response = login(world.clinician).post(reverse("consent_record", args=[world.patient.code]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert consent_rows(world.patient) == before


def test_recording_and_withdrawing_consent_through_the_page(world, login, store_recording):
    client = login(world.uploader)
    session = make_session(world.patient, by=world.clinician)
    recording = store_recording(session, world.uploader)
    url = reverse("consent_withdraw", args=[world.patient.code])

    response = client.post(url, {"scope": "store_video", "note": "family request", "confirm": "on"})
    assert response.status_code == 302
    assert Recording.objects.get(pk=recording.pk).status == Recording.Status.DELETED

    response = client.post(
        reverse("consent_record", args=[world.patient.code]),
        {"scopes": ["store_video"], "given_on": "2026-01-05"},
    )
    assert response.status_code == 302
    latest = Consent.objects.filter(patient=world.patient).order_by("-version").first()
    assert (latest.version, latest.scope, latest.recorded_by) == (5, "store_video", world.uploader)
    page = client.get(reverse("patient_detail", args=[world.patient.code])).content.decode()
    assert "family request" in page and "v5" in page


@pytest.mark.parametrize(
    "data",
    [
        {"scope": "analyse"},  # no confirmation
        {"scope": "not-a-scope", "confirm": "on"},
        {"confirm": "on"},
    ],
)
def test_bad_withdrawal_input_changes_nothing(world, login, data):
    before = consent_rows(world.patient)
    response = login(world.clinician).post(reverse("consent_withdraw", args=[world.patient.code]), data)
    assert response.status_code == 400
    assert "Nothing was withdrawn" in response.content.decode()
    assert consent_rows(world.patient) == before


def test_withdrawing_a_scope_no_longer_active_changes_nothing(world, login):
    client = login(world.clinician)
    url = reverse("consent_withdraw", args=[world.patient.code])
    assert client.post(url, {"scope": "model_training", "confirm": "on"}).status_code == 302
    before = consent_rows(world.patient)
    assert client.post(url, {"scope": "model_training", "confirm": "on"}).status_code == 400
    assert consent_rows(world.patient) == before


@pytest.mark.parametrize("persona", ["outsider", "statistician", "admin"])
def test_consent_forms_refuse_those_outside_the_care_team(world, login, persona):
    client = login(getattr(world, persona))
    before = consent_rows(world.patient)
    record = client.post(
        reverse("consent_record", args=[world.patient.code]),
        {"scopes": ["analyse"], "given_on": "2026-01-05"},
    )
    withdraw = client.post(
        reverse("consent_withdraw", args=[world.patient.code]), {"scope": "analyse", "confirm": "on"}
    )
    expected = 404 if persona == "outsider" else 403
    assert (record.status_code, withdraw.status_code) == (expected, expected)
    assert consent_rows(world.patient) == before


def test_consent_forms_refuse_get(world, login):
    assert login(world.clinician).get(reverse("consent_record", args=[world.patient.code])).status_code == 405


# ---- new session form ---------------------------------------------------------------------------


def test_registering_a_session(world, login):
    protocol = make_protocol()
    response = login(world.uploader).post(
        reverse("session_create", args=[world.patient.code]),
        {
            "protocol": protocol.pk,
            "session_date": "2026-11-02",
            "clinician": world.colleague.pk,
            "notes": "calm",
        },
    )
    session = ClinicalSession.objects.get(patient=world.patient)
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{world.patient.code}/#session-{session.pk}"
    assert (session.clinician, session.created_by, session.notes) == (world.colleague, world.uploader, "calm")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("protocol", "", "Choose the protocol"),
        ("protocol", "999999", "Select a valid choice"),
        ("session_date", "", "Enter the date of the session"),
        ("session_date", "02/31/2026", "Enter the session date as a date"),
        ("session_date", "2999-01-01", "in the future"),
        ("clinician", "outsider", "Select a valid choice"),
    ],
)
def test_bad_session_input_gets_a_message_and_creates_nothing(world, login, field, value, message):
    data = {"protocol": make_protocol().pk, "session_date": "2026-11-02", "clinician": "", "notes": ""}
    data[field] = world.outsider.pk if value == "outsider" else value
    response = login(world.clinician).post(reverse("session_create", args=[world.patient.code]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ClinicalSession.objects.exists()


# ---- log-in, navigation, studies ------------------------------------------------------------------


def test_login_page_and_logout(world, client):
    assert client.get(reverse("login")).status_code == 200
    response = client.post(
        reverse("login"), {"username": "clinician", "password": "correct-horse-battery-staple"}
    )
    assert response.status_code == 302
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("patient_list")).status_code == 302


def test_repeated_failed_logins_lock_the_account_with_a_clear_page(world, client):
    for _ in range(5):
        client.post(reverse("login"), {"username": "clinician", "password": "wrong"})
    response = client.post(
        reverse("login"), {"username": "clinician", "password": "correct-horse-battery-staple"}
    )
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "shown", "hidden"),
    [
        ("clinician", ["Patients", "Upload"], ["Studies", "Administration"]),
        ("uploader", ["Patients", "Upload"], ["Studies", "Administration"]),
        ("statistician", ["Studies"], ["Patients", "Upload", "Administration"]),
        ("admin", ["Studies", "Administration"], ["Patients", "Upload"]),
    ],
)
def test_the_navigation_shows_only_what_the_role_may_use(world, login, persona, shown, hidden):
    url = reverse("study_list") if persona in ("statistician", "admin") else reverse("patient_list")
    html = login(getattr(world, persona)).get(url).content.decode()
    nav = html[html.index('<nav aria-label="Main">') : html.index("</nav>")]
    assert all(f">{item}</a>" in nav for item in shown)
    assert not any(f">{item}</a>" in nav for item in hidden)


def test_the_studies_page_lists_the_statisticians_studies(world, login):
    html = login(world.statistician).get(reverse("study_list")).content.decode()
    assert "apathy-2026" in html and "/api/v1/" in html
    for table in ("export/?format=csv", "events/", "tasks/", "speech/", "datapackage/?format=zip"):
        assert re.search(rf"/api/v1/studies/\d+/{re.escape(table)}", html), table
    assert AccessEvent.objects.filter(user=world.statistician, action="list", object_type="study").exists()


def test_a_user_without_a_role_is_told_to_ask_for_one(db, client):
    user = get_user_model().objects.create_user(username="newcomer", password="x" * 12)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(reverse("home"))
    assert response.status_code == 403
    assert "Your account has no role yet" in response.content.decode()
    assert client.get(reverse("patient_list")).status_code == 403

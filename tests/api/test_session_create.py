"""Registering a visit through the API leaves one audit row, written by the service that creates it."""

from audit.models import AccessEvent
from recordings.models import ClinicalSession
from tests.factories import make_protocol


def test_an_api_session_create_is_audited_exactly_once(world, api):
    make_protocol("apathy-interview")
    response = api(world.clinician).post(
        "/api/v1/sessions/",
        {"patient": world.patient.code, "protocol": "apathy-interview", "session_date": "2026-11-20"},
        format="json",
    )
    assert response.status_code == 201
    session = ClinicalSession.objects.get(pk=response.json()["id"])
    created = AccessEvent.objects.filter(action=AccessEvent.Action.CREATE, patient_code=world.patient.code)
    assert created.count() == 1
    row = created.get()
    assert (row.user, row.object_type, row.object_id) == (world.clinician, "session", str(session.pk))
    assert row.details["token"].startswith("tests (")  # the API token that registered it

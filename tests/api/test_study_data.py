"""What a study member reads: only through /api/v1/studies/<id>/..., under the study's pseudonym
and date shift, without free text, file names, checksums, database ids or creation times; the
care team's endpoints no longer serve them."""

import csv
import io
import json
from datetime import date

import pytest
from django.utils import timezone

from accounts.services import study_create
from audit.models import AccessEvent
from patients.models import Consent, ConsentScope
from patients.services import study_enrol
from results.reviews import event_review_create
from tests.api.conftest import make_analysed_session
from tests.factories import make_patient

NOTES = "Cried when her daughter Marie left the room"
REVIEW_NOTE = "Looks like Mrs Martin's usual rocking"


@pytest.fixture
def study_data(world, analysed):
    analysed.session.notes = NOTES
    analysed.session.save()
    world.clinician.username = "dr-leroy"  # a name that no column label contains
    world.clinician.save()
    event_review_create(event=analysed.event, reviewer=world.clinician, decision="confirm", note=REVIEW_NOTE)
    return analysed


def _enrolment(world, study=None):
    return (study or world.study).enrolments.get(patient=world.patient)


def _secrets(world, analysed) -> list[str]:
    """Everything that must never reach a study member."""
    identity = world.patient.identity
    return [
        world.patient.code,
        identity.full_name,
        identity.hospital_number,
        "2026-11-02",  # the real session date
        NOTES,
        REVIEW_NOTE,
        world.clinician.username,
        analysed.recording.original_filename,
        analysed.recording.sha256,
        '"created_at"',
        '"id"',
    ]


def _assert_clean(body: str, world, analysed) -> None:
    leaked = [secret for secret in _secrets(world, analysed) if secret in body]
    assert leaked == []


@pytest.mark.parametrize(
    "resource", ["sessions", "metric-samples", "events", "recordings", "patients", "jobs"]
)
def test_the_care_team_endpoints_serve_study_members_nothing(world, study_data, api, resource):
    response = api(world.statistician).get(f"/api/v1/{resource}/")
    assert response.status_code == 200
    assert response.json()["results"] == []
    assert api(world.statistician).get(f"/api/v1/sessions/{study_data.session.pk}/").status_code == 404
    assert (
        api(world.statistician).get(f"/api/v1/sessions/{study_data.session.pk}/events-export/").status_code
        == 404
    )


def test_study_sessions_carry_the_study_pseudonym_and_shifted_dates(world, study_data, api):
    url = f"/api/v1/studies/{world.study.pk}/sessions/"
    response = api(world.statistician).get(url)
    assert response.status_code == 200
    (row,) = response.json()["results"]
    enrolment = _enrolment(world)
    assert row["pseudonym"] == enrolment.pseudonym
    assert row["session"].startswith(enrolment.pseudonym + "-")
    assert row["session_date"] == "2026-10-16"  # 2026-11-02 shifted by -17 days
    assert set(row) == {"session", "pseudonym", "protocol", "session_date"}
    _assert_clean(response.content.decode(), world, study_data)
    detail = api(world.statistician).get(f"{url}{row['session']}/")
    assert detail.status_code == 200 and detail.json() == row
    assert api(world.statistician).get(f"{url}S-NOPE-12345678/").status_code == 404


def test_study_filters_apply_to_shifted_dates(world, study_data, api):
    url = f"/api/v1/studies/{world.study.pk}/metric-samples/"
    client = api(world.statistician)
    shifted = client.get(url, {"date_from": "2026-10-16", "date_to": "2026-10-16"}).json()["results"]
    assert len(shifted) == 4 and {row["session_date"] for row in shifted} == {"2026-10-16"}
    real = client.get(url, {"date_from": "2026-11-02", "date_to": "2026-11-02"}).json()["results"]
    assert real == []
    sessions = client.get(f"/api/v1/studies/{world.study.pk}/sessions/", {"date_to": "2026-10-15"})
    assert sessions.json()["results"] == []


def test_study_metric_samples_events_and_recordings_hold_no_identifying_field(world, study_data, api):
    client = api(world.statistician)
    base = f"/api/v1/studies/{world.study.pk}"
    samples = client.get(f"{base}/metric-samples/", {"metric": "stereotypy.episodes_per_min"})
    (sample,) = samples.json()["results"]
    assert sample["value"] == 1.5 and sample["session_date"] == "2026-10-16"
    events = client.get(f"{base}/behaviour-events/")
    (event,) = events.json()["results"]
    assert event["kind"] == "body_rocking"
    assert event["reviews"] == [
        {"decision": "confirm", "corrected_kind": "", "corrected_start_s": None, "corrected_end_s": None}
    ]
    recordings = client.get(f"{base}/recordings/")
    (recording,) = recordings.json()["results"]
    assert recording["codec"] == "h264" and recording["duration_s"] == 30.0
    for response in (samples, events, recordings):
        assert response.status_code == 200
        _assert_clean(response.content.decode(), world, study_data)
    by_session = client.get(f"{base}/behaviour-events/", {"session": event["session"]}).json()["results"]
    assert by_session == [event]
    assert client.get(f"{base}/behaviour-events/", {"session": "S-2345-abcdef12"}).json()["results"] == []


def test_the_coder_files_carry_the_study_names_and_shifted_date(world, study_data, api):
    client = api(world.statistician)
    key = client.get(f"/api/v1/studies/{world.study.pk}/sessions/").json()["results"][0]["session"]
    url = f"/api/v1/studies/{world.study.pk}/sessions/{key}/events-export/"
    eaf = client.get(url, {"format": "eaf"})
    assert eaf.status_code == 200
    assert f"file:///{key}.mp4" in eaf.content.decode()
    boris = client.get(url, {"format": "boris-csv"})
    rows = list(csv.DictReader(io.StringIO(boris.content.decode())))
    assert rows and {row["subject"] for row in rows} == {_enrolment(world).pseudonym}
    assert boris["Content-Disposition"] == f'attachment; filename="{key}-boris.csv"'
    assert "by clinician" not in eaf.content.decode()
    for response in (eaf, boris):
        _assert_clean(response.content.decode(), world, study_data)


def test_a_patient_in_two_studies_is_unlinkable_across_them(world, study_data, api):
    second = study_create(code="second-study", title="Second study")
    second.members.add(world.statistician)
    in_second = study_enrol(patient=world.patient, study=second, by=world.clinician)
    client = api(world.statistician)
    (first_row,) = client.get(f"/api/v1/studies/{world.study.pk}/sessions/").json()["results"]
    (second_row,) = client.get(f"/api/v1/studies/{second.pk}/sessions/").json()["results"]
    assert second_row["pseudonym"] == in_second.pseudonym != first_row["pseudonym"]
    assert second_row["session"].split("-")[-1] != first_row["session"].split("-")[-1]
    expected = date(2026, 11, 2).toordinal() + in_second.date_shift_days
    assert date.fromisoformat(second_row["session_date"]).toordinal() == expected


@pytest.mark.parametrize("persona", ["clinician", "outsider", "uploader", "admin"])
def test_only_study_members_reach_the_study_endpoints(world, study_data, api, persona):
    for resource in ("sessions", "metric-samples", "behaviour-events", "recordings"):
        response = api(getattr(world, persona)).get(f"/api/v1/studies/{world.study.pk}/{resource}/")
        assert response.status_code == 404, (persona, resource)
    other = study_create(code="other-study", title="Not theirs")
    assert api(world.statistician).get(f"/api/v1/studies/{other.pk}/sessions/").status_code == 404


def test_study_reads_are_audited_per_patient_and_respect_consent(world, study_data, api):
    client = api(world.statistician)
    client.get(f"/api/v1/studies/{world.study.pk}/metric-samples/")
    row = AccessEvent.objects.filter(user=world.statistician, object_type="metric_sample").get()
    assert row.patient_code == world.patient.code and row.details["study"] == world.study.code
    assert row.details["rows"] == 4
    Consent.objects.filter(patient=world.patient, scope=ConsentScope.RESEARCH_EXPORT).update(
        withdrawn_at=timezone.now(), withdrawn_by=world.clinician
    )
    assert client.get(f"/api/v1/studies/{world.study.pk}/metric-samples/").json()["results"] == []


def test_a_second_patient_gets_its_own_shift(world, study_data, api):
    second = make_patient(
        world.memory_clinic, name="Paul Durand", hospital_number="H-0003", by=world.clinician
    )
    enrolment = study_enrol(patient=second, study=world.study, by=world.clinician)
    make_analysed_session(second, by=world.clinician)
    rows = api(world.statistician).get(f"/api/v1/studies/{world.study.pk}/sessions/").json()["results"]
    dates = {row["pseudonym"]: row["session_date"] for row in rows}
    assert (
        dates[enrolment.pseudonym]
        == date.fromordinal(date(2026, 11, 2).toordinal() + enrolment.date_shift_days).isoformat()
    )
    assert json.dumps(rows).count(second.code) == 0

"""The study's speech table: one row per speech segment of consenting patients' current analyses,
under the study pseudonym, session key and shifted date, with times, speaker and confidence; in
CSV and Parquet, in the data dictionary and the OpenAPI schema, audited per patient."""

import csv
import io
from datetime import timedelta

import pandas as pd
from django.utils import timezone

from audit.models import AccessEvent
from patients.models import Consent, ConsentScope, StudyEnrolment
from tests.api.conftest import add_speech, make_analysed_session
from tests.factories import make_patient


def _url(world) -> str:
    return f"/api/v1/studies/{world.study.pk}/speech/"


def _rows(response) -> list[dict]:
    assert response.status_code == 200, response.content[:300]
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_each_segment_is_a_row_under_the_study_keys(world, analysed, api):
    add_speech(analysed)
    response = api(world.statistician).get(_url(world), {"format": "csv"})
    rows = _rows(response)

    assert response["X-Export-Rows"] == "3"
    assert [(r["start_s"], r["end_s"], r["duration_s"], r["speaker"], r["confidence"]) for r in rows] == [
        ("0.5", "2.0", "1.5", "patient", "0.8"),
        ("2.5", "4.0", "1.5", "other", "0.6"),
        ("4.5", "5.0", "0.5", "unknown", "0.0"),
    ]
    enrolment = world.patient.enrolments.get(study=world.study)
    assert {r["pseudonym"] for r in rows} == {enrolment.pseudonym}
    assert {r["study"] for r in rows} == {world.study.code}
    assert {r["session_date"] for r in rows} == {str(analysed.session.session_date + timedelta(days=-17))}
    assert [r["segment_number"] for r in rows] == ["1", "2", "3"]
    assert world.patient.code not in str(rows) and str(analysed.session.session_date) not in str(rows)


def test_the_parquet_file_has_the_same_rows(world, analysed, api):
    add_speech(analysed)
    response = api(world.statistician).get(_url(world), {"format": "parquet"})
    assert response.status_code == 200
    frame = pd.read_parquet(io.BytesIO(b"".join(response.streaming_content)))
    assert list(frame["speaker"]) == ["patient", "other", "unknown"]
    assert list(frame["end_s"] - frame["start_s"]) == [1.5, 1.5, 0.5]


def test_patients_without_research_export_consent_are_left_out(world, analysed, api):
    add_speech(analysed)
    withdrawn = make_patient(
        world.memory_clinic, name="Anne Petit", hospital_number="H-0004", by=world.clinician
    )
    StudyEnrolment.objects.create(study=world.study, patient=withdrawn)
    add_speech(make_analysed_session(withdrawn, by=world.clinician))
    Consent.objects.filter(patient=withdrawn, scope=ConsentScope.RESEARCH_EXPORT).update(
        withdrawn_at=timezone.now(), withdrawn_by=world.clinician
    )
    rows = _rows(api(world.statistician).get(_url(world)))
    assert {r["pseudonym"] for r in rows} == {world.study.enrolments.get(patient=world.patient).pseudonym}
    assert len(rows) == 3


def test_the_export_is_audited_per_patient(world, analysed, api):
    add_speech(analysed)
    _rows(api(world.statistician).get(_url(world)))
    summary = AccessEvent.objects.get(action=AccessEvent.Action.EXPORT, object_type="study")
    assert summary.details["export"] == "speech" and summary.details["rows"] == 3
    per_patient = AccessEvent.objects.get(action=AccessEvent.Action.EXPORT, object_type="study_export")
    assert per_patient.patient_code == world.patient.code and per_patient.details["rows"] == 3


def test_the_data_dictionary_and_the_schema_describe_the_table(world, api):
    dictionary = api(world.statistician).get(f"/api/v1/studies/{world.study.pk}/data-dictionary/").json()
    columns = {c["name"]: c for c in dictionary["columns"] if c["table"] == "speech"}
    assert {"pseudonym", "session_id", "session_date", "start_s", "end_s", "speaker", "confidence"} <= set(
        columns
    )
    assert columns["speaker"]["allowed_values"] == ["patient", "other", "unknown"]
    assert (columns["confidence"]["minimum"], columns["confidence"]["maximum"]) == (0, 1)
    assert columns["start_s"]["unit"] == "s"

    schema = api(world.admin).get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    content = schema["paths"]["/api/v1/studies/{id}/speech/"]["get"]["responses"]["200"]["content"]
    assert set(content) == {"text/csv", "application/vnd.apache.parquet"}

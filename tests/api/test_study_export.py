"""Study export: long format, pseudonymised, consent-filtered, date-shifted, streamed."""

import csv
import io
from datetime import date

import pyarrow.parquet as pq
from django.utils import timezone

from audit.models import AccessEvent
from patients.models import Consent, ConsentScope, StudyEnrolment
from tests.api.conftest import make_analysed_session
from tests.factories import make_patient


def _csv_rows(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_it_exports_long_format_rows_with_shifted_dates(world, analysed, api):
    response = api(world.statistician).get(f"/api/v1/studies/{world.study.pk}/export/", {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv_rows(response)
    assert len(rows) == 4 == int(response["X-Export-Rows"])
    first = rows[0]
    assert first["study"] == "apathy-2026"
    assert first["pseudonym"] == world.study.enrolments.get(patient=world.patient).pseudonym
    assert first["session_date"] == "2026-10-16"  # 2026-11-02 shifted by -17 days
    assert first["session_day"] == "0"
    assert first["model_versions"] == "mediapipe-pose-full@0.10.14"
    assert {row["metric"] for row in rows} == {"apathy.neutral_share", "stereotypy.episodes_per_min"}


def test_it_never_exports_identity(world, analysed, api):
    body = b"".join(
        api(world.statistician).get(f"/api/v1/studies/{world.study.pk}/export/").streaming_content
    ).decode()
    identity = world.patient.identity
    for secret in (identity.full_name, identity.hospital_number, "1948-03-14", "2026-11-02"):
        assert secret not in body


def test_it_leaves_out_patients_without_research_export_consent(world, analysed, api):
    no_research = make_patient(
        world.memory_clinic,
        name="Paul Durand",
        hospital_number="H-0003",
        scopes=(ConsentScope.STORE_VIDEO, ConsentScope.ANALYSE),
        by=world.clinician,
    )
    StudyEnrolment.objects.create(study=world.study, patient=no_research)
    make_analysed_session(no_research, by=world.clinician)
    withdrawn = make_patient(
        world.memory_clinic, name="Anne Petit", hospital_number="H-0004", by=world.clinician
    )
    StudyEnrolment.objects.create(study=world.study, patient=withdrawn)
    make_analysed_session(withdrawn, by=world.clinician)
    Consent.objects.filter(patient=withdrawn, scope=ConsentScope.RESEARCH_EXPORT).update(
        withdrawn_at=timezone.now(), withdrawn_by=world.clinician
    )

    rows = _csv_rows(api(world.statistician).get(f"/api/v1/studies/{world.study.pk}/export/"))
    assert {row["pseudonym"] for row in rows} == {world.study.enrolments.get(patient=world.patient).pseudonym}


def test_it_filters_by_metric_and_date(world, analysed, api):
    make_analysed_session(world.patient, by=world.clinician, on=date(2026, 11, 20))
    url = f"/api/v1/studies/{world.study.pk}/export/"
    rows = _csv_rows(
        api(world.statistician).get(
            # The shifted dates are 2026-10-16 and 2026-11-03 (-17 days): the filter applies to them.
            url,
            {"metrics": "stereotypy.episodes_per_min", "date_from": "2026-10-20"},
        )
    )
    assert [(row["metric"], row["session_day"]) for row in rows] == [("stereotypy.episodes_per_min", "18")]


def test_it_streams_parquet_with_the_documented_schema(world, analysed, api):
    response = api(world.statistician).get(f"/api/v1/studies/{world.study.pk}/export/", {"format": "parquet"})
    assert response.status_code == 200
    table = pq.read_table(io.BytesIO(b"".join(response.streaming_content)))
    assert table.num_rows == 4
    assert table.column_names[:3] == ["study", "pseudonym", "session_date"]
    assert str(table.schema.field("session_date").type) == "date32[day]"
    assert sorted(table.column("value").to_pylist()) == sorted([0.5, 0.6, 0.7, 1.5])


def test_it_audits_the_export_with_filters_and_row_count(world, analysed, api):
    api(world.statistician).get(
        f"/api/v1/studies/{world.study.pk}/export/", {"metrics": "apathy.neutral_share"}
    )
    summary = AccessEvent.objects.get(action=AccessEvent.Action.EXPORT, object_type="study")
    assert summary.username == "statistician"
    assert summary.details["rows"] == 3
    assert summary.details["filters"]["metrics"] == "['apathy.neutral_share']"
    per_patient = AccessEvent.objects.get(action=AccessEvent.Action.EXPORT, object_type="study_export")
    assert per_patient.patient == world.patient and per_patient.details["rows"] == 3


def test_it_ships_a_data_dictionary_defining_every_column_and_metric(world, api):
    url = f"/api/v1/studies/{world.study.pk}/data-dictionary/"
    dictionary = api(world.statistician).get(url).json()
    assert [c["name"] for c in dictionary["columns"]][:2] == ["study", "pseudonym"]
    metrics = {m["metric"]: m for m in dictionary["metrics"]}
    assert metrics["apathy.neutral_share"]["unit"] == "share"
    assert (metrics["apathy.neutral_share"]["minimum"], metrics["apathy.neutral_share"]["maximum"]) == (
        0.0,
        1.0,
    )
    assert metrics["stereotypy.agitation_index"]["maximum"] is None  # unbounded above
    assert any(key.startswith("praxis.") for key in metrics)
    as_csv = api(world.statistician).get(url, {"format": "csv"})
    lines = as_csv.content.decode().splitlines()
    assert lines[0] == "kind,name,type_or_unit,family,minimum,maximum,definition"
    assert any(line.startswith("metric,apathy.valence_mean,valence,apathy,-1.0,1.0,") for line in lines)


def test_it_rejects_bad_export_filters_with_a_clear_message(world, api):
    url = f"/api/v1/studies/{world.study.pk}/export/"
    response = api(world.statistician).get(url, {"format": "xlsx"})
    assert response.status_code == 400
    assert "format" in response.json()["extra"]["fields"]
    response = api(world.statistician).get(url, {"date_from": "2026-12-01", "date_to": "2026-01-01"})
    assert response.status_code == 400
    assert "date_from must be on or before date_to" in str(response.json())


def test_postgres_copy_and_the_python_writer_give_the_same_rows(world, analysed):
    from datetime import date as day

    from api.exports.study_export import ExportRequest, csv_stream, export_batches, postgres_csv_stream

    make_analysed_session(world.patient, by=world.clinician, on=day(2026, 11, 20))
    request = ExportRequest(study=world.study)

    def parsed(chunks) -> list[tuple]:
        text = "".join(c.decode() if isinstance(c, bytes) else c for c in chunks)
        rows = list(csv.DictReader(io.StringIO(text)))
        return [
            tuple(
                float(v) if k in ("window_start_s", "window_end_s", "value") and v else v
                for k, v in row.items()
            )
            for row in rows
        ]

    python_rows = parsed(csv_stream(export_batches(request)))
    assert len(python_rows) == 8
    assert parsed(postgres_csv_stream(request)) == python_rows

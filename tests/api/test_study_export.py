"""Study export: long and wide, CSV, Parquet, SPSS and Stata, read back by the clients
statisticians use (pandas, pyarrow, pyreadstat); keys, covariates, filters, negotiation."""

import io
from datetime import date

import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Study
from api.exports.metric_catalogue import fixed_metric_keys, variable_name
from api.exports.study_export import build_table, csv_stream
from api.exports.study_scope import ExportRequest
from audit.models import AccessEvent
from patients.models import Consent, ConsentScope, StudyEnrolment
from patients.study_view import study_session_key
from results.reviewed import reviewed_metric_keys
from tests.api.conftest import make_analysed_session
from tests.factories import make_patient, make_protocol


def _url(world, what: str = "export") -> str:
    return f"/api/v1/studies/{world.study.pk}/{what}/"


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _csv(response) -> pd.DataFrame:
    assert response.status_code == 200, _body(response)[:300]
    return pd.read_csv(io.BytesIO(_body(response)), keep_default_na=False, na_values=[""])


@pytest.fixture
def two_visits(world, analysed):
    """The patient with covariates and a second visit 18 days later (a praxis protocol)."""
    world.patient.sex = "female"
    world.patient.save()
    StudyEnrolment.objects.filter(patient=world.patient).update(group="arm-B", diagnosis_group="PD")
    later = make_analysed_session(world.patient, by=world.clinician, on=date(2026, 11, 20))
    later.session.protocol = make_protocol("praxis-short", kind="praxis_test")
    later.session.save()
    return analysed, later


def test_long_rows_carry_session_keys_covariates_and_shifted_dates(world, two_visits, api):
    frame = _csv(api(world.statistician).get(_url(world), {"format": "csv"}))
    assert len(frame) == 8
    first = frame.iloc[0]
    enrolment = world.study.enrolments.get(patient=world.patient)
    assert first["study"] == "apathy-2026" and first["pseudonym"] == enrolment.pseudonym
    assert first["session_date"] == "2026-10-16"  # 2026-11-02 shifted by -17 days
    assert first["session_id"] == study_session_key(enrolment=enrolment, session_id=two_visits[0].session.pk)
    assert world.patient.code not in set(frame["session_id"])
    visits = frame.drop_duplicates("session_id").sort_values("visit_number")
    assert list(zip(visits["visit_number"], visits["session_day"], strict=True)) == [(1, 0), (2, 18)]
    assert set(frame["protocol"]) == {"apathy-interview", "praxis-short"}
    # Born 1948-03-14, seen 2026-11-02: 78.6 years.
    assert first["age_years"] == pytest.approx(78.6)
    assert (first["sex"], first["group"], first["diagnosis_group"]) == ("female", "arm-B", "PD")
    assert set(frame["is_session_level"]) == {0, 1}  # R and Stata read 1/0 as numbers
    assert first["model_versions"] == "mediapipe-pose-full@0.10.14"


def test_filtered_export_counts_session_day_from_the_first_exported_session(world, two_visits, api):
    frame = _csv(api(world.statistician).get(_url(world), {"date_from": "2026-11-01"}))  # shifted dates
    assert set(frame["session_date"]) == {"2026-11-03"}
    assert set(frame["session_day"]) == {0} and set(frame["visit_number"]) == {2}


def test_age_bands_when_the_study_asks_for_them(world, analysed, api):
    Study.objects.filter(pk=world.study.pk).update(age_band_years=5)
    frame = _csv(api(world.statistician).get(_url(world)))
    assert "age_years" not in frame.columns and set(frame["age_band"]) == {"75-79"}


def test_it_never_exports_identity_or_real_dates(world, analysed, api):
    body = _body(api(world.statistician).get(_url(world))).decode()
    identity = world.patient.identity
    for secret in (
        identity.full_name,
        identity.hospital_number,
        world.patient.code,
        "1948-03-14",
        "2026-11-02",
    ):
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
    frame = _csv(api(world.statistician).get(_url(world)))
    assert set(frame["pseudonym"]) == {world.study.enrolments.get(patient=world.patient).pseudonym}


def test_wide_keeps_every_metric_with_valid_names(world, analysed, api):
    frame = _csv(api(world.statistician).get(_url(world), {"shape": "wide"}))
    assert len(frame) == 1  # one row per session
    metric_columns = [c for c in frame.columns if c[:3] in ("ap_", "st_", "at_", "px_", "ia_")]
    reviewable = [key for key in fixed_metric_keys() if key in reviewed_metric_keys()]
    # Empty everywhere or not; a metric made of events has a model-only column beside it.
    assert len(metric_columns) == len(fixed_metric_keys()) + len(reviewable)
    assert {variable_name(key) + "_mo" for key in reviewable} <= set(metric_columns)
    for name in frame.columns:
        assert len(name) <= 32 and name.replace("_", "").isalnum() and name[0].isalpha(), name
    assert frame.iloc[0][variable_name("stereotypy.episodes_per_min")] == 1.5
    assert pd.isna(frame.iloc[0][variable_name("apathy.valence_mean")])


def test_parquet_long_and_wide_agree_with_csv_and_read_dates_as_datetime64(world, two_visits, api):
    for shape in ("long", "wide"):
        response = api(world.statistician).get(_url(world), {"format": "parquet", "shape": shape})
        assert response["Content-Type"] == "application/vnd.apache.parquet"
        parquet = pq.read_table(io.BytesIO(_body(response))).to_pandas()
        assert pd.api.types.is_datetime64_any_dtype(parquet["session_date"])
        as_csv = _csv(api(world.statistician).get(_url(world), {"shape": shape}))
        assert len(parquet) == len(as_csv) == int(response["X-Export-Rows"])
        assert list(parquet.columns) == list(as_csv.columns)
        if shape == "long":
            assert parquet["is_session_level"].dtype == bool
            assert sorted(parquet["value"]) == sorted(as_csv["value"])


@pytest.mark.parametrize("file_format", ["sav", "dta"])
def test_spss_and_stata_files_read_back_with_labels_and_dates(world, two_visits, api, tmp_path, file_format):
    for shape in ("long", "wide"):
        response = api(world.statistician).get(_url(world), {"format": file_format, "shape": shape})
        assert response.status_code == 200
        path = tmp_path / f"export-{shape}.{file_format}"
        path.write_bytes(_body(response))
        reader = pyreadstat.read_sav if file_format == "sav" else pyreadstat.read_dta
        frame, meta = reader(str(path))
        assert len(frame) == int(response["X-Export-Rows"])
        assert all(len(name) <= 32 for name in meta.column_names)
        labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
        assert "Sex as recorded" in labels["sex"]
        assert meta.variable_value_labels["sex"][frame["sex"].iloc[0]] == "female"
        assert set(meta.variable_value_labels["protocol"].values()) >= {"apathy-interview", "praxis-short"}
        assert str(frame["session_date"].iloc[0]) == "2026-10-16"
        if shape == "wide":
            assert labels["st_epis_pm"].startswith("stereotypy.episodes_per_min (per minute)")
        else:
            assert set(meta.variable_value_labels["metric"].values()) >= {"apathy.neutral_share"}


def test_family_prefix_filters_and_unknown_metrics_answer_400(world, two_visits, api):
    frame = _csv(api(world.statistician).get(_url(world), {"metrics": "apathy"}))
    assert set(frame["metric"]) == {"apathy.neutral_share"}
    frame = _csv(
        api(world.statistician).get(_url(world), {"metrics": "stereotypy.*", "protocol": "praxis-short"})
    )
    assert set(frame["metric"]) == {"stereotypy.episodes_per_min"} and len(frame) == 1
    response = api(world.statistician).get(_url(world), {"metrics": "apath"})
    assert response.status_code == 400
    assert "Unknown metric or family: apath" in str(response.json()) and "apathy.valence_mean" in str(
        response.json()
    )
    response = api(world.statistician).get(_url(world), {"protocol": "nope"})
    assert response.status_code == 400 and "praxis-short" in str(response.json())


def test_bad_filters_answer_400_with_a_sentence(world, api):
    response = api(world.statistician).get(_url(world), {"format": "xlsx"})
    assert response.status_code == 400 and "format" in response.json()["extra"]["fields"]
    response = api(world.statistician).get(_url(world), {"date_from": "2026-12-01", "date_to": "2026-01-01"})
    assert response.status_code == 400 and "date_from must be on or before date_to" in str(response.json())


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("text/csv", "text/csv; charset=utf-8"),
        ("application/vnd.apache.parquet", "application/vnd.apache.parquet"),
        ("application/x-stata-dta", "application/x-stata-dta"),
        ("application/x-spss-sav", "application/x-spss-sav"),
        ("*/*", "text/csv; charset=utf-8"),
    ],
)
def test_the_accept_header_alone_chooses_the_file(world, analysed, api, accept, content_type):
    response = api(world.statistician).get(_url(world), HTTP_ACCEPT=accept)
    assert response.status_code == 200 and response["Content-Type"] == content_type


def test_errors_are_json_whatever_the_accept_header(world, api):
    response = api(world.statistician).get(_url(world), {"metrics": "nope"}, HTTP_ACCEPT="text/csv")
    assert response.status_code == 400 and response["Content-Type"] == "application/json"


def test_the_openapi_schema_declares_each_content_type(world, api):
    schema = api(world.admin).get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    export = paths["/api/v1/studies/{id}/export/"]["get"]["responses"]["200"]["content"]
    assert set(export) == {
        "text/csv",
        "application/vnd.apache.parquet",
        "application/x-spss-sav",
        "application/x-stata-dta",
    }
    assert set(paths["/api/v1/studies/{id}/events/"]["get"]["responses"]["200"]["content"]) == {
        "text/csv",
        "application/vnd.apache.parquet",
    }
    dictionary = paths["/api/v1/studies/{id}/data-dictionary/"]["get"]["responses"]["200"]["content"]
    assert "text/csv" in dictionary


def test_it_audits_the_export_with_filters_and_row_count(world, analysed, api):
    api(world.statistician).get(_url(world), {"metrics": "apathy.neutral_share"})
    summary = AccessEvent.objects.get(action=AccessEvent.Action.EXPORT, object_type="study")
    assert summary.username == "statistician" and summary.details["rows"] == 3
    per_patient = AccessEvent.objects.get(action=AccessEvent.Action.EXPORT, object_type="study_export")
    assert per_patient.patient_code == world.patient.code and per_patient.details["rows"] == 3


def test_postgres_copy_and_the_cursor_writer_give_the_same_csv(world, two_visits, monkeypatch):
    table = build_table(ExportRequest(study=world.study))
    copied = pd.read_csv(io.BytesIO(b"".join(csv_stream(table))))
    monkeypatch.setattr(connection, "vendor", "other")  # the path SQLite takes, on the same database
    table = build_table(ExportRequest(study=world.study))
    fetched = pd.read_csv(io.BytesIO(b"".join(csv_stream(table))))
    pd.testing.assert_frame_equal(copied, fetched, check_dtype=False)  # "0" from COPY, "0.0" from Python

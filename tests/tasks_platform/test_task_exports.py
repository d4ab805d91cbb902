"""The tasks of a semi-guided visit in the coder files: one ELAN tier "task" read back by
pympi-ling, for the care team (with who marked) and for the study (pseudonymised session key,
no names)."""

import csv
import io
import json
import subprocess
import sys
import zipfile
from datetime import timedelta
from pathlib import Path

import pympi

from patients.study_view import study_session_key
from results.task_segments import ProposedSegment, task_segment_mark, task_segments_propose
from tests.factories import make_analysed_session


def _eaf(response, tmp_path):
    assert response.status_code == 200, response.content[:300]
    path = tmp_path / "visit.eaf"
    path.write_bytes(response.content)
    return pympi.Elan.Eaf(str(path))


def test_the_care_teams_elan_file_has_a_task_tier(world, visit, api, tmp_path):
    task_segment_mark(
        session=visit.session, task_code="phone_call", start_s=2.0, end_s=6.5, by=world.clinician
    )
    task_segment_mark(
        session=visit.session, task_code="pill_box", start_s=7.0, end_s=12.0, by=world.clinician
    )
    response = api(world.clinician).get(
        f"/api/v1/sessions/{visit.session.pk}/events-export/", {"format": "eaf"}
    )
    eaf = _eaf(response, tmp_path)
    assert sorted(eaf.get_annotation_data_for_tier("task")) == [
        (2000, 6500, "Make a phone call, marked by clinician"),
        (7000, 12000, "Prepare a pill box, marked by clinician"),
    ]


def test_the_studys_file_names_no_one_and_keeps_proposals_apart(world, visit, api, tmp_path):
    task_segments_propose(
        session=visit.session,
        job=visit.job,
        segments=[ProposedSegment("hot_drink", 3.0, 9.0, 0.7)],
        model_version="1",
    )
    key = study_session_key(
        enrolment=world.patient.enrolments.get(study=world.study), session_id=visit.session.pk
    )
    response = api(world.statistician).get(
        f"/api/v1/studies/{world.study.pk}/sessions/{key}/events-export/", {"format": "eaf"}
    )
    eaf = _eaf(response, tmp_path)
    assert eaf.get_annotation_data_for_tier("task") == [
        (3000, 9000, "Prepare a hot drink, proposed by the task model")
    ]
    assert (
        world.patient.code not in response.content.decode() and "clinician" not in response.content.decode()
    )
    assert key in response["Content-Disposition"]


def test_the_study_metrics_export_carries_the_task_metrics_under_pseudonyms(world, visit, api):
    task_segment_mark(session=visit.session, task_code="pill_box", start_s=2.0, end_s=6.5, by=world.clinician)
    response = api(world.statistician).get(f"/api/v1/studies/{world.study.pk}/export/", {"format": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    rows = [line for line in body.splitlines() if "tasks.pill_box.duration_s" in line]
    assert len(rows) == 1 and ",4.5," in rows[0]
    assert world.patient.code not in body and str(visit.session.session_date) not in body


def test_the_study_tasks_table_lists_each_task_under_the_study_keys(world, visit, api):
    task_segment_mark(
        session=visit.session, task_code="phone_call", start_s=2.0, end_s=6.5, by=world.clinician
    )
    task_segment_mark(
        session=visit.session, task_code="pill_box", start_s=7.0, end_s=12.0, by=world.clinician
    )
    response = api(world.statistician).get(f"/api/v1/studies/{world.study.pk}/tasks/", {"format": "csv"})
    assert response.status_code == 200 and response["X-Export-Rows"] == "2"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    enrolment = world.patient.enrolments.get(study=world.study)
    assert [(r["task"], r["asked_position"], r["start_s"], r["duration_s"], r["source"]) for r in rows] == [
        ("phone_call", "2", "2.0", "4.5", "marked"),
        ("pill_box", "1", "7.0", "5.0", "marked"),
    ]
    assert {r["pseudonym"] for r in rows} == {enrolment.pseudonym}
    assert {r["session_date"] for r in rows} == {str(visit.session.session_date + timedelta(days=-17))}
    assert world.patient.code not in str(rows) and "marked_by" not in rows[0]
    assert api(world.clinician).get(f"/api/v1/studies/{world.study.pk}/tasks/").status_code == 404


def test_the_study_events_table_has_a_row_per_task_and_frictionless_validates_it(world, visit, api, tmp_path):
    task_segment_mark(
        session=visit.session, task_code="phone_call", start_s=2.0, end_s=6.5, by=world.clinician
    )
    other = make_analysed_session(
        world.patient,
        by=world.clinician,
        protocol=visit.session.protocol,
        on=visit.session.session_date + timedelta(days=7),
    )
    task_segments_propose(
        session=other.recording.session,
        job=other,
        segments=[ProposedSegment("hot_drink", 3.0, 9.0, 0.8)],
        model_version="task-segmenter synthetic-1",
    )
    url = f"/api/v1/studies/{world.study.pk}/events/"
    response = api(world.statistician).get(url, {"format": "csv", "kind": "task"})
    assert response.status_code == 200, response.content[:300]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [
        (r["kind"], r["reviewed_kind"], r["source"], r["start_s"], r["end_s"], r["confidence"]) for r in rows
    ] == [
        ("task", "phone_call", "marked", "2.0", "6.5", ""),
        ("task", "hot_drink", "automatic", "3.0", "9.0", "0.8"),
    ]
    enrolment = world.patient.enrolments.get(study=world.study)
    assert {r["pseudonym"] for r in rows} == {enrolment.pseudonym}
    assert rows[0]["session_date"] == str(visit.session.session_date + timedelta(days=-17))
    assert rows[1]["model_versions"] == "task-segmenter synthetic-1"
    assert world.patient.code not in str(rows)

    package = api(world.statistician).get(f"/api/v1/studies/{world.study.pk}/datapackage/", {"format": "zip"})
    with zipfile.ZipFile(io.BytesIO(b"".join(package.streaming_content))) as archive:
        archive.extractall(tmp_path)
    events = list(csv.DictReader((tmp_path / "data" / "events.csv").open()))
    assert {r["reviewed_kind"] for r in events if r["kind"] == "task"} == {"phone_call", "hot_drink"}
    frictionless = Path(sys.executable).with_name("frictionless")
    result = subprocess.run(
        [str(frictionless), "validate", "datapackage.json", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(result.stdout)
    assert report["valid"], json.dumps(report, indent=1)[:3000]

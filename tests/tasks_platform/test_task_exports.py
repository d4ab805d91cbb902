"""The tasks of a semi-guided visit in the coder files: one ELAN tier "task" read back by
pympi-ling, for the care team (with who marked) and for the study (pseudonymised session key,
no names)."""

import csv
import io
from datetime import timedelta

import pympi

from patients.study_view import study_session_key
from results.task_segments import ProposedSegment, task_segment_mark, task_segments_propose


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

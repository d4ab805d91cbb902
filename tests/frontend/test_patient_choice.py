"""Choosing the patient: the clicked point is stored, reused by every later analysis of the
video, and reviews of the previous person's events do not carry over to the new person."""

from datetime import date

import pytest

from analysis import PIPELINE_VERSION
from analysis.results import Event, MetricsReport
from audit.models import AccessEvent
from care.reanalysis import analysis_results_replace, recording_patient_choose
from results.jobs import analysis_job_claim
from results.models import AnalysisJob, BehaviourEvent
from results.reviews import event_review_create
from results.services import AnalysisOutcome
from tests.factories import make_analysed_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def analysed(world, private_media, small_video, settings):
    settings.ANALYSIS_DISPATCHER = "tests.frontend.test_patient_choice.no_dispatch"
    job = make_analysed_session(
        world.patient,
        by=world.clinician,
        on=date(2026, 11, 2),
        windows={"apathy.neutral_share": [0.5]},
        events=[("body_rocking", 0.4, 1.6)],
        video=small_video,
        pipeline_version=PIPELINE_VERSION,
    )
    return world, job


def no_dispatch(job_id: int) -> None:
    """Jobs stay queued: the test plays the worker's part itself."""


def test_a_click_is_stored_reanalyses_and_is_reused(analysed, login):
    world, job = analysed
    session_id = job.recording.session_id
    client = login(world.clinician)
    url = f"/sessions/{session_id}/patient-choice"
    response = client.post(url, {"x_px": "40", "y_px": "60", "time_s": "1.0"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 201, response.content
    recording = job.recording
    recording.refresh_from_db()
    assert recording.patient_point == {"x_px": 40.0, "y_px": 60.0, "time_s": 1.0}
    assert recording.patient_confirmed_by == world.clinician
    queued = AnalysisJob.objects.get(recording=recording, status="queued")
    assert queued.patient_point == recording.patient_point  # what the worker passes to the library
    assert AccessEvent.objects.filter(object_type="patient_choice", patient_code=world.patient.code).exists()
    outside = client.post(url, {"x_px": "4000", "y_px": "60", "time_s": "1"}, HTTP_ACCEPT="application/json")
    assert outside.status_code == 400 and "outside" in outside.json()["message"]
    assert login(world.uploader).post(url, {"x_px": "40", "y_px": "60", "time_s": "1"}).status_code == 404


def test_reviews_of_the_previous_person_do_not_carry_over(analysed):
    world, job = analysed
    event = BehaviourEvent.objects.get(job=job)
    event_review_create(event=event, reviewer=world.clinician, decision="confirm")
    new_job = recording_patient_choose(
        recording=job.recording, x_px=40, y_px=60, time_s=1.0, by=world.clinician
    )
    claimed = analysis_job_claim(job_id=new_job.pk, task_id="t-1")
    assert claimed is not None
    report = MetricsReport(
        metrics={},
        samples=[],
        events=[
            Event(
                kind="body_rocking",
                body_part="trunk",
                start_s=0.4,
                end_s=1.6,
                frequency_hz=1.0,
                confidence=0.9,
            )
        ],
    )
    outcome = AnalysisOutcome(
        report=report, duration_s=2.0, model_versions=[], result_status="ok", message="", tracks_name=""
    )
    analysis_results_replace(job_id=new_job.pk, task_id="t-1", outcome=outcome)
    new_event = BehaviourEvent.objects.get(job=new_job)
    assert not new_event.reviews.exists()  # same times, but another person: no review moved
    event.refresh_from_db()
    assert event.reviews.count() == 1 and event.attributes.get("superseded") is True

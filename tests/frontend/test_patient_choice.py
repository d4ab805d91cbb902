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
from tests.factories import make_analysed_session, make_people_tracks

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


def test_the_page_asks_is_this_the_patient_until_someone_confirms(world, private_media, small_video, login):
    # A small patient at the left, a larger examiner at the right of the 160 x 120 px frame.
    tracks = make_people_tracks([(10, 40, 30, 70), (80, 5, 60, 110)], duration_s=2.0, fps=10)
    job = make_analysed_session(
        world.patient, by=world.clinician, on=date(2026, 11, 3), events=[("body_rocking", 0.4, 1.6)],
        tracks=tracks, video=small_video,
    )  # fmt: skip
    page_url = f"/sessions/{job.recording.session_id}/"
    client = login(world.clinician)
    html = client.get(page_url).content.decode()
    assert "Is this the patient?" in html and 'data-confirmed="0"' in html
    overlay = client.get(f"{page_url}overlay.json").json()
    assert sorted(overlay["people"]) == ["0", "1"] and overlay["patient_id"] == "0"  # two people: asked
    assert overlay["people"]["1"][0] == [0.0, 80, 5, 60, 110]
    assert login(world.uploader).post(f"{page_url}patient-choice", {"confirm": "1"}).status_code == 404
    client = login(world.clinician)
    answer = client.post(f"{page_url}patient-choice", {"confirm": "1"}, HTTP_ACCEPT="application/json")
    assert answer.status_code == 201 and "confirmed as the patient" in answer.json()["message"]
    job.recording.refresh_from_db()
    assert job.recording.patient_confirmed_by == world.clinician and job.recording.patient_confirmed_at
    assert not AnalysisJob.objects.filter(recording=job.recording, status="queued").exists()  # nothing re-run
    assert AccessEvent.objects.filter(
        object_type="patient_choice", details__confirmed=True, patient_code=world.patient.code
    ).exists()
    assert 'data-confirmed="1"' in client.get(page_url).content.decode()  # asked no more

"""A praxis cue or an interview's story marked after the analysis recomputes the metrics that
follow it from the stored tracks, off the request and without analysing the video again; without
stored tracks the page says that a re-analysis is needed instead of showing the earlier figures."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from analysis.metrics import INTERVIEW_PARTS, PRAXIS_PART, compute_segment_metrics
from recordings.models import ProtocolTask
from results.gesture_references import praxis_inputs_for
from results.models import AnalysisJob, BehaviourEvent, MetricSample
from results.segment_metrics import NEEDS_REANALYSIS
from results.services import segment_results_replace
from results.task_segments import task_segment_delete, task_segment_mark
from tests.factories import make_analysed_session, make_protocol
from tests.praxis_platform.conftest import ITEMS, expert_and_patient_sessions, gesture_session
from workers.celery import app
from workers.dispatch import local_analyses_wait

pytestmark = pytest.mark.django_db(transaction=True)
HESITATION = "praxis.hesitation_mean_s"
CUE_BEFORE_S = 0.8


@pytest.fixture(autouse=True)
def embedded():
    """The embedded default (no broker): the recomputation runs on this process's analysis
    thread, off the thread of the mark's request."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


@pytest.fixture
def analysed_praxis(world):
    """A praxis session analysed before any cue was marked: its praxis metrics and gesture events
    stored as the analysis stores them (hesitation unknown without cues)."""
    job, tracks, truth = expert_and_patient_sessions(world, list(ITEMS))
    inputs = praxis_inputs_for(job.recording)
    report = compute_segment_metrics(
        tracks,
        part=PRAXIS_PART,
        references=inputs["references"],
        expected_gestures=inputs["expected_gestures"],
    )
    BehaviourEvent.objects.filter(job=job).delete()
    segment_results_replace(job=job, report=report)
    return job, truth


def hesitation(job: AnalysisJob) -> MetricSample:
    return MetricSample.objects.get(job=job, metric=HESITATION, is_session_level=True)


def mark_cues(world, job, truth) -> None:
    for item, performed in zip(ITEMS, truth, strict=True):
        task_segment_mark(
            session=job.recording.session,
            task_code=item,
            start_s=performed.start_s - CUE_BEFORE_S,
            end_s=performed.end_s + 0.5,
            by=world.clinician,
        )


def test_marking_cues_after_the_analysis_recomputes_the_praxis_hesitation(world, login, analysed_praxis):
    job, truth = analysed_praxis
    before = hesitation(job)
    assert before.value is None and "cue" in before.reason
    events_before = set(BehaviourEvent.objects.filter(job=job, kind="gesture").values_list("pk", flat=True))

    mark_cues(world, job, truth)
    assert local_analyses_wait(timeout_s=120)

    job.refresh_from_db()
    assert job.segment_metrics_state == ""
    # Hesitation from the marked cue, 0.8 s, within 0.3 s (onsets found on the hand's speed).
    assert hesitation(job).value == pytest.approx(CUE_BEFORE_S, abs=0.3)
    gestures = BehaviourEvent.objects.filter(job=job, kind="gesture").order_by("start_s")
    # The same events (their reviews stay with them), now tied to the item asked.
    assert set(gestures.values_list("pk", flat=True)) == events_before
    assert [g.attributes["asked"] for g in gestures] == list(ITEMS)
    html = login(world.clinician).get(f"/sessions/{job.recording.session_id}/").content.decode()
    assert "being recomputed" not in html and "Hesitation from the cue (s)" in html

    # Deleting a cue recomputes again: the item is no longer tied to an asked item.
    first = job.recording.session.task_segments.order_by("start_s").first()
    task_segment_delete(segment=first, by=world.clinician)
    assert local_analyses_wait(timeout_s=120)
    first_gesture = BehaviourEvent.objects.filter(job=job, kind="gesture").order_by("start_s").first()
    assert first_gesture.attributes["asked"] != ITEMS[0]


def test_without_stored_tracks_the_page_asks_for_a_re_analysis(world, login, analysed_praxis, settings):
    job, truth = analysed_praxis
    default_storage.delete(job.tracks_file.name)
    # The video is still stored (its bytes do not matter: the new analysis is not run here).
    job.recording.file.save("visit.mp4", ContentFile(b"video"), save=True)
    mark_cues(world, job, truth)
    assert local_analyses_wait(timeout_s=120)
    job.refresh_from_db()
    assert job.segment_metrics_state == NEEDS_REANALYSIS
    assert hesitation(job).value is None  # not recomputed: no number claims to follow the cues
    html = login(world.clinician).get(f"/sessions/{job.recording.session_id}/").content.decode()
    assert "a re-analysis of the video is needed" in html
    assert "Hesitation from the cue (s)" not in html
    assert "Analyse the video again" in html

    settings.ANALYSIS_DISPATCHER = "tests.praxis_platform.test_segment_metrics.leave_for_later"
    response = login(world.clinician).post(f"/sessions/{job.recording.session_id}/reanalyse")
    assert response.status_code == 302
    queued = AnalysisJob.objects.filter(recording=job.recording, status=AnalysisJob.Status.QUEUED)
    assert queued.count() == 1 and queued.get().requested_by == world.clinician


def test_a_mark_is_answered_before_the_metrics_are_recomputed(world, analysed_praxis, settings):
    job, truth = analysed_praxis
    settings.SEGMENT_METRICS_DISPATCHER = "tests.praxis_platform.test_segment_metrics.leave_for_later"
    mark_cues(world, job, truth)
    job.refresh_from_db()
    assert job.segment_metrics_state == "recomputing"
    assert hesitation(job).value is None  # the earlier figure until the worker has run


def leave_for_later(session_id: int) -> None:
    """A dispatcher whose worker has not run yet."""


def test_marking_an_interviews_baseline_recomputes_agitation_against_it(world):
    protocol = make_protocol("apathy-stories", kind="apathy_interview")
    for position, code in enumerate(("baseline", "positive_story", "negative_story"), start=1):
        ProtocolTask.objects.create(
            protocol=protocol, position=position, code=code, name=code, expected_max_duration_s=300
        )
    # The patient sits still for the first second, then moves the right hand (one gesture).
    tracks, _ = gesture_session(["wave"], seed=3)
    job = make_analysed_session(world.patient, by=world.clinician, tracks=tracks, protocol=protocol)
    segment_results_replace(job=job, report=compute_segment_metrics(tracks, part=INTERVIEW_PARTS))
    reference = "stereotypy.agitation_reference_sw_s"
    fixed = MetricSample.objects.get(job=job, metric=reference, is_session_level=True).value
    story = MetricSample.objects.get(
        job=job, metric="apathy.positive_story.valence_mean", is_session_level=True
    )
    assert "marked" in story.reason

    session = job.recording.session
    task_segment_mark(session=session, task_code="baseline", start_s=0.0, end_s=0.9, by=world.clinician)
    task_segment_mark(session=session, task_code="positive_story", start_s=1.0, end_s=3.0, by=world.clinician)
    assert local_analyses_wait(timeout_s=120)

    job.refresh_from_db()
    assert job.segment_metrics_state == ""
    # Agitation is now measured against the still baseline, not the fixed reference.
    assert MetricSample.objects.get(job=job, metric=reference, is_session_level=True).value != fixed
    story = MetricSample.objects.get(
        job=job, metric="apathy.positive_story.valence_mean", is_session_level=True
    )
    assert "was not marked" not in story.reason

"""Automatic task segments: a registered, active task model proposes segments after the analysis
of a semi-guided visit, the clinician accepts or corrects them; without an active model nothing
is proposed. Hand activity and walking during each task come from the visit's stored tracks."""

from io import StringIO
from pathlib import Path

import numpy as np
import pytest
import torch
from django.core.management import call_command

from analysis import PIPELINE_VERSION
from analysis.tasks.features import N_FEATURES
from analysis.tasks.model import SegmenterConfig, TaskSegmenter, save_model
from analysis.tracks import Tracks
from care.tasks import session_tasks_after_analysis
from results.models import AnalysisJob, MetricSample, ModelVersion, TaskSegment
from results.services import AnalysisOutcome
from results.task_models import task_model_proposals, task_model_register
from results.task_segments import task_segment_accept, task_segment_mark
from results.task_training import SYNTHETIC_NOTE, task_model_train_synthetic
from tests.analysis.tasks.test_features import body
from tests.factories import make_analysed_session, make_recording, make_session
from tests.media import make_person_video
from tests.tasks_platform.conftest import make_task_protocol
from workers.analysis_run import run_analysis_job

SECONDS = 30.0


def visit_tracks() -> Tracks:
    """30 s of a person standing still whose right wrist moves 80 px/s (0.8 shoulder widths/s)."""
    n = int(SECONDS * 10)
    t, pose, visibility, hands, head = body(n, right_wrist_px_s=80.0)
    tracks = Tracks.empty(n)
    tracks.time_s[:] = t
    tracks.is_patient[:] = True
    tracks.pose_xy[:], tracks.pose_visibility[:] = pose, visibility
    tracks.hands_xy[:], tracks.head_pose_deg[:] = hands, head
    return tracks


def always_pill_box_model(path: Path) -> Path:
    """A small task model whose last stage says "prepare a pill box" for every frame."""
    torch.manual_seed(0)
    model = TaskSegmenter(["pill_box", "phone_call"], config=SegmenterConfig(channels=8, layers=2, stages=1))
    model.set_standardisation([np.random.default_rng(0).normal(size=(30, N_FEATURES))])
    with torch.no_grad():
        model.stages[-1].output.weight.zero_()
        model.stages[-1].output.bias.copy_(torch.tensor([0.0, 8.0, 0.0]))
    model.data_sha256, model.metrics = "cd" * 32, {"test": {"f1@50": 0.8}}
    save_model(model.eval(), path)
    return path


@pytest.fixture
def tracked_visit(world, private_media):
    job = make_analysed_session(
        world.patient, by=world.clinician, protocol=make_task_protocol(), tracks=visit_tracks()
    )
    return job


def test_without_an_active_task_model_nothing_is_proposed(world, tracked_visit):
    session = tracked_visit.recording.session
    assert task_model_proposals(protocol=session.protocol, tracks=visit_tracks(), duration_s=SECONDS) == (
        [],
        "",
    )


def test_the_active_task_model_proposes_and_the_clinician_accepts(world, tracked_visit, tmp_path, login):
    registered = task_model_register(
        model_path=always_pill_box_model(tmp_path / "task.pt"), version="1", activate=True
    )
    assert (registered.kind, registered.is_active, registered.training_data_sha256) == (
        "task",
        True,
        "cd" * 32,
    )
    assert registered.metrics["test"]["f1@50"] == 0.8
    session = tracked_visit.recording.session
    segments, label = task_model_proposals(
        protocol=session.protocol, tracks=visit_tracks(), duration_s=SECONDS
    )
    assert label == "task-segmenter 1"
    assert [(s.task_code, s.start_s) for s in segments] == [("pill_box", 0.0)] and segments[
        0
    ].end_s <= SECONDS
    outcome = AnalysisOutcome(report=None, duration_s=SECONDS, task_segments=segments, task_model=label)
    session_tasks_after_analysis(job=tracked_visit, outcome=outcome)
    [proposed] = TaskSegment.objects.filter(session=session)
    assert (proposed.source, proposed.model_version, proposed.job_id) == (
        "automatic",
        label,
        tracked_visit.pk,
    )
    html = login(world.clinician).get(f"/sessions/{session.pk}/").content.decode()
    assert "The task model proposed 1 task below" in html
    assert MetricSample.objects.get(session=session, metric="tasks.pill_box.performances").value == 1
    task_segment_accept(segment=proposed, by=world.clinician)
    assert TaskSegment.objects.get(pk=proposed.pk).source == "marked"


def test_a_visit_of_another_protocol_gets_no_proposal(world, private_media, tmp_path):
    task_model_register(model_path=always_pill_box_model(tmp_path / "task.pt"), version="1", activate=True)
    interview = make_analysed_session(world.patient, by=world.clinician).recording.session
    assert task_model_proposals(protocol=interview.protocol, tracks=visit_tracks(), duration_s=SECONDS) == (
        [],
        "",
    )


def test_hand_activity_and_walking_during_a_task_come_from_the_tracks(world, tracked_visit):
    session = tracked_visit.recording.session
    task_segment_mark(session=session, task_code="pill_box", start_s=5.0, end_s=15.0, by=world.clinician)
    hands = MetricSample.objects.get(session=session, metric="tasks.pill_box.hand_activity_share")
    walking = MetricSample.objects.get(session=session, metric="tasks.pill_box.walking_share")
    assert hands.value == 1.0 and hands.analysable_s == pytest.approx(10.0, abs=0.5)
    assert walking.value == 0.0


def test_an_active_task_model_is_listed_in_the_registry(tmp_path, db, private_media):
    task_model_register(model_path=always_pill_box_model(tmp_path / "task.pt"), version="1")
    assert ModelVersion.objects.get(name="task-segmenter").is_active is False


def test_the_registration_command_records_and_activates(tmp_path, db, private_media):
    out = StringIO()
    call_command(
        "task_model_register",
        str(always_pill_box_model(tmp_path / "task.pt")),
        "--model-version",
        "2",
        "--activate",
        stdout=out,
    )
    assert "Task model task-segmenter 2: active" in out.getvalue()
    assert ModelVersion.objects.get(name="task-segmenter", version="2").is_active


@pytest.mark.slow
def test_the_synthetic_task_model_is_trained_registered_and_labelled(db, private_media):
    version = task_model_train_synthetic(version="synthetic-test", epochs=4)
    assert version.is_active and version.kind == "task"
    assert version.metrics["trained_on"] == SYNTHETIC_NOTE
    assert version.metrics["task_codes"] == [
        "pill_box",
        "phone_call",
        "water_plant",
        "read_article",
        "hot_drink",
    ]
    assert len(version.training_data_sha256) == 64


@pytest.mark.slow
def test_the_analysis_of_a_semi_guided_visit_proposes_the_active_models_tasks(
    world, private_media, tmp_path, settings
):
    settings.ANALYSIS_PROCESSES = 1
    task_model_register(model_path=always_pill_box_model(tmp_path / "task.pt"), version="1", activate=True)
    video = make_person_video(tmp_path / "visit.mp4", duration_s=6.0, fps=10, size=(320, 240), motion="nod")
    session = make_session(world.patient, by=world.clinician, protocol=make_task_protocol())
    recording = make_recording(session, by=world.clinician, video=video, duration_s=6.0)
    job = AnalysisJob.objects.create(recording=recording, pipeline_version=PIPELINE_VERSION)
    assert run_analysis_job(job_id=job.pk, task_id="tasks-check") == "succeeded"
    [proposed] = TaskSegment.objects.filter(session=session)
    assert (proposed.task_code, proposed.source, proposed.model_version) == (
        "pill_box",
        "automatic",
        "task-segmenter 1",
    )
    assert 0.0 <= proposed.start_s < proposed.end_s <= 6.0 and proposed.job_id == job.pk
    hands = MetricSample.objects.get(session=session, metric="tasks.pill_box.hand_activity_share")
    assert hands.job_id == job.pk and (hands.value is not None or hands.reason)

"""Reference gestures marked on a stored analysis, what the praxis analysis gets from them, and
the praxis scores the session page shows."""

from __future__ import annotations

import numpy as np
import pytest
from django.utils import timezone

from accounts.errors import ApplicationError
from accounts.permissions import PatientRefused
from analysis.gestures.normalise import N_GESTURE_KEYPOINTS
from analysis.gestures.scoring import reference_from_tracks
from analysis.metrics.praxis import compute_praxis
from analysis.metrics.segments import ProtocolSegment
from audit.models import AccessEvent
from patients.models import Consent, ConsentScope
from recordings.models import Protocol
from results.gesture_references import gesture_reference_create, praxis_inputs_for, references_for
from results.models import GestureReference
from results.praxis_scores import praxis_scores_for_session
from results.reviews import event_review_create
from tests.factories import make_analysed_session, make_protocol
from tests.praxis_platform.conftest import PIPELINE_VERSION, add_event, gesture_session, praxis_protocol


@pytest.fixture
def expert(world):
    """An analysed recording of an expert performing wave, circle and point (the truth known)."""
    tracks, truth = gesture_session(["wave", "circle", "point"], seed=11)
    job = make_analysed_session(
        world.patient,
        by=world.clinician,
        tracks=tracks,
        protocol=praxis_protocol(),
        pipeline_version=PIPELINE_VERSION,
    )
    return job, tracks, {t.gesture: t for t in truth}


def _mark_all(job, truth, by):
    protocol = job.recording.session.protocol
    return [
        gesture_reference_create(
            protocol=protocol, gesture=name, job=job, start_s=t.start_s, end_s=t.end_s, by=by
        )
        for name, t in truth.items()
    ]


def test_it_creates_a_reference_from_the_stored_tracks(world, expert):
    job, tracks, truth = expert
    wave = truth["wave"]
    reference = gesture_reference_create(
        protocol=job.recording.session.protocol,
        gesture="wave",
        job=job,
        start_s=wave.start_s,
        end_s=wave.end_s,
        by=world.clinician,
    )
    stored = references_for(job.recording.session.protocol)["wave"]
    expected = reference_from_tracks(tracks, wave.start_s, wave.end_s)
    assert stored.shape == expected.shape and stored.shape[1:] == (N_GESTURE_KEYPOINTS, 2)
    assert stored.dtype == np.float32
    # float32 -> JSON float -> float32 is exact.
    np.testing.assert_array_equal(stored, expected)
    assert (reference.source_job, reference.created_by) == (job, world.clinician)
    assert (
        AccessEvent.objects.filter(object_type="gesture_reference", patient_code=world.patient.code).count()
        == 1
    )


def test_a_new_reference_replaces_the_old_one(world, expert):
    job, _, truth = expert
    protocol = job.recording.session.protocol
    first = gesture_reference_create(
        protocol=protocol, gesture="wave", job=job, start_s=0.0, end_s=3.0, by=world.clinician
    )
    second = gesture_reference_create(
        protocol=protocol,
        gesture="wave",
        job=job,
        start_s=truth["wave"].start_s,
        end_s=truth["wave"].end_s,
        by=world.clinician,
    )
    assert list(GestureReference.objects.filter(protocol=protocol)) == [second]
    assert not GestureReference.objects.filter(pk=first.pk).exists()


def test_it_refuses_what_cannot_be_a_reference(world, expert):
    job, _, _ = expert
    protocol = job.recording.session.protocol
    with pytest.raises(ApplicationError, match="does not expect a gesture 'salute'"):
        gesture_reference_create(
            protocol=protocol, gesture="salute", job=job, start_s=1, end_s=3, by=world.clinician
        )
    with pytest.raises(ApplicationError, match="cannot be a reference"):
        gesture_reference_create(
            protocol=protocol, gesture="wave", job=job, start_s=3, end_s=3.05, by=world.clinician
        )
    with pytest.raises(PatientRefused):  # refused like an unknown patient: a 404, audited
        gesture_reference_create(
            protocol=protocol, gesture="wave", job=job, start_s=1, end_s=3, by=world.outsider
        )
    no_tracks = make_analysed_session(
        world.patient, by=world.clinician, tracks=None, protocol=protocol, pipeline_version=PIPELINE_VERSION
    )
    with pytest.raises(ApplicationError, match="has no stored tracks"):
        gesture_reference_create(
            protocol=protocol, gesture="wave", job=no_tracks, start_s=1, end_s=3, by=world.clinician
        )
    Consent.objects.filter(patient=world.patient, scope=ConsentScope.MODEL_TRAINING).update(
        withdrawn_at=timezone.now(), withdrawn_by=world.clinician
    )
    with pytest.raises(ApplicationError, match="has not consented to model training"):
        gesture_reference_create(
            protocol=protocol, gesture="wave", job=job, start_s=1, end_s=3, by=world.clinician
        )
    assert not GestureReference.objects.exists()


def test_the_praxis_analysis_scores_a_session_against_the_references(world, expert):
    job, _, truth = expert
    _mark_all(job, truth, world.clinician)
    patient_tracks, patient_truth = gesture_session(["point", "wave"], seed=12)
    patient_job = make_analysed_session(
        world.patient,
        by=world.clinician,
        tracks=patient_tracks,
        protocol=praxis_protocol(),
        pipeline_version=PIPELINE_VERSION,
    )
    inputs = praxis_inputs_for(patient_job.recording)
    assert inputs["expected_gestures"] == ["wave", "circle", "point"]
    assert set(inputs["references"]) == {"wave", "circle", "point"}
    report = compute_praxis(patient_tracks, **inputs)
    named = [event.attributes["gesture"] for event in report.events]
    assert named == [t.gesture for t in patient_truth]  # each performance matched to its reference
    # Same gesture template, different noise and seed: within the expert band (score >= 75).
    assert all(event.attributes["score"] >= 75 for event in report.events)


def test_praxis_inputs_without_references_or_for_other_protocols(world, expert):
    job, _, truth = expert
    assert praxis_inputs_for(job.recording) == {"references": None, "expected_gestures": None}
    gesture_reference_create(
        protocol=job.recording.session.protocol,
        gesture="circle",
        job=job,
        start_s=truth["circle"].start_s,
        end_s=truth["circle"].end_s,
        by=world.clinician,
    )
    inputs = praxis_inputs_for(job.recording)
    assert inputs["expected_gestures"] == ["circle"]  # wave and point have no reference yet
    other = make_analysed_session(
        world.patient,
        by=world.clinician,
        tracks=None,
        protocol=make_protocol(),
        pipeline_version=PIPELINE_VERSION,
    )
    assert other.recording.session.protocol.kind != Protocol.Kind.PRAXIS_TEST
    assert praxis_inputs_for(other.recording) == {"references": None, "expected_gestures": None}


def test_it_gives_the_session_page_its_praxis_scores(world, expert):
    job, tracks, truth = expert
    _mark_all(job, truth, world.clinician)
    # The examiner asks for each item at the start and after the previous one: hesitation is
    # measured from these cues.
    cues = [
        ProtocolSegment("cue", 0.0, truth["wave"].end_s, "wave"),
        ProtocolSegment("cue", truth["wave"].end_s, truth["circle"].end_s, "circle"),
        ProtocolSegment("cue", truth["circle"].end_s, truth["point"].end_s + 1.0, "point"),
    ]
    report = compute_praxis(tracks, **praxis_inputs_for(job.recording), segments=cues)
    events = [add_event(job, start_s=e.start_s, end_s=e.end_s, **e.attributes) for e in report.events]
    add_event(job, kind="hand_flapping", start_s=0.0, end_s=0.5)
    event_review_create(event=events[0], reviewer=world.clinician, decision="confirm")
    rows = praxis_scores_for_session(job.recording.session)
    assert [row["gesture"] for row in rows] == ["wave", "circle", "point"]
    assert rows[0]["review"] == "confirm" and rows[1]["review"] is None
    for row, event in zip(rows, report.events, strict=True):
        assert row["score_0_100"] == pytest.approx(event.attributes["score"])
        assert row["hesitation_s"] == pytest.approx(event.attributes["hesitation_s"])
        assert row["duration_s"] == pytest.approx(event.end_s - event.start_s, abs=1e-3)
        assert (row["start_s"], row["end_s"]) == (pytest.approx(event.start_s), pytest.approx(event.end_s))
    # An expert scored against their own performances: (nearly) the top of the scale.
    assert all(row["score_0_100"] >= 95 for row in rows)
    assert rows[0]["hesitation_s"] == pytest.approx(truth["wave"].start_s, abs=0.5)


def test_a_session_without_gestures_has_no_praxis_scores(world):
    job = make_analysed_session(
        world.patient,
        by=world.clinician,
        tracks=None,
        protocol=praxis_protocol(),
        pipeline_version=PIPELINE_VERSION,
    )
    add_event(job, kind="body_rocking", start_s=0.0, end_s=2.0)
    assert praxis_scores_for_session(job.recording.session) == []

"""Fixtures of the praxis platform tests: private storage per test, and analysed sessions whose
tracks Parquet (made by analysis.gestures.synthetic) is stored through Django's storage, as the
workers store it."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone

from accounts.permissions import Action, can
from analysis.gestures.synthetic import GestureStyle, synth_session
from patients.models import Consent, ConsentScope
from recordings.models import Protocol, ProtocolTask
from results.gesture_references import gesture_reference_create
from results.models import AnalysisJob, BehaviourEvent
from results.reviews import event_review_create
from tests.factories import make_analysed_session, make_patient, make_protocol

PIPELINE_VERSION = "test-praxis"


@pytest.fixture(autouse=True)
def media_storage(settings, tmp_path) -> Path:
    """Every test stores its files in its own folder, through the real FileSystemStorage."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    settings.GESTURE_MODEL_DIR = tmp_path / "models"
    return root


def praxis_protocol(expected=("wave", "circle", "point")) -> Protocol:
    protocol = make_protocol("praxis-imitation", kind=Protocol.Kind.PRAXIS_TEST)
    protocol.expected_gestures = list(expected)
    protocol.save()
    return protocol


def gesture_session(gestures: list[str], *, seed: int = 0, gap_s: float = 1.5, duration_s: float = 2.0):
    """Synthetic tracks of the gestures one after the other (right hand, 15 fps), and their truth."""
    plan, start = [], 1.0
    for name in gestures:
        plan.append((name, start, GestureStyle(duration_s=duration_s, hand="right")))
        start += duration_s + gap_s
    return synth_session(plan, duration_s=start + 0.5, fps=15.0, seed=seed)


ITEMS = ("wave", "circle", "point")


def items_protocol() -> Protocol:
    """The praxis protocol with its items as its task list (what the session page marks)."""
    protocol = praxis_protocol(ITEMS)
    for position, item in enumerate(ITEMS, start=1):
        ProtocolTask.objects.create(
            protocol=protocol, position=position, code=item, name=item.title(), expected_max_duration_s=10
        )
    return protocol


def expert_and_patient_sessions(world, performed: list[str]):
    """An expert's references for the three items on one analysed session, and a patient's
    analysed session in which the patient performs `performed`; returns (job, tracks, truth)."""
    expert_tracks, expert_truth = gesture_session(list(ITEMS), seed=11)
    protocol = items_protocol()
    expert = make_analysed_session(
        world.patient,
        by=world.clinician,
        tracks=expert_tracks,
        protocol=protocol,
        pipeline_version=PIPELINE_VERSION,
    )
    for t in expert_truth:
        gesture_reference_create(
            protocol=protocol,
            gesture=t.gesture,
            job=expert,
            start_s=t.start_s,
            end_s=t.end_s,
            by=world.clinician,
        )
    tracks, truth = gesture_session(performed, seed=12)
    job = make_analysed_session(
        world.patient, by=world.clinician, tracks=tracks, protocol=protocol, pipeline_version=PIPELINE_VERSION
    )
    return job, tracks, truth


def add_event(
    job: AnalysisJob, *, kind: str = "gesture", start_s: float, end_s: float, **attributes
) -> BehaviourEvent:
    session = job.recording.session
    return BehaviourEvent.objects.create(
        job=job,
        patient=session.patient,
        session=session,
        kind=kind,
        body_part="right_hand",
        start_s=start_s,
        end_s=end_s,
        confidence=1.0,
        attributes=attributes,
        pipeline_version=job.pipeline_version,
    )


GESTURES = ["wave", "circle", "point", "wave", "circle", "tap", "point"]


@pytest.fixture
def reviewed_sessions(world):
    """Three patients of the memory clinic, each with an analysed session of seven gestures.

    world.patient consents to model training; `declined` never did; `withdrawn` did, then withdrew.
    """
    declined = make_patient(
        world.memory_clinic,
        name="Marc Petit",
        hospital_number="H-0101",
        scopes=(ConsentScope.STORE_VIDEO, ConsentScope.ANALYSE),
        by=world.clinician,
    )
    withdrawn = make_patient(
        world.memory_clinic, name="Anne Roux", hospital_number="H-0102", by=world.clinician
    )
    Consent.objects.filter(patient=withdrawn, scope=ConsentScope.MODEL_TRAINING).update(
        withdrawn_at=timezone.now(), withdrawn_by=world.clinician
    )
    out = {}
    for seed, patient in enumerate((world.patient, declined, withdrawn)):
        assert can(world.clinician, Action.REVIEW_EVENTS, patient)
        tracks, truth = gesture_session(GESTURES, seed=seed)
        job = make_analysed_session(
            patient,
            by=world.clinician,
            tracks=tracks,
            protocol=praxis_protocol(),
            pipeline_version=PIPELINE_VERSION,
        )
        events = [
            add_event(job, start_s=t.start_s, end_s=t.end_s, gesture=t.gesture, score=80.0) for t in truth
        ]
        out[patient.code] = (job, events, tracks)

    def review(event, decision, **kwargs):
        return event_review_create(event=event, reviewer=world.clinician, decision=decision, **kwargs)

    for _job, events, _tracks in out.values():
        review(events[0], "confirm")  # wave
        review(events[1], "confirm")  # circle
        review(
            events[2], "correct", corrected_start_s=events[2].start_s - 0.2, corrected_end_s=events[2].end_s
        )
        review(events[3], "confirm")  # wave
        # The model called this a circle; the clinician names it a point.
        review(
            events[4],
            "correct",
            corrected_start_s=events[4].start_s,
            corrected_end_s=events[4].end_s,
            note="Gesture: point (imitation of the pointing item)",
        )
        review(events[5], "reject")  # tap
        # events[6] (point) is never reviewed
    rocking = add_event(out[world.patient.code][0], kind="body_rocking", start_s=0.0, end_s=0.9)
    review(rocking, "confirm")
    return out

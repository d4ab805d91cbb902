"""`manage.py task_model_train` on marked visits whose stored tracks are made by code (the
synthetic task set's movements): from 20 marked visits it prints figures cross-validated by
patient and registers the model with the marked set's hash, inactive; below 20 it says why it
claims no cross-validated figure; a patient without model_training consent adds nothing."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

from patients.models import ConsentScope
from results.models import ModelVersion, TaskSegment
from results.task_marked_set import marked_task_set
from tests.factories import make_analysed_session, make_patient
from tests.tasks_platform.conftest import make_task_protocol
from tests.tasks_platform.synthetic_visits import synthetic_visit

VISITS_PER_PATIENT = 3


def marked_visit(world, patient, protocol, seed: int) -> None:
    """An analysed visit with the synthetic tracks and its true tasks marked by the clinician."""
    tracks, segments = synthetic_visit(seed)
    job = make_analysed_session(patient, by=world.clinician, protocol=protocol, tracks=tracks)
    TaskSegment.objects.bulk_create(
        TaskSegment(
            session=job.recording.session,
            task_code=segment.task_code,
            start_s=segment.start_s,
            end_s=segment.end_s,
            source=TaskSegment.Source.MARKED,
            marked_by=world.clinician,
        )
        for segment in segments
    )


def marked_patients(world, protocol, count: int, *, scopes=tuple(ConsentScope), first: int = 0) -> None:
    for p in range(first, first + count):
        patient = make_patient(
            world.memory_clinic,
            name=f"Patient {p}",
            hospital_number=f"TASK-{p:03d}",
            scopes=scopes,
            by=world.clinician,
        )
        for v in range(VISITS_PER_PATIENT):
            marked_visit(world, patient, protocol, seed=100 * p + v)


@pytest.mark.django_db
def test_cross_validated_model_registered_with_the_marked_set_hash(world, private_media):
    protocol = make_task_protocol()
    marked_patients(world, protocol, 7)  # 21 marked visits of 7 consenting patients
    before = marked_task_set()
    no_training = tuple(scope for scope in ConsentScope if scope != ConsentScope.MODEL_TRAINING)
    marked_patients(world, protocol, 1, scopes=no_training, first=50)
    after = marked_task_set()
    assert (len(after.sequences), after.sha256) == (21, before.sha256)

    out = StringIO()
    call_command(
        "task_model_train", "--model-version", "marked-1", "--epochs", "2", "--folds", "4", stdout=out
    )
    text = out.getvalue()
    print(text)
    match = re.search(
        r"Cross-validation \(cross-validated over 21 marked visits, 4 folds by patient\): frame accuracy "
        r"([\d.]+), edit ([\d.]+), F1@10 ([\d.]+|nan), F1@25 ([\d.]+|nan), F1@50 ([\d.]+|nan)\.",
        text,
    )
    assert match, text
    version = ModelVersion.objects.get(kind=ModelVersion.Kind.TASK, version="marked-1")
    assert (version.is_active, version.training_data_sha256) == (False, before.sha256)
    cv = version.metrics["cross_validation"]
    assert (cv["sequences"], cv["folds"]) == (21.0, 4.0)
    assert cv["frame_accuracy"] == pytest.approx(float(match.group(1)), abs=5e-4)
    assert 0.0 <= cv["frame_accuracy"] <= 1.0
    assert version.metrics["task_codes"] == before.classes[1:]


@pytest.mark.django_db
def test_few_marked_visits_train_without_claiming_cross_validation(world, private_media):
    protocol = make_task_protocol()
    marked_patients(world, protocol, 1)
    out = StringIO()
    call_command("task_model_train", "--epochs", "1", "--activate", stdout=out)
    text = out.getvalue()
    assert "Only 3 marked visits can train the task model; cross-validation needs at least 20" in text
    assert "Cross-validation (" not in text
    version = ModelVersion.objects.get(kind=ModelVersion.Kind.TASK)
    assert version.is_active
    assert "not_measured" in version.metrics["cross_validation"]
    assert version.training_data_sha256 == marked_task_set().sha256

"""Database constraints, checked on PostgreSQL by writing rows the services would refuse."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from patients.models import Consent, ConsentScope
from recordings.models import ChunkedUpload, Recording
from results.models import AnalysisJob, BehaviourEvent, EventReview, MetricSample
from tests.factories import make_session
from tests.platform.helpers import add_derived_results


@pytest.fixture
def recording(world, store_recording):
    return store_recording(make_session(world.patient, by=world.clinician), world.uploader)


def consent(world, **overrides):
    fields = {
        "patient": world.patient,
        "scope": ConsentScope.STORE_VIDEO,
        "version": 99,
        "given_at": timezone.now(),
        "recorded_by": world.clinician,
        **overrides,
    }
    with transaction.atomic():
        return Consent.objects.create(**fields)


def test_one_active_grant_per_scope(world):
    with pytest.raises(IntegrityError):
        consent(world)  # store_video is already active for world.patient


def test_versions_are_unique_per_patient(world):
    Consent.objects.filter(patient=world.patient, scope=ConsentScope.STORE_VIDEO).update(
        withdrawn_at=timezone.now(), withdrawn_by=world.clinician
    )
    with pytest.raises(IntegrityError):
        consent(world, version=1)
    assert consent(world, version=99).version == 99
    # Another patient may use the same version number.
    Consent.objects.filter(patient=world.other_patient, scope=ConsentScope.STORE_VIDEO).update(
        withdrawn_at=timezone.now(), withdrawn_by=world.outsider
    )
    assert consent(world, patient=world.other_patient, version=99).version == 99


def test_withdrawal_comes_after_the_grant_and_names_who(world):
    now = timezone.now()
    with pytest.raises(IntegrityError):
        consent(
            world,
            scope=ConsentScope.STORE_VIDEO,
            given_at=now,
            withdrawn_at=now - timedelta(days=1),
            withdrawn_by=world.clinician,
        )
    with pytest.raises(IntegrityError):
        consent(world, given_at=now, withdrawn_at=now)  # no withdrawn_by


def test_one_stored_recording_per_file_and_session(world, recording):
    fields = {
        field.name: getattr(recording, field.name)
        for field in Recording._meta.fields
        if field.name not in ("id", "created_at")
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Recording.objects.create(**fields)
    Recording.objects.filter(pk=recording.pk).update(status="deleted", deleted_at=timezone.now())
    with transaction.atomic():
        Recording.objects.create(**fields)  # a deleted copy no longer blocks a new upload


@pytest.mark.parametrize(
    "update",
    [
        {"duration_s": 0},
        {"fps": 0},
        {"status": "deleted"},  # without deleted_at
        {"deleted_at": timezone.now()},  # stored, yet with deleted_at
    ],
)
def test_recording_checks(recording, update):
    with pytest.raises(IntegrityError), transaction.atomic():
        Recording.objects.filter(pk=recording.pk).update(**update)


def test_upload_cannot_receive_more_than_its_size(world, recording):
    upload = ChunkedUpload.objects.create(
        session=recording.session,
        uploaded_by=world.uploader,
        original_filename="a.mp4",
        total_size_bytes=10,
        expected_sha256="0" * 64,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ChunkedUpload.objects.filter(pk=upload.pk).update(received_bytes=11)


def test_job_checks(recording):
    job = AnalysisJob.objects.create(recording=recording, pipeline_version="1")
    with pytest.raises(IntegrityError), transaction.atomic():
        AnalysisJob.objects.filter(pk=job.pk).update(progress=101)
    with pytest.raises(IntegrityError), transaction.atomic():
        AnalysisJob.objects.create(recording=recording, pipeline_version="1", status="running")
    AnalysisJob.objects.create(recording=recording, pipeline_version="2")  # another pipeline version may run


def test_metric_and_event_checks(recording):
    job = add_derived_results(recording)
    sample, event = MetricSample.objects.get(job=job), BehaviourEvent.objects.get(job=job)
    for update in ({"window_start_s": -1}, {"window_end_s": -0.5, "window_start_s": 0}):
        with pytest.raises(IntegrityError), transaction.atomic():
            MetricSample.objects.filter(pk=sample.pk).update(**update)
    for update in ({"end_s": 0.1}, {"start_s": -1}, {"confidence": 1.5}, {"confidence": -0.1}):
        with pytest.raises(IntegrityError), transaction.atomic():
            BehaviourEvent.objects.filter(pk=event.pk).update(**update)


def test_review_checks(world, recording):
    event = BehaviourEvent.objects.get(job=add_derived_results(recording))
    with pytest.raises(IntegrityError), transaction.atomic():
        EventReview.objects.create(
            event=event, reviewer=world.clinician, decision="correct"
        )  # corrected nothing
    with pytest.raises(IntegrityError), transaction.atomic():
        EventReview.objects.create(
            event=event, reviewer=world.clinician, decision="correct", corrected_start_s=5, corrected_end_s=4
        )
    EventReview.objects.create(
        event=event, reviewer=world.clinician, decision="correct", corrected_kind="hand_flapping"
    )

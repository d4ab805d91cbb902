"""Consent rules, enforced by the services: what each scope allows, and what withdrawing it does."""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.errors import ApplicationError
from audit.models import AccessEvent
from care.withdrawal import consent_withdraw
from patients.models import Consent, ConsentScope
from patients.selectors import consent_active_scopes
from patients.services import consent_record
from recordings.models import Recording
from results.jobs import analysis_job_create
from results.models import AnalysisJob, BehaviourEvent, EventReview, MetricSample
from tests.factories import make_patient, make_session
from tests.platform.helpers import add_derived_results


@pytest.fixture
def session(world):
    return make_session(world.patient, by=world.clinician)


def test_it_refuses_an_upload_without_store_video_consent(world, session, store_recording, media_storage):
    consent_withdraw(patient=world.patient, scope=ConsentScope.STORE_VIDEO, by=world.clinician)
    with pytest.raises(ApplicationError, match="not consented to storing video"):
        store_recording(session, world.uploader)
    assert not Recording.objects.exists()
    assert not list(media_storage.rglob("*.video"))


def test_it_refuses_analysis_without_analyse_consent(world, session, store_recording):
    recording = store_recording(session, world.uploader)
    consent_withdraw(patient=world.patient, scope=ConsentScope.ANALYSE, by=world.clinician)
    with pytest.raises(ApplicationError, match="has not consented to analysis"):
        analysis_job_create(recording=recording, requested_by=world.clinician)
    assert not AnalysisJob.objects.exists()


def test_withdrawing_analyse_cancels_queued_and_running_jobs(world, session, store_recording):
    recording = store_recording(session, world.uploader)
    queued = analysis_job_create(recording=recording, requested_by=world.clinician)
    running = AnalysisJob.objects.create(
        recording=recording, status=AnalysisJob.Status.RUNNING, pipeline_version="0.9"
    )
    finished = add_derived_results(recording)

    consent_withdraw(
        patient=world.patient, scope=ConsentScope.ANALYSE, by=world.clinician, note="asked by family"
    )

    statuses = {job.pk: job.status for job in AnalysisJob.objects.all()}
    # Running jobs are marked cancelled; the worker sees it at its next batch and stops.
    assert statuses == {
        queued.pk: AnalysisJob.Status.CANCELLED,
        running.pk: AnalysisJob.Status.CANCELLED,
        finished.pk: AnalysisJob.Status.SUCCEEDED,
    }
    assert "withdrew consent to analysis" in AnalysisJob.objects.get(pk=queued.pk).error


def test_withdrawing_store_video_deletes_the_stored_files_with_an_audited_delete_each(
    world, session, store_recording, small_video, tmp_path
):
    first = store_recording(session, world.uploader)
    other = tmp_path / "other.mp4"
    other.write_bytes(small_video.read_bytes() + b"\0")  # same video, different sha256
    second = store_recording(session, world.uploader, other)
    names = [first.file.name, second.file.name]
    assert all(default_storage.exists(name) for name in names)

    consent_withdraw(patient=world.patient, scope=ConsentScope.STORE_VIDEO, by=world.clinician)

    assert not any(default_storage.exists(name) for name in names)
    for recording in Recording.objects.all():
        assert recording.status == Recording.Status.DELETED
        assert recording.deleted_at is not None
        assert not recording.file
    deletions = AccessEvent.objects.filter(action=AccessEvent.Action.DELETE, object_type="recording")
    assert sorted(event.details["file"] for event in deletions) == sorted(names)
    assert {event.user for event in deletions} == {world.clinician}


def test_order_store_video_then_analyse_keeps_metrics_until_analyse_goes(world, session, store_recording):
    recording = store_recording(session, world.uploader)
    job = add_derived_results(recording)
    EventReview.objects.create(event=job.events.get(), reviewer=world.clinician, decision="confirm")

    consent_withdraw(patient=world.patient, scope=ConsentScope.STORE_VIDEO, by=world.clinician)
    assert MetricSample.objects.filter(patient=world.patient).count() == 1
    assert BehaviourEvent.objects.filter(patient=world.patient).count() == 1

    consent_withdraw(patient=world.patient, scope=ConsentScope.ANALYSE, by=world.clinician)
    assert not MetricSample.objects.filter(patient=world.patient).exists()
    assert not BehaviourEvent.objects.filter(patient=world.patient).exists()
    assert not EventReview.objects.exists()
    audit = AccessEvent.objects.get(action=AccessEvent.Action.DELETE, object_type="derived_results")
    assert audit.patient_code == world.patient.code
    assert audit.details["metric_samples"] == 1
    assert audit.details["behaviour_events"] == 1


def test_order_analyse_then_store_video_deletes_metrics_with_the_videos(world, session, store_recording):
    recording = store_recording(session, world.uploader)
    add_derived_results(recording)
    queued = analysis_job_create(recording=recording, requested_by=world.clinician)

    consent_withdraw(patient=world.patient, scope=ConsentScope.ANALYSE, by=world.clinician)
    assert AnalysisJob.objects.get(pk=queued.pk).status == AnalysisJob.Status.CANCELLED
    # The videos are still consented to: the results derived from them stay for now.
    assert MetricSample.objects.filter(patient=world.patient).count() == 1

    consent_withdraw(patient=world.patient, scope=ConsentScope.STORE_VIDEO, by=world.clinician)
    assert Recording.objects.get(pk=recording.pk).status == Recording.Status.DELETED
    assert not MetricSample.objects.filter(patient=world.patient).exists()
    assert not BehaviourEvent.objects.filter(patient=world.patient).exists()
    assert (
        AccessEvent.objects.filter(action=AccessEvent.Action.DELETE, object_type="derived_results").count()
        == 1
    )


def test_withdrawal_touches_no_other_patient(world, session, store_recording):
    other_session = make_session(world.other_patient, by=world.outsider)
    other_recording = store_recording(other_session, world.outsider)
    add_derived_results(other_recording)
    consent_withdraw(patient=world.patient, scope=ConsentScope.STORE_VIDEO, by=world.clinician)
    consent_withdraw(patient=world.patient, scope=ConsentScope.ANALYSE, by=world.clinician)
    assert Recording.objects.get(pk=other_recording.pk).status == Recording.Status.STORED
    assert MetricSample.objects.filter(patient=world.other_patient).count() == 1


def test_consent_is_append_only_and_versioned(world):
    patient = make_patient(world.memory_clinic, name="New Person", hospital_number="H-0100", scopes=())
    consent_record(
        patient=patient, scopes=[ConsentScope.STORE_VIDEO, ConsentScope.ANALYSE], by=world.uploader
    )
    consent_withdraw(patient=patient, scope=ConsentScope.ANALYSE, by=world.uploader, note="changed mind")
    consent_record(patient=patient, scopes=[ConsentScope.ANALYSE], by=world.clinician, note="agreed again")

    rows = list(
        Consent.objects.filter(patient=patient)
        .order_by("version")
        .values_list("version", "scope", "withdrawn_at")
    )
    assert [(version, scope) for version, scope, _ in rows] == [
        (1, "store_video"),
        (2, "analyse"),
        (3, "analyse"),
    ]
    assert rows[1][2] is not None and rows[2][2] is None
    assert consent_active_scopes(patient=patient) == {"store_video", "analyse"}


def test_it_refuses_to_grant_an_active_scope_twice_and_records_nothing(world):
    before = Consent.objects.filter(patient=world.patient).count()
    with pytest.raises(ApplicationError, match="already consents"):
        consent_record(patient=world.patient, scopes=[ConsentScope.ANALYSE], by=world.clinician)
    assert Consent.objects.filter(patient=world.patient).count() == before


def test_it_refuses_to_withdraw_a_scope_that_is_not_active(world):
    consent_withdraw(patient=world.patient, scope=ConsentScope.MODEL_TRAINING, by=world.clinician)
    with pytest.raises(ApplicationError, match="no active consent"):
        consent_withdraw(patient=world.patient, scope=ConsentScope.MODEL_TRAINING, by=world.clinician)


def test_one_signed_document_is_shared_by_the_rows_of_one_grant(world):
    patient = make_patient(world.memory_clinic, name="Doc Person", hospital_number="H-0101", scopes=())
    document = SimpleUploadedFile("signed.pdf", b"%PDF-1.4 signed", content_type="application/pdf")
    rows = consent_record(
        patient=patient,
        scopes=[ConsentScope.STORE_VIDEO, ConsentScope.ANALYSE],
        by=world.uploader,
        document=document,
    )
    assert rows[0].document.name == rows[1].document.name
    assert default_storage.open(rows[0].document.name).read() == b"%PDF-1.4 signed"

"""Erasure on request: a clinician asks, an administrator confirms, and nothing of the patient is
left in the database or the storage; the audit keeps the fact under the pseudonym only, and the
members of studies that exported the patient are listed."""

from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from rest_framework.test import APIClient

from audit.models import AccessEvent
from care.withdrawal import consent_withdraw
from frontend.review.overlay import overlay_storage_name
from patients.models import ConsentScope, ErasureRequest, Patient
from patients.services import consent_record
from results.models import (
    AnalysisJob,
    BehaviourEvent,
    EyeContactEpisode,
    GestureReference,
    MetricSample,
    SpeechSegment,
)
from results.reviews import event_review_create
from tests.factories import make_session


@pytest.fixture
def patient_with_everything(world, store_recording, api_statistician_export):
    """The memory-clinic patient with a session and notes, a stored video, a finished analysis
    with tracks, an overlay cache, metrics, a speech segment, an eye-contact episode, an event with a review, a gesture reference, a signed
    consent document, and one study export that held them."""
    patient = world.patient
    session = make_session(patient, by=world.clinician)
    session.notes = "Visit with her son Pierre"
    session.save()
    recording = store_recording(session, world.uploader)
    job = AnalysisJob.objects.create(
        recording=recording, status=AnalysisJob.Status.SUCCEEDED, pipeline_version="1.0.0", progress=100
    )
    job.tracks_file.name = default_storage.save(f"tracks/{job.pk}.parquet", ContentFile(b"PAR1 tracks"))
    job.save()
    default_storage.save(overlay_storage_name(job), ContentFile(b'{"pose": [[1, 2]]}'))
    common = {"job": job, "patient": patient, "session": session, "pipeline_version": "1.0.0"}
    MetricSample.objects.create(
        **common,
        session_date=session.session_date,
        metric="apathy.neutral_share",
        value=0.4,
        unit="share",
        window_start_s=0.0,
        window_end_s=2.0,
    )
    event = BehaviourEvent.objects.create(
        **common, kind="body_rocking", body_part="torso", start_s=0.0, end_s=1.0, confidence=0.9
    )
    SpeechSegment.objects.create(
        job=job,
        patient=patient,
        session=session,
        start_s=0.5,
        end_s=1.5,
        speaker="patient",
        confidence=0.7,
        speech_probability=0.9,
    )
    EyeContactEpisode.objects.create(
        job=job, patient=patient, session=session, kind="eye_contact", start_s=0.5, end_s=1.0
    )
    event_review_create(
        event=event, reviewer=world.clinician, decision="confirm", note="Jeanne rocks when tired"
    )
    GestureReference.objects.create(
        protocol=session.protocol,
        gesture="wave",
        source_job=job,
        trajectory=[[0.1, 0.2]],
        created_by=world.clinician,
    )
    consent_withdraw(patient=patient, scope=ConsentScope.MODEL_TRAINING, by=world.clinician)
    consent_record(
        patient=patient,
        scopes=[ConsentScope.MODEL_TRAINING],
        by=world.clinician,
        document=ContentFile(b"%PDF signed by Jeanne Martin", name="Martin_Jeanne_H-0001.pdf"),
    )
    api_statistician_export()
    return patient


@pytest.fixture
def api_statistician_export(world):
    def _export():
        client = APIClient()
        client.force_authenticate(world.statistician)
        response = client.get(f"/api/v1/studies/{world.study.pk}/export/", {"format": "csv"})
        assert response.status_code == 200
        b"".join(response.streaming_content)

    return _export


def _rows_mentioning(needles: list[str], patient_pk: int) -> list[str]:
    """Every row of every model whose fields hold one of the needles, or that points at the
    patient's primary key through a foreign key to Patient."""
    found = []
    for model in apps.get_models():
        patient_fks = [
            field.attname
            for field in model._meta.concrete_fields
            if field.is_relation and field.related_model is Patient
        ]
        for row in model.objects.all():
            values = {field.attname: getattr(row, field.attname) for field in model._meta.concrete_fields}
            text = repr(values)
            if any(needle in text for needle in needles):
                found.append(f"{model._meta.label} {row.pk}: holds {[n for n in needles if n in text]}")
            if model is Patient and row.pk == patient_pk:
                found.append("the patient row itself")
            if any(values[name] == patient_pk for name in patient_fks):
                found.append(f"{model._meta.label} {row.pk}: points at the patient")
    return found


def _stored_files(media_root: Path) -> list[str]:
    return sorted(str(path.relative_to(media_root)) for path in media_root.rglob("*") if path.is_file())


def test_an_erasure_leaves_nothing_of_the_patient_in_database_or_storage(
    world, login, patient_with_everything, media_storage, django_capture_on_commit_callbacks
):
    patient = patient_with_everything
    identity = patient.identity
    code, pk = patient.code, patient.pk
    needles = [identity.full_name, identity.hospital_number, "Pierre", "Jeanne", "Martin_Jeanne"]
    assert _rows_mentioning(needles, pk), "the walk finds the patient before the erasure"
    before = _stored_files(media_storage)
    assert len(before) == 4  # video, tracks, overlay, signed consent document

    response = login(world.clinician).post(reverse("erasure_request", args=[code]))
    assert response.status_code == 302
    erasure = ErasureRequest.objects.get(pseudonym=code)
    assert login(world.clinician).post(reverse("erasure_confirm", args=[erasure.pk])).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = login(world.admin).post(reverse("erasure_confirm", args=[erasure.pk]))
    assert response.status_code == 302

    assert _rows_mentioning(needles, pk) == []
    assert _stored_files(media_storage) == []
    erasure.refresh_from_db()
    assert erasure.status == ErasureRequest.Status.ERASED and erasure.patient is None
    assert erasure.study_members == [{"study": "apathy-2026", "members": ["statistician"]}]
    record = AccessEvent.objects.get(object_type="patient_erasure")
    assert record.patient_code == code and record.details["pseudonym"] == code  # the pseudonym only
    assert record.username == "admin" and record.details["requested_by"] == "clinician"
    listing = login(world.admin).get(reverse("erasure_list")).content.decode()
    assert code in listing and "statistician" in listing and identity.full_name not in listing


def test_only_the_care_team_asks_and_only_another_person_confirms(world, login):
    code = world.patient.code
    for persona in ("outsider", "statistician", "admin"):
        answer = login(getattr(world, persona)).post(reverse("erasure_request", args=[code]))
        assert answer.status_code == 404, persona
    assert not ErasureRequest.objects.exists()
    uploader = login(world.uploader).post(reverse("erasure_request", args=[code]))
    assert uploader.status_code == 404  # hospital staff record consent but do not ask for erasure
    login(world.clinician).post(reverse("erasure_request", args=[code]))
    erasure = ErasureRequest.objects.get()
    world.clinician.groups.add(world.admin.groups.get())  # a clinician who is also an administrator
    answer = login(world.clinician).post(reverse("erasure_confirm", args=[erasure.pk]), follow=True)
    assert "an administrator other than the person who asked for it" in answer.content.decode()
    erasure.refresh_from_db()
    assert erasure.status == ErasureRequest.Status.REQUESTED
    assert Patient.objects.filter(code=code).exists()

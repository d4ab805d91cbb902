"""Erasure on request (the right to be forgotten), in two steps by two people.

A clinician of the patient's care team asks (erasure_request); an administrator who is not that
clinician confirms (erasure_confirm). Confirming deletes, in one transaction, the patient's
identity and its corrections, consents and their signed documents, sessions, recordings and
videos, uploads, analysis jobs with every file derived from them (tracks, overlay caches),
metric samples, behaviour events, reviews, task segments, gesture references made from their
videos, study enrolments, and finally the patient. What stays: the ErasureRequest row and one audit row, both
naming the patient by pseudonym only, and the list of members of studies whose past exports
held the patient, who must delete their copies.
"""

from __future__ import annotations

from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from accounts.errors import ApplicationError
from accounts.models import Study
from accounts.permissions import can_confirm_erasure
from audit.models import AccessEvent
from audit.services import access_record
from patients.models import Consent, ErasureRequest, Patient, PatientIdentity, StudyEnrolment
from recordings.models import ChunkedUpload, ClinicalSession, Recording
from recordings.uploads import upload_temp_path
from results.artefacts import job_artefact_names
from results.models import (
    AnalysisJob,
    BehaviourEvent,
    EventReview,
    EyeContactEpisode,
    GestureReference,
    MetricSample,
    SpeechSegment,
    TaskSegment,
)


@transaction.atomic
def erasure_request(*, patient: Patient, by: Any) -> ErasureRequest:
    """Ask for the patient's erasure. The caller has checked Action.REQUEST_ERASURE."""
    if ErasureRequest.objects.filter(patient=patient, status=ErasureRequest.Status.REQUESTED).exists():
        raise ApplicationError(
            f"The erasure of {patient.code} has already been requested; an administrator must confirm it."
        )
    erasure = ErasureRequest(patient=patient, pseudonym=patient.code, requested_by=by)
    erasure.full_clean()
    erasure.save()
    access_record(
        user=by,
        action=AccessEvent.Action.CREATE,
        object_type="erasure_request",
        object_id=erasure.pk,
        patient=patient,
    )
    return erasure


def _study_members_of_past_exports(patient: Patient) -> list[dict[str, Any]]:
    """Per study whose exports held the patient (audit rows "study_export"), its members."""
    study_ids = set(
        AccessEvent.objects.filter(patient_code=patient.code, object_type="study_export").values_list(
            "object_id", flat=True
        )
    )
    studies = Study.objects.filter(pk__in=[int(pk) for pk in study_ids if pk.isdigit()]).prefetch_related(
        "members"
    )
    return [
        {"study": study.code, "members": sorted(member.get_username() for member in study.members.all())}
        for study in studies.order_by("code")
    ]


def _stored_files(patient: Patient) -> list[str]:
    """Every file in storage that belongs to the patient: videos, derived files, consent documents."""
    videos = [
        name
        for name in Recording.objects.filter(session__patient=patient).values_list("file", flat=True)
        if name
    ]
    derived = job_artefact_names(AnalysisJob.objects.filter(recording__session__patient=patient))
    documents = {
        name for name in Consent.objects.filter(patient=patient).values_list("document", flat=True) if name
    }
    return sorted({*videos, *derived, *documents})


def _patient_rows_delete(patient: Patient) -> dict[str, int]:
    """Delete every row of the patient, leaves first (most links are PROTECT on purpose)."""
    jobs = AnalysisJob.objects.filter(recording__session__patient=patient)
    uploads = ChunkedUpload.objects.filter(session__patient=patient)
    for upload in uploads:
        upload_temp_path(upload).unlink(missing_ok=True)
    steps = (
        ("event_reviews", EventReview.objects.filter(event__patient=patient)),
        ("gesture_references", GestureReference.objects.filter(source_job__in=jobs)),
        ("behaviour_events", BehaviourEvent.objects.filter(patient=patient)),
        ("metric_samples", MetricSample.objects.filter(patient=patient)),
        ("speech_segments", SpeechSegment.objects.filter(patient=patient)),
        ("eye_contact_episodes", EyeContactEpisode.objects.filter(patient=patient)),
        ("task_segments", TaskSegment.objects.filter(session__patient=patient)),
        ("uploads", uploads),
        ("analysis_jobs", jobs),
        ("recordings", Recording.objects.filter(session__patient=patient)),
        ("sessions", ClinicalSession.objects.filter(patient=patient)),
        ("consents", Consent.objects.filter(patient=patient)),
        ("study_enrolments", StudyEnrolment.objects.filter(patient=patient)),
        ("identity", PatientIdentity.objects.filter(patient=patient)),
    )
    counts = {}
    for name, rows in steps:
        counts[name] = rows.count()
        rows.delete()
    return counts


@transaction.atomic
def erasure_confirm(*, erasure: ErasureRequest, by: Any) -> ErasureRequest:
    """Erase the patient of a pending request (see the module docstring). Files are deleted once
    the database transaction has committed, so a failure leaves the patient whole."""
    erasure = ErasureRequest.objects.select_for_update().get(pk=erasure.pk)
    if erasure.status != ErasureRequest.Status.REQUESTED or erasure.patient_id is None:
        raise ApplicationError(f"The erasure of {erasure.pseudonym} has already been carried out.")
    if not can_confirm_erasure(by, erasure):
        raise ApplicationError(
            "An erasure is confirmed by an administrator other than the person who asked for it."
        )
    patient = Patient.objects.select_for_update().get(pk=erasure.patient_id)
    study_members = _study_members_of_past_exports(patient)
    files = _stored_files(patient)
    counts = _patient_rows_delete(patient)
    erasure.patient = None
    erasure.status = ErasureRequest.Status.ERASED
    erasure.confirmed_by = by
    erasure.confirmed_at = timezone.now()
    erasure.study_members = study_members
    erasure.full_clean()
    erasure.save()
    patient.delete()
    access_record(
        user=by,
        action=AccessEvent.Action.DELETE,
        object_type="patient_erasure",
        object_id=erasure.pk,
        patient=erasure.pseudonym,  # the pseudonym only: the patient row is gone
        details={
            "pseudonym": erasure.pseudonym,
            "requested_by": erasure.requested_by.get_username(),
            "rows": counts,
            "files": len(files),
            "studies_to_notify": [entry["study"] for entry in study_members],
        },
    )
    transaction.on_commit(lambda: _files_delete(files))
    return erasure


def _files_delete(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)

"""A consent withdrawal taking effect across the patient's recordings and results.

Withdrawing a scope takes effect in the withdrawal's own transaction:

- analyse: queued analysis jobs are cancelled (running ones stop at their next batch, because
  the workers re-read the job status);
  The task model's proposed task segments go with it (clinicians' marked tasks stay);
- store_video: the stored videos are deleted through the storage API (one audited DELETE per
  file);
- derived metrics and events are kept only while analyse remains. Whichever of the two scopes
  is withdrawn last (so that neither store_video nor analyse is active), the patient's metric
  samples and behaviour events are deleted, audited.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.models import AccessEvent
from audit.services import access_record
from patients.models import Consent, ConsentScope, Patient
from patients.selectors import consent_active_scopes
from patients.services import consent_withdrawal_record
from recordings.models import ClinicalSession, Recording
from results.artefacts import job_artefacts_delete
from results.jobs import analysis_jobs_cancel_for_patient, analysis_jobs_cancel_for_recording
from results.models import (
    AnalysisJob,
    BehaviourEvent,
    CodedEvent,
    EventReview,
    EyeContactEpisode,
    MetricSample,
    SpeechSegment,
    TaskSegment,
)
from results.task_metric_samples import session_task_metrics_refresh


@transaction.atomic
def consent_withdraw(*, patient: Patient, scope: str, by: Any, note: str = "") -> Consent:
    """Withdraw one active scope and apply its consequences (see the module docstring)."""
    consent = consent_withdrawal_record(patient=patient, scope=scope, by=by, note=note)
    if scope == ConsentScope.ANALYSE:
        analysis_jobs_cancel_for_patient(patient=patient, reason="The patient withdrew consent to analysis.")
        automatic_task_segments_delete(patient=patient, by=by)
    if scope == ConsentScope.STORE_VIDEO:
        stored = Recording.objects.filter(session__patient=patient, status=Recording.Status.STORED)
        for recording in stored:
            recording_delete_video(
                recording=recording, by=by, reason="The patient withdrew consent to store video."
            )
    remaining = consent_active_scopes(patient=patient)
    if scope in (ConsentScope.ANALYSE, ConsentScope.STORE_VIDEO) and not (
        {ConsentScope.ANALYSE, ConsentScope.STORE_VIDEO} & remaining
    ):
        derived_results_delete(patient=patient, by=by, reason=f"Consent withdrawn: {scope}.")
    return consent


@transaction.atomic
def automatic_task_segments_delete(*, patient: Patient, by: Any) -> int:
    """Delete the task segments the task model proposed for the patient's sessions (an analysis
    result); segments clinicians marked or accepted stay. One audited DELETE."""
    proposed = TaskSegment.objects.filter(session__patient=patient, source=TaskSegment.Source.AUTOMATIC)
    sessions = list(ClinicalSession.objects.filter(pk__in=proposed.values("session_id")))
    n_segments, _ = proposed.delete()
    for session in sessions:
        session_task_metrics_refresh(session=session)
    access_record(
        user=by,
        action=AccessEvent.Action.DELETE,
        object_type="task_segments_proposed",
        object_id=patient.pk,
        patient=patient,
        details={"task_segments": n_segments, "reason": "Consent withdrawn: analyse."},
    )
    return n_segments


@transaction.atomic
def recording_delete_video(*, recording: Recording, by: Any, reason: str) -> Recording:
    """Delete a recording's stored video and every file derived from it (tracks, overlay caches:
    results.artefacts, all keyed by the recording's jobs).

    The Recording row stays, marked deleted, so sessions keep their history; its active
    analysis jobs are cancelled. Each deleted file is one audited DELETE event.
    """
    recording = Recording.objects.select_for_update().get(pk=recording.pk)
    if recording.status == Recording.Status.DELETED:
        return recording
    patient = recording.session.patient
    analysis_jobs_cancel_for_recording(recording=recording, reason=reason)
    deleted_files: list[tuple[str, str]] = []
    if recording.file:
        deleted_files.append(("recording", recording.file.name))
        recording.file.delete(save=False)
    for name in job_artefacts_delete(AnalysisJob.objects.filter(recording=recording)):
        deleted_files.append(("derived_file", name))
    recording.file = ""
    recording.status = Recording.Status.DELETED
    recording.deleted_at = timezone.now()
    recording.full_clean(validate_constraints=False)
    recording.save(update_fields=["file", "status", "deleted_at"])
    for kind, name in deleted_files:
        access_record(
            user=by,
            action=AccessEvent.Action.DELETE,
            object_type=kind,
            object_id=recording.pk,
            patient=patient,
            details={"file": name, "reason": reason},
        )
    return recording


@transaction.atomic
def derived_results_delete(*, patient: Patient, by: Any, reason: str) -> dict[str, int]:
    """Delete the patient's metric samples, behaviour events, speech segments, eye-contact
    episodes, the clinicians' reviews of those
    events and the events they coded (reviews are protected from any other deletion, so they
    are removed here explicitly and counted in the audit) and every stored file derived from
    their analysis jobs (tracks, overlay caches), whatever the order in which consent was
    withdrawn."""
    n_samples, _ = MetricSample.objects.filter(patient=patient).delete()
    n_reviews, _ = EventReview.objects.filter(event__patient=patient).delete()
    n_coded, _ = CodedEvent.objects.filter(session__patient=patient).delete()
    n_tasks, _ = TaskSegment.objects.filter(session__patient=patient).delete()
    n_speech, _ = SpeechSegment.objects.filter(patient=patient).delete()
    n_contact, _ = EyeContactEpisode.objects.filter(patient=patient).delete()
    events = BehaviourEvent.objects.filter(patient=patient)
    n_events = events.count()
    events.delete()
    deleted_files = job_artefacts_delete(AnalysisJob.objects.filter(recording__session__patient=patient))
    counts = {
        "metric_samples": n_samples,
        "behaviour_events": n_events,
        "event_reviews": n_reviews,
        "derived_files": len(deleted_files),
        "coded_events": n_coded,
        "task_segments": n_tasks,
        "speech_segments": n_speech,
        "eye_contact_episodes": n_contact,
    }
    access_record(
        user=by,
        action=AccessEvent.Action.DELETE,
        object_type="derived_results",
        object_id=patient.pk,
        patient=patient,
        details={**counts, "files": deleted_files, "reason": reason},
    )
    return counts

"""Reference gestures of praxis protocols: marked by a clinician on an analysed recording, read by
the praxis analysis.

A praxis protocol lists its expected gestures (Protocol.expected_gestures); each gets one
reference performance: the normalised arm and hand keypoints (shoulder widths,
analysis.gestures.normalise) of a segment a clinician marks on a recording whose analysis stored
its tracks. Every performed gesture of later sessions is scored against these references by DTW
(analysis.metrics.praxis.compute_praxis), so the workers call praxis_inputs_for(recording)
before the analysis.

The segment comes from a person's recording and is used to score other patients, so the source
patient's current consent must include model_training, and the clinician must be allowed to see
that patient's video (accounts.permissions VIEW_VIDEO).
"""

from __future__ import annotations

import logging
import tempfile
from typing import Any

import numpy as np
from django.core.files.storage import default_storage
from django.db import transaction

from accounts.errors import ApplicationError
from accounts.permissions import Action, require
from analysis.gestures.scoring import reference_from_tracks
from analysis.tracks import read_parquet
from audit.models import AccessEvent
from audit.services import access_record
from patients.models import ConsentScope
from patients.selectors import consent_active_scopes
from recordings.models import Protocol, Recording
from results.models import AnalysisJob, GestureReference

logger = logging.getLogger(__name__)


def tracks_for_job(*, job: AnalysisJob):
    """The analysis.tracks.Tracks a finished job stored, read through Django's storage.

    The Parquet file is copied to a temporary file first (storage may be S3). Raises
    ApplicationError when the job stored no tracks or the file is gone.
    """
    name = job.tracks_file.name if job.tracks_file else ""
    if not name or not default_storage.exists(name):
        raise ApplicationError(
            f"Analysis {job.pk} has no stored tracks ({name or 'none recorded'}); analyse the recording "
            "again to get them.",
            extra={"job_id": job.pk},
        )
    with tempfile.NamedTemporaryFile(suffix=".parquet") as local:
        with default_storage.open(name, "rb") as source:
            for chunk in iter(lambda: source.read(1024 * 1024), b""):
                local.write(chunk)
        local.flush()
        return read_parquet(local.name)


@transaction.atomic
def gesture_reference_create(
    *,
    protocol: Protocol,
    gesture: str,
    job: AnalysisJob,
    start_s: float,
    end_s: float,
    by: Any,
    request: Any = None,
) -> GestureReference:
    """Mark [start_s, end_s] of an analysed recording as the protocol's reference for gesture.

    A protocol has one reference per gesture: a new one replaces the old (clinicians re-mark a
    better performance). The gesture must be one of the protocol's expected gestures when the
    protocol lists any. Raises PatientRefused (a 404) unless `by` may see the recording's video, and
    ApplicationError (a sentence for the person) for everything else.
    """
    gesture = gesture.strip()
    patient = job.recording.session.patient
    require(by, Action.VIEW_VIDEO, patient)
    if not gesture:
        raise ApplicationError("Name the gesture this segment shows.", extra={"field": "gesture"})
    if protocol.expected_gestures and gesture not in protocol.expected_gestures:
        raise ApplicationError(
            f"Protocol {protocol.code} does not expect a gesture {gesture!r}; it expects "
            f"{', '.join(protocol.expected_gestures)}. Add the gesture to the protocol first.",
            extra={"field": "gesture"},
        )
    if job.status != AnalysisJob.Status.SUCCEEDED:
        raise ApplicationError(
            f"Analysis {job.pk} is {job.get_status_display()}; mark references on a finished analysis.",
            extra={"job_id": job.pk},
        )
    if ConsentScope.MODEL_TRAINING not in consent_active_scopes(patient=patient):
        raise ApplicationError(
            f"Patient {patient.code} has not consented to model training, so their recording cannot "
            "serve as a reference for other patients. Record that consent or use another recording.",
            extra={"missing_scope": ConsentScope.MODEL_TRAINING},
        )
    try:
        trajectory = reference_from_tracks(tracks_for_job(job=job), float(start_s), float(end_s))
    except ValueError as error:
        raise ApplicationError(
            f"This segment cannot be a reference: {error}", extra={"field": "start_s"}
        ) from error
    GestureReference.objects.filter(protocol=protocol, gesture=gesture).delete()
    reference = GestureReference(
        protocol=protocol,
        gesture=gesture,
        source_job=job,
        start_s=float(start_s),
        end_s=float(end_s),
        trajectory=_json_trajectory(trajectory),
        created_by=by,
    )
    reference.full_clean()
    reference.save()
    access_record(
        user=by,
        action=AccessEvent.Action.CREATE,
        object_type="gesture_reference",
        object_id=reference.pk,
        patient=patient,
        details={
            "protocol": protocol.code,
            "gesture": gesture,
            "job_id": job.pk,
            "start_s": start_s,
            "end_s": end_s,
        },
        request=request,
    )
    return reference


def _json_trajectory(trajectory: np.ndarray) -> list[list[list[float | None]]]:
    """(n_frames, N_GESTURE_KEYPOINTS, 2) float array as nested lists, NaN as null (JSON has no NaN)."""
    return [
        [[float(c) if np.isfinite(c) else None for c in point] for point in frame]
        for frame in np.asarray(trajectory, dtype=np.float64)
    ]


def reference_array(reference: GestureReference) -> np.ndarray:
    """A stored reference as float32 of shape (n_frames, N_GESTURE_KEYPOINTS, 2), NaN where missing."""
    return np.array(
        [[[np.nan if c is None else c for c in point] for point in frame] for frame in reference.trajectory],
        dtype=np.float32,
    )


def references_for(protocol: Protocol) -> dict[str, np.ndarray]:
    """The protocol's reference performances: gesture name -> array (n_frames, N_GESTURE_KEYPOINTS, 2)."""
    return {
        reference.gesture: reference_array(reference)
        for reference in GestureReference.objects.filter(protocol=protocol).order_by("gesture")
    }


def praxis_inputs_for(recording: Recording) -> dict[str, Any]:
    """What compute_praxis needs for a recording: `compute_praxis(tracks, **praxis_inputs_for(r))`.

    Returns {"references": dict name -> array or None, "expected_gestures": list of names or None}.
    For a praxis protocol, the expected gestures are those of the protocol that have a reference
    (each expected gesture without one is logged: it cannot be scored, and compute_praxis would
    refuse it); a protocol that lists none uses every reference it has. With no references at
    all (or a protocol of another kind) both are None: gestures are found and timed, not scored.
    """
    protocol = recording.session.protocol
    if protocol.kind != Protocol.Kind.PRAXIS_TEST:
        return {"references": None, "expected_gestures": None}
    references = references_for(protocol)
    if not references:
        logger.warning(
            "praxis protocol %s has no reference gestures; gestures will not be scored", protocol.code
        )
        return {"references": None, "expected_gestures": None}
    expected = list(protocol.expected_gestures or [])
    missing = [name for name in expected if name not in references]
    if missing:
        logger.warning(
            "praxis protocol %s has no reference for %s; those gestures will not be scored",
            protocol.code,
            ", ".join(missing),
        )
    if not expected:
        return {"references": references, "expected_gestures": None}
    scored = [name for name in expected if name in references]
    if not scored:
        return {"references": None, "expected_gestures": None}
    return {"references": references, "expected_gestures": scored}

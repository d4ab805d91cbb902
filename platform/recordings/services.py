"""Writes about clinical sessions and their recordings.

A recording enters the system only through recording_create_from_file: consent to store video
is checked, the file is probed by decoding it (never trusted by its name), and it is saved
under a key the server chooses. Helper code that receives uploads (frontend/upload, the API)
calls it once a file is complete on local disk.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.errors import ApplicationError
from accounts.roles import Role
from analysis.errors import VideoError
from analysis.video import probe
from audit.models import AccessEvent
from audit.services import access_record
from patients.models import ConsentScope, Patient
from patients.selectors import consent_active_scopes
from recordings.models import ClinicalSession, Protocol, Recording


@transaction.atomic
def session_create(
    *,
    patient: Patient,
    protocol: Protocol,
    session_date: date,
    clinician: Any = None,
    notes: str = "",
    by: Any,
    request: HttpRequest | None = None,
) -> ClinicalSession:
    """Register a visit. The caller has checked Action.REGISTER_SESSION on the patient.

    The clinician, when given, must be a clinician of the patient's care team. The one audit row
    of the creation is written here; request, when given, adds its address and API token.
    """
    session_clinician_check(clinician=clinician, patient=patient)
    session = ClinicalSession(
        patient=patient,
        protocol=protocol,
        session_date=session_date,
        clinician=clinician,
        notes=notes,
        created_by=by,
    )
    session.full_clean()
    session.save()
    access_record(
        user=by,
        action=AccessEvent.Action.CREATE,
        object_type="session",
        object_id=session.pk,
        patient=patient,
        request=request,
    )
    return session


def session_clinician_check(*, clinician: Any, patient: Patient) -> None:
    """Refuse a clinician who is not a clinician of the patient's care team."""
    if clinician is not None and not (
        clinician.care_teams.filter(pk=patient.care_team_id).exists()
        and clinician.groups.filter(name=Role.CLINICIAN.value).exists()
    ):
        raise ApplicationError(
            f"{clinician.get_username()} is not a clinician of {patient.code}'s care team. "
            "Choose a clinician of the team."
        )


def recording_create_from_file(
    *,
    session: ClinicalSession,
    file_path: Path,
    original_filename: str,
    sha256: str,
    uploaded_by: Any,
) -> Recording:
    """Store a complete video file as a Recording of the session and return it.

    Needs the patient's current store_video consent. The file is probed (decoded) first: a file
    that is not a decodable video raises ApplicationError with the probe's message and nothing
    is stored. The same file (sha256) already stored for this session returns that recording;
    two concurrent uploads of one file are settled by the database's unique constraint, and
    the loser's stored copy is deleted. The caller keeps ownership of file_path.
    """
    patient = session.patient
    if ConsentScope.STORE_VIDEO not in consent_active_scopes(patient=patient):
        raise ApplicationError(
            f"Patient {patient.code} has not consented to storing video, so the recording was not stored. "
            "Record the store-video consent first.",
            extra={"missing_scope": ConsentScope.STORE_VIDEO},
        )
    existing = _stored_recording(session=session, sha256=sha256)
    if existing is not None:
        return existing
    file_path = Path(file_path)
    try:
        info = probe(file_path)
    except VideoError as error:
        raise ApplicationError(str(error), extra={"reason": type(error).__name__}) from error
    if not (
        math.isfinite(info.duration_s) and info.duration_s > 0 and math.isfinite(info.fps) and info.fps > 0
    ):
        raise ApplicationError(
            f"The video {original_filename} has no readable duration or frame rate. "
            "Export it again from the camera (MP4 or MOV) and upload the new file."
        )
    _check_limits(info, original_filename)
    recording = Recording(
        session=session,
        original_filename=original_filename[:255],
        sha256=sha256,
        size_bytes=file_path.stat().st_size,
        codec=info.codec,
        fps=info.fps,
        duration_s=info.duration_s,
        width=info.width,
        height=info.height,
        rotation_deg=info.rotation_deg,
        uploaded_by=uploaded_by,
    )
    with file_path.open("rb") as handle:
        recording.file.save("video", File(handle), save=False)
    try:
        # The partial unique constraint is left to the database, which also settles races.
        recording.full_clean(validate_constraints=False)
        with transaction.atomic():
            recording.save()
            access_record(
                user=uploaded_by,
                action=AccessEvent.Action.CREATE,
                object_type="recording",
                object_id=recording.pk,
                patient=patient,
                details={"sha256": sha256, "size_bytes": recording.size_bytes},
            )
    except IntegrityError:
        recording.file.delete(save=False)
        winner = _stored_recording(session=session, sha256=sha256)
        if winner is None:
            raise
        return winner
    except Exception:
        recording.file.delete(save=False)
        raise
    return recording


def _duration_words(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} minutes"


def _check_limits(info: Any, original_filename: str) -> None:
    """Refuse, before anything is stored or analysed, a video larger or longer than the
    platform analyses (settings.UPLOAD_MAX_LONG_SIDE_PX, UPLOAD_MAX_DURATION_S)."""
    long_side_px = max(info.width, info.height)
    if long_side_px > settings.UPLOAD_MAX_LONG_SIDE_PX:
        raise ApplicationError(
            f"The video {original_filename} is {info.width} x {info.height} pixels; the platform analyses "
            f"videos of at most {settings.UPLOAD_MAX_LONG_SIDE_PX} pixels on the long side. Export it "
            "again at a lower resolution (1920 x 1080 is plenty) and upload the new file.",
            extra={"reason": "resolution", "long_side_px": long_side_px},
        )
    if info.duration_s > settings.UPLOAD_MAX_DURATION_S:
        raise ApplicationError(
            f"The video {original_filename} lasts {_duration_words(info.duration_s)}; the platform analyses "
            f"videos of at most {_duration_words(settings.UPLOAD_MAX_DURATION_S)}. Cut it into the parts "
            "of the session and upload them one by one.",
            extra={"reason": "duration", "duration_s": info.duration_s},
        )


def recording_stored_in_session(*, session: ClinicalSession, sha256: str) -> Recording | None:
    """The stored recording of this exact file (sha256) in the session, if any."""
    return _stored_recording(session=session, sha256=sha256)


def _stored_recording(*, session: ClinicalSession, sha256: str) -> Recording | None:
    return Recording.objects.filter(session=session, sha256=sha256, status=Recording.Status.STORED).first()


@transaction.atomic
def session_gaze_calibration_set(
    *, session: ClinicalSession, start_s: float | None, end_s: float | None, by: Any, request: Any = None
) -> ClinicalSession:
    """Mark (or, with both None, clear) the seconds where the patient looks at the protocol's
    gaze target. The caller has checked Action.REVIEW_EVENTS. Gaze-on-target metrics of the
    session read "needs calibration" until it is marked."""
    if (start_s is None) != (end_s is None):
        raise ApplicationError("Give both the start and the end of the calibration, or neither.")
    if start_s is not None and end_s is not None:
        if not (math.isfinite(start_s) and math.isfinite(end_s)) or start_s < 0 or end_s <= start_s:
            raise ApplicationError("The calibration must start at 0 s or later and end after it starts.")
        if end_s - start_s < 1.0:
            raise ApplicationError("Mark at least one second where the patient looks at the target.")
    session.gaze_calibration_start_s, session.gaze_calibration_end_s = start_s, end_s
    session.full_clean()
    session.save(update_fields=["gaze_calibration_start_s", "gaze_calibration_end_s"])
    access_record(
        user=by,
        action=AccessEvent.Action.UPDATE,
        object_type="gaze_calibration",
        object_id=session.pk,
        patient=session.patient,
        details={"start_s": start_s, "end_s": end_s},
        request=request,
    )
    return session


@transaction.atomic
def recording_patient_confirm(*, recording: Recording, by: Any, request: Any = None) -> Recording:
    """A clinician confirms that the analysed person is the patient (the prompt stops)."""
    recording.patient_confirmed_by, recording.patient_confirmed_at = by, timezone.now()
    recording.save(update_fields=["patient_confirmed_by", "patient_confirmed_at"])
    access_record(
        user=by,
        action=AccessEvent.Action.UPDATE,
        object_type="patient_choice",
        object_id=recording.pk,
        patient=recording.session.patient,
        details={"confirmed": True},
        request=request,
    )
    return recording

"""Resumable, chunked uploads of session videos: the services shared by the browser upload page
and the REST API.

A client declares the file (name, size in bytes, sha256), then appends chunks, each at exactly the
byte offset the server has received so far, to a private temporary file named by the upload's
UUID in settings.UPLOAD_TMP_DIR (the client's file name never reaches a path). A dropped
connection or a page reload resumes: `upload_start` with the same file returns the open upload,
and `received_bytes` says where to continue. `upload_complete` (care.uploads) checks the sha256
of the whole file, stores it as a Recording (decoded to prove it is a video) and queues its analysis; if any
step fails the upload is marked FAILED with the reason, its temporary file is deleted and no
Recording is left behind.

Permissions are the caller's job (Action.UPLOAD on the session's patient, through
accounts.permissions). Errors a person reads are ApplicationError; `extra["code"]` names the
kind of refusal so that each caller can map it to an HTTP status:

- "too_large": the declared size or a chunk goes beyond UPLOAD_MAX_BYTES or the declared size;
- "no_consent": the patient has not consented to storing the video;
- "offset_mismatch": a chunk does not start where the server expects (`extra["expected_offset"]`);
- "not_open": the upload is complete, failed or abandoned (`extra["status"]`);
- "incomplete": complete was asked before every byte arrived (`extra["expected_offset"]`);
- "checksum_mismatch", "rejected": the assembled file was refused (the upload is now FAILED);
- "invalid": the request itself is malformed (empty chunk, bad sha256, empty file).
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import datetime
from pathlib import Path, PurePath
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.errors import ApplicationError
from patients.models import ConsentScope
from patients.selectors import consent_active_scopes
from recordings.models import ChunkedUpload, ClinicalSession, Recording

logger = logging.getLogger(__name__)

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def _megabytes(n_bytes: int) -> str:
    return f"{n_bytes / 1024**2:,.1f} MB"


def upload_temp_path(upload: ChunkedUpload) -> Path:
    """Where the upload's bytes are assembled: named by its UUID, never by the client's name."""
    return Path(settings.UPLOAD_TMP_DIR) / f"{uuid.UUID(str(upload.id)).hex}.part"


def _display_name(original_filename: str) -> str:
    """What is kept of the client's file name: "video" and its extension. People type patients'
    names and dates into file names; none of it is stored, shown or exported."""
    suffix = PurePath(re.split(r"[\\/]", original_filename.strip())[-1]).suffix.lower()
    return "video" + (suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else "")


def _check_size(total_size_bytes: int) -> None:
    limit = settings.UPLOAD_MAX_BYTES
    if total_size_bytes > limit:
        raise ApplicationError(
            f"The file is {_megabytes(total_size_bytes)}, larger than the {_megabytes(limit)} limit. "
            "Shorten or compress the video, or ask an administrator to raise the limit.",
            extra={"code": "too_large", "max_bytes": limit},
        )


def _check_consent(session: ClinicalSession) -> None:
    """Storing needs store_video and the analysis queued at the end needs analyse: both are
    checked before any byte is sent, so that nobody uploads gigabytes to be refused at the end."""
    patient = session.patient
    active = consent_active_scopes(patient=patient)
    if ConsentScope.STORE_VIDEO not in active:
        raise ApplicationError(
            f"Patient {patient.code} has not consented to storing the video, so it cannot be uploaded. "
            "Record the store_video consent first.",
            extra={"code": "no_consent", "missing_scope": ConsentScope.STORE_VIDEO},
        )
    if ConsentScope.ANALYSE not in active:
        raise ApplicationError(
            f"Patient {patient.code} has not consented to analysis, so the video cannot be uploaded for "
            "analysis. Record the analyse consent first.",
            extra={"code": "no_consent", "missing_scope": ConsentScope.ANALYSE},
        )


def _check_other_patients(session: ClinicalSession, sha256: str, confirmed: bool) -> None:
    """The same file already stored for another patient is most often the wrong patient chosen:
    ask for confirmation, saying why, before any byte is sent."""
    if confirmed:
        return
    elsewhere = (
        Recording.objects.filter(sha256=sha256, status=Recording.Status.STORED)
        .exclude(session__patient=session.patient)
        .exists()
    )
    if elsewhere:
        raise ApplicationError(
            "This exact file (the same sha256 checksum) is already stored for another patient. "
            f"Check that this visit is {session.patient.code}'s; if the same video really belongs to both, "
            "confirm and upload it again.",
            extra={"code": "confirm_other_patient"},
        )


def upload_not_open_error(upload: ChunkedUpload) -> ApplicationError:
    if upload.status == ChunkedUpload.Status.COMPLETE:
        message = "This upload is already complete; nothing more can be added to it."
    elif upload.status == ChunkedUpload.Status.FAILED:
        message = f"This upload failed: {upload.error} Start the upload again."
    else:
        message = "This upload was abandoned. Start the upload again."
    return ApplicationError(
        message, extra={"code": "not_open", "status": upload.status, "received_bytes": upload.received_bytes}
    )


@transaction.atomic
def upload_start(
    *,
    session: ClinicalSession,
    user: Any,
    original_filename: str,
    total_size_bytes: int,
    expected_sha256: str,
    confirm_other_patient: bool = False,
) -> ChunkedUpload:
    """Declare a file to upload into a session, or find the open upload of the same file.

    The same file already stored for another patient is refused unless confirm_other_patient
    (code "confirm_other_patient", with the reason); the same file already stored in this
    session is accepted and, once complete, reuses that recording and its analysis.

    Resuming after a reload is starting again: an open upload by the same user into the same
    session with the same name, size and sha256 is returned as it is, and its received_bytes
    says where to continue (the returned instance's `resumed` attribute is True then). Size and
    consent (store_video and analyse) are checked here so that a person learns before sending
    gigabytes that the file would be refused.
    """
    expected_sha256 = (expected_sha256 or "").strip().lower()
    if not _SHA256_HEX.match(expected_sha256):
        raise ApplicationError(
            "The file's sha256 must be 64 hexadecimal characters.",
            extra={"code": "invalid", "field": "sha256"},
        )
    if total_size_bytes <= 0:
        raise ApplicationError("The file is empty. Choose the video file itself.", extra={"code": "invalid"})
    _check_size(total_size_bytes)
    _check_consent(session)
    _check_other_patients(session, expected_sha256, confirm_other_patient)
    name = _display_name(original_filename)
    existing = (
        ChunkedUpload.objects.select_for_update()
        .filter(
            session=session,
            uploaded_by=user,
            original_filename=name,
            total_size_bytes=total_size_bytes,
            expected_sha256=expected_sha256,
            status=ChunkedUpload.Status.OPEN,
        )
        .order_by("-created_at")
        .first()
    )
    if existing is not None:
        if upload_temp_path(existing).exists():
            existing.resumed = True
            return existing
        upload_fail(existing, "Its temporary file is gone (the server may have cleaned it up).")
    upload = ChunkedUpload(
        session=session,
        uploaded_by=user,
        original_filename=name,
        total_size_bytes=total_size_bytes,
        expected_sha256=expected_sha256,
    )
    upload.full_clean()
    upload.save()
    path = upload_temp_path(upload)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(exist_ok=False)
    upload.resumed = False
    return upload


def _read_at(path: Path, offset: int, size: int) -> bytes:
    with path.open("rb") as handle:
        handle.seek(offset)
        return handle.read(size)


@transaction.atomic
def upload_chunk(*, upload: ChunkedUpload, offset: int, data: bytes) -> ChunkedUpload:
    """Append one chunk at byte `offset`, which must be the number of bytes received so far.

    The row is locked for the whole write, so concurrent chunks of one upload are applied one at
    a time. A chunk the server already has (a retry whose answer was lost) is acknowledged
    without writing, provided its bytes are identical; a chunk that overlaps the end of what was
    received has its new tail appended. Anything else is refused with the expected offset.
    """
    locked = ChunkedUpload.objects.select_for_update().get(pk=upload.pk)
    if locked.status != ChunkedUpload.Status.OPEN:
        raise upload_not_open_error(locked)
    if not data:
        raise ApplicationError("The chunk is empty.", extra={"code": "invalid"})
    if len(data) > settings.UPLOAD_CHUNK_BYTES:
        raise ApplicationError(
            f"A chunk may be at most {settings.UPLOAD_CHUNK_BYTES} bytes; this one is {len(data)}.",
            extra={"code": "too_large", "max_chunk_bytes": settings.UPLOAD_CHUNK_BYTES},
        )
    received = locked.received_bytes
    if offset < 0 or offset > received:
        raise ApplicationError(
            f"This chunk starts at byte {offset} but the server has received {received} bytes; "
            f"send the file from byte {received}.",
            extra={"code": "offset_mismatch", "expected_offset": received},
        )
    end = offset + len(data)
    if end > locked.total_size_bytes:
        raise ApplicationError(
            f"This chunk would make the file {end} bytes, more than the {locked.total_size_bytes} bytes "
            "declared when the upload started. Start the upload again with the right file.",
            extra={"code": "too_large", "expected_offset": received},
        )
    _check_size(end)
    path = upload_temp_path(locked)
    if not path.exists():
        upload_fail(locked, "Its temporary file is gone (the server may have cleaned it up).")
        raise ApplicationError(
            "The server no longer has the beginning of this upload. Start the upload again.",
            extra={"code": "not_open", "status": ChunkedUpload.Status.FAILED},
        )
    overlap = min(received - offset, len(data))
    if overlap and _read_at(path, offset, overlap) != data[:overlap]:
        raise ApplicationError(
            f"The bytes sent from byte {offset} differ from those already received; "
            f"send the file from byte {received}.",
            extra={"code": "offset_mismatch", "expected_offset": received},
        )
    tail = data[overlap:]
    if not tail:
        return locked
    with path.open("r+b") as handle:
        handle.seek(received)
        handle.write(tail)
        handle.truncate()
    locked.received_bytes = received + len(tail)
    locked.save(update_fields=["received_bytes", "updated_at"])
    return locked


def upload_fail(upload: ChunkedUpload, reason: str) -> None:
    """Mark the upload FAILED with a reason a person reads, and delete its temporary file."""
    ChunkedUpload.objects.filter(pk=upload.pk).update(
        status=ChunkedUpload.Status.FAILED, error=reason, updated_at=timezone.now()
    )
    upload.status, upload.error = ChunkedUpload.Status.FAILED, reason
    upload_temp_path(upload).unlink(missing_ok=True)


@transaction.atomic
def upload_abandon(*, upload: ChunkedUpload) -> ChunkedUpload:
    """Give up an open upload (the person cancelled it) and delete its bytes. Idempotent."""
    locked = ChunkedUpload.objects.select_for_update().get(pk=upload.pk)
    if locked.status == ChunkedUpload.Status.COMPLETE:
        raise upload_not_open_error(locked)
    if locked.status == ChunkedUpload.Status.OPEN:
        locked.status = ChunkedUpload.Status.ABANDONED
        locked.save(update_fields=["status", "updated_at"])
    upload_temp_path(locked).unlink(missing_ok=True)
    return locked


def uploads_sweep_stale(*, now: datetime | None = None) -> int:
    """Abandon open uploads untouched for settings.UPLOAD_STALE_AFTER and delete their bytes,
    and delete temporary files that belong to no open upload and are as old. Returns how many
    uploads were abandoned. Run it periodically (a Celery beat task or a cron job)."""
    now = now or timezone.now()
    cutoff = now - settings.UPLOAD_STALE_AFTER
    abandoned = 0
    stale_ids = ChunkedUpload.objects.filter(
        status=ChunkedUpload.Status.OPEN, updated_at__lt=cutoff
    ).values_list("pk", flat=True)
    for upload_id in list(stale_ids):
        with transaction.atomic():
            upload = ChunkedUpload.objects.select_for_update(skip_locked=True).filter(pk=upload_id).first()
            if upload is None or upload.status != ChunkedUpload.Status.OPEN or upload.updated_at >= cutoff:
                continue
            upload.status = ChunkedUpload.Status.ABANDONED
            upload.error = "abandoned: no chunk arrived for too long"
            upload.save(update_fields=["status", "error", "updated_at"])
            upload_temp_path(upload).unlink(missing_ok=True)
            abandoned += 1
    tmp_dir = Path(settings.UPLOAD_TMP_DIR)
    if tmp_dir.is_dir():
        open_names = {
            f"{pk.hex}.part"
            for pk in ChunkedUpload.objects.filter(status=ChunkedUpload.Status.OPEN).values_list(
                "pk", flat=True
            )
        }
        for path in tmp_dir.glob("*.part"):
            modified = datetime.fromtimestamp(path.stat().st_mtime, tz=now.tzinfo)
            if path.name not in open_names and modified < cutoff:
                path.unlink(missing_ok=True)
    return abandoned

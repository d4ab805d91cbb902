"""A complete upload becoming a stored recording with a queued analysis, and where an upload
and its analysis stand: the step where recordings.uploads hands over to recordings.services
and results.jobs.
"""

import hashlib
import logging
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from accounts.errors import ApplicationError
from analysis import PIPELINE_VERSION
from recordings.models import ChunkedUpload, Recording
from recordings.services import recording_create_from_file, recording_stored_in_session
from recordings.uploads import upload_fail, upload_not_open_error, upload_temp_path
from results.jobs import analysis_job_create
from results.models import AnalysisJob
from results.selectors import analysis_job_status

logger = logging.getLogger(__name__)

_HASH_BLOCK_BYTES = 1024**2


def upload_status(*, upload: ChunkedUpload) -> dict[str, Any]:
    """Where an upload stands, as plain JSON-ready values (the client resumes from next_offset).

    Once complete it also gives the recording and its latest analysis job, so that a client whose
    complete request lost its answer can still follow the analysis.
    """
    upload.refresh_from_db()
    job = None
    if upload.recording_id is not None:
        latest = upload.recording.jobs.order_by("-created_at").first()
        if latest is not None:
            job = analysis_job_status(job=latest)
    return {
        "id": str(upload.id),
        "status": upload.status,
        "original_filename": upload.original_filename,
        "total_size_bytes": upload.total_size_bytes,
        "received_bytes": upload.received_bytes,
        "next_offset": upload.received_bytes,
        "chunk_bytes": settings.UPLOAD_CHUNK_BYTES,
        "error": upload.error,
        "session_id": upload.session_id,
        "recording_id": upload.recording_id,
        "job": job,
    }


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_HASH_BLOCK_BYTES):
            digest.update(block)
    return digest.hexdigest()


def _analysis_reusable(recording: Recording) -> bool:
    """The recording already has an analysis of the current pipeline that is queued, running or
    finished: the same file uploaded again reuses it rather than analysing it again."""
    return recording.jobs.filter(
        pipeline_version=PIPELINE_VERSION,
        status__in=(*AnalysisJob.ACTIVE_STATUSES, AnalysisJob.Status.SUCCEEDED),
    ).exists()


def _store_and_queue(upload: ChunkedUpload, path: Path) -> Recording:
    """Turn the verified file into a Recording and queue its analysis, all or nothing. The same
    file already stored in the session is that recording, with its analysis."""
    created: list[Recording] = []
    try:
        with transaction.atomic():
            existing = recording_stored_in_session(session=upload.session, sha256=upload.expected_sha256)
            recording = recording_create_from_file(
                session=upload.session,
                file_path=path,
                original_filename=upload.original_filename,
                sha256=upload.expected_sha256,
                uploaded_by=upload.uploaded_by,
            )
            if existing is None or recording.pk != existing.pk:
                created.append(recording)
            if not _analysis_reusable(recording):
                analysis_job_create(recording=recording, requested_by=upload.uploaded_by)
            upload.status = ChunkedUpload.Status.COMPLETE
            upload.recording = recording
            upload.error = ""
            upload.save(update_fields=["status", "recording", "error", "updated_at"])
    except BaseException:
        for recording in created:
            if recording.file:
                recording.file.delete(save=False)
        raise
    return recording


def upload_complete(*, upload: ChunkedUpload) -> Recording:
    """Verify the assembled file and store it as a Recording with a queued analysis job.

    The sha256 of the whole file is computed on the server and must equal the one declared at
    the start (an upload corrupted in transit or mixed with another file is refused). Asking again
    after success returns the same Recording, so a client whose answer was lost may retry.
    """
    with transaction.atomic():
        locked = (
            ChunkedUpload.objects.select_for_update().select_related("session__patient").get(pk=upload.pk)
        )
        if locked.status == ChunkedUpload.Status.COMPLETE and locked.recording_id is not None:
            return locked.recording
        if locked.status != ChunkedUpload.Status.OPEN:
            raise upload_not_open_error(locked)
        if locked.received_bytes != locked.total_size_bytes:
            raise ApplicationError(
                f"Only {locked.received_bytes} of {locked.total_size_bytes} bytes have arrived; "
                f"send the rest from byte {locked.received_bytes}.",
                extra={"code": "incomplete", "expected_offset": locked.received_bytes},
            )
        path = upload_temp_path(locked)
        failure: ApplicationError | None = None
        unexpected: Exception | None = None
        if not path.exists() or path.stat().st_size != locked.total_size_bytes:
            failure = ApplicationError(
                "The server no longer has the whole file of this upload. Start the upload again.",
                extra={"code": "rejected"},
            )
        elif _sha256_of(path) != locked.expected_sha256:
            failure = ApplicationError(
                "The file that arrived does not match its sha256 checksum (it was corrupted on the way "
                "or changed during the upload). Nothing was stored; upload it again.",
                extra={"code": "checksum_mismatch"},
            )
        else:
            try:
                recording = _store_and_queue(locked, path)
            except ApplicationError as error:
                # The decoder names the file it read: the person knows it by their own name.
                message = error.message.replace(path.name, locked.original_filename)
                failure = ApplicationError(message, extra={**error.extra, "code": "rejected"})
            except Exception as error:
                logger.exception("Storing upload %s failed", locked.pk)
                unexpected = error
                failure = ApplicationError(
                    "The server could not store this video because of an internal error. "
                    "Try again later or tell the platform's administrator.",
                    extra={"code": "rejected"},
                )
        if failure is not None:
            upload_fail(locked, failure.message)
    if unexpected is not None:
        raise unexpected
    if failure is not None:
        raise failure
    path.unlink(missing_ok=True)
    return recording

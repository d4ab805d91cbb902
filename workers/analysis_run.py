"""One analysis job, from its database row to stored results: the glue between Celery, Django
and analysis/ (the task in workers/tasks.py only adds retries around it).

1. claim the job (a conditional UPDATE: a duplicate or stale message does nothing);
2. check the recording still exists and the patient's analyse consent is active;
3. copy the video from storage to a private temporary file (video bytes never pass through
   the broker; the storage may be S3, so analysis/ gets a real local path);
4. run analysis.pipeline.analyse_video, reporting stage and progress (which is the heartbeat)
   and asking between batches of frames whether to go on (job still ours, consent active);
5. store the tracks Parquet through the storage API, then replace the recording's results and
   mark the job succeeded in one transaction (care.reanalysis.analysis_results_replace).
"""

from __future__ import annotations

import functools
import logging
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage

from accounts.errors import ApplicationError
from analysis.errors import AnalysisCancelled, AnalysisError
from analysis.metrics.eye_contact import contact_episodes
from analysis.pipeline import AnalysisResult, analyse_video
from analysis.pose import PoseBackend, PoseModel
from analysis.pose_mmpose import MMPoseModel, PoseBackendError, check_mmpose_ready
from analysis.runner import WorkerPool, shared_pool, started_shared_pool, warm_up_here
from analysis.tracks import write_parquet
from care.reanalysis import analysis_results_replace
from patients.models import ConsentScope, Patient
from patients.selectors import consent_active_scopes
from recordings.models import Recording
from results.artefacts import tracks_storage_name
from results.gesture_references import praxis_inputs_for
from results.jobs import (
    analysis_job_cancel_running,
    analysis_job_claim,
    analysis_job_fail,
    analysis_job_progress,
)
from results.services import AnalysisOutcome
from results.task_models import task_model_proposals
from results.task_selectors import analysis_protocol_segments

logger = logging.getLogger(__name__)

# Seconds between two writes of progress (and heartbeat) to the database, and between two
# checks of the job's status and the patient's consent: enough for a live progress bar and a
# prompt stop, few enough queries not to matter beside the models.
PROGRESS_EVERY_S = 1.0
CHECK_EVERY_S = 1.0
COPY_CHUNK_BYTES = 8 * 1024 * 1024
# The pipeline's stages, as the upload page shows them.
STAGE_WORDS = {
    "people": "finding the people in the video",
    "patient": "analysing the patient's movements and face",
    "metrics": "computing the metrics",
}
# Share of the progress bar for the analysis itself; the rest is copying and saving.
ANALYSIS_SHARE = 0.95

OUTCOME_SUCCEEDED = "succeeded"
OUTCOME_FAILED = "failed"
OUTCOME_CANCELLED = "cancelled"
OUTCOME_SKIPPED = "skipped"


class JobWatcher:
    """The progress and should_continue callbacks of one running job.

    Progress is written at most every PROGRESS_EVERY_S (a stage change is written at once); it
    doubles as the heartbeat the sweep looks at. should_continue answers False once the job is no
    longer this task's running job (cancelled by a person or by a consent withdrawal) or the
    patient's analyse consent is no longer active (the job is then cancelled here).
    """

    def __init__(self, *, job_id: int, task_id: str, patient: Patient) -> None:
        self.job_id = job_id
        self.task_id = task_id
        self.patient = patient
        self.ours = True
        self._last_write = 0.0
        self._last_stage = ""
        self._last_check = time.monotonic()

    def report(self, stage: str, percent: float, *, force: bool = False) -> None:
        """Write stage (plain words) and progress (0 to 100) when due."""
        now = time.monotonic()
        if not force and stage == self._last_stage and now - self._last_write < PROGRESS_EVERY_S:
            return
        self._last_write, self._last_stage = now, stage
        if not analysis_job_progress(
            job_id=self.job_id, task_id=self.task_id, stage=stage, progress=int(percent)
        ):
            self.ours = False

    def progress(self, stage: str, fraction: float) -> None:
        """analyse_video's progress callback: stage "people", "patient" or "metrics", overall
        fraction in [0, 1]."""
        self.report(STAGE_WORDS.get(stage, stage), 100 * ANALYSIS_SHARE * fraction)

    def should_continue(self) -> bool:
        """analyse_video's between-batches check."""
        now = time.monotonic()
        if self.ours and now - self._last_check >= CHECK_EVERY_S:
            self._last_check = now
            self.ours = self.consent_still_active()
        return self.ours

    def consent_still_active(self) -> bool:
        """Whether the analyse consent is active; if not, the job is cancelled here."""
        if ConsentScope.ANALYSE in consent_active_scopes(patient=self.patient):
            return True
        analysis_job_cancel_running(
            job_id=self.job_id,
            task_id=self.task_id,
            reason="The patient withdrew consent to analysis; the analysis was stopped and nothing was saved.",
        )
        return False


def _safe_suffix(original_filename: str) -> str:
    """A short alphanumeric extension from the person's file name (decoders do not need it, but
    the messages name the file the way its owner knows it)."""
    suffix = Path(original_filename).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else ".video"


def copy_recording(recording: Recording, directory: Path) -> Path:
    """Stream the recording's video from storage to a file in directory (chunked: memory stays
    flat whatever the video's size) and return its path."""
    target = directory / f"recording-{recording.pk}{_safe_suffix(recording.original_filename)}"
    with recording.file.open("rb") as source, target.open("wb") as sink:
        shutil.copyfileobj(source, sink, COPY_CHUNK_BYTES)
    return target


def store_tracks(job_id: int, result: AnalysisResult, directory: Path) -> str:
    """Write the tracks Parquet and save it through the storage API as tracks/<job>.parquet
    (replacing the file of an earlier attempt of the same job). Returns the storage name."""
    local = directory / f"tracks-{job_id}.parquet"
    write_parquet(result.tracks, local)
    name = tracks_storage_name(job_id=job_id)
    if default_storage.exists(name):
        default_storage.delete(name)
    with local.open("rb") as handle:
        return default_storage.save(name, File(handle, name=name))


def pose_model_factory() -> Callable[[], PoseBackend]:
    """The body-pose model this worker was configured for (settings.POSE_BACKEND), as a picklable
    factory for the pipeline's worker processes. A GPU backend that cannot run here raises
    PoseBackendError naming what is missing; it never falls back to another model."""
    if settings.POSE_BACKEND == "mediapipe":
        return PoseModel
    if settings.POSE_BACKEND == "mmpose":
        check_mmpose_ready(settings.MMPOSE_CONFIG, settings.MMPOSE_CHECKPOINT, settings.ANALYSIS_DEVICE)
        return functools.partial(
            MMPoseModel, settings.MMPOSE_CONFIG, settings.MMPOSE_CHECKPOINT, settings.ANALYSIS_DEVICE
        )
    raise PoseBackendError(
        f"POSE_BACKEND={settings.POSE_BACKEND} is not a pose backend of this platform: "
        "set it to mediapipe (CPU workers) or mmpose (GPU workers)."
    )


def analysis_pool() -> WorkerPool | None:
    """The warm analysis processes a Celery worker started (warm_up_analysis), or None: then
    analyse_video starts processes for the job (a process that runs analyses without a broker,
    such as the web process, keeps no idle analysis processes), or, with ANALYSIS_PROCESSES=1,
    runs it in this process, whose models stay loaded between jobs."""
    pool = started_shared_pool()
    return pool if pool is not None and pool.workers == settings.ANALYSIS_PROCESSES else None


def warm_up_analysis() -> None:
    """Load the models before the first job (called when a Celery worker process starts)."""
    if settings.ANALYSIS_PROCESSES > 1:
        shared_pool(settings.ANALYSIS_PROCESSES, settings.ANALYSIS_DEVICE)
    else:
        warm_up_here(settings.ANALYSIS_DEVICE)


def _praxis_inputs(recording: Recording) -> dict[str, Any]:
    """The protocol's reference gestures, as analyse_video's praxis_references/expected_gestures."""
    inputs = praxis_inputs_for(recording)
    return {"praxis_references": inputs["references"], "expected_gestures": inputs["expected_gestures"]}


def _session_inputs(job, recording: Recording) -> dict[str, Any]:
    """The clinicians' choices this analysis follows: the point on the patient (when one was
    clicked; else the automatic choice), the marked gaze calibration segment and the parts marked
    on the session page (a praxis session's cues, an interview's baseline and stories)."""
    inputs: dict[str, Any] = {}
    point = job.patient_point or {}
    if point:
        inputs["patient_point"] = (point["x_px"], point["y_px"], point["time_s"])
    segments = analysis_protocol_segments(session=recording.session)
    if segments:
        inputs["protocol_segments"] = segments
    return inputs


def _task_proposals(recording: Recording, result: AnalysisResult) -> tuple[list, str]:
    """The active task model's proposal for a semi-guided session ([], "" otherwise). A task
    model that cannot run leaves the analysis whole: the clinician marks the tasks by hand."""
    try:
        return task_model_proposals(
            protocol=recording.session.protocol, tracks=result.tracks, duration_s=result.video.duration_s
        )
    except (ApplicationError, OSError, ValueError) as error:
        logger.warning("the task model could not run on recording %s: %s", recording.pk, error)
        return [], ""


def _person_message(error: Exception, video: Path, recording: Recording) -> str:
    """The analysis error as its owner reads it: our temporary file's name becomes theirs."""
    return (
        str(error)
        .replace(str(video), recording.original_filename)
        .replace(video.name, recording.original_filename)
    )


def run_analysis_job(*, job_id: int, task_id: str) -> str:
    """Run one job to its end; returns what happened (OUTCOME_*), for the task's log.

    Raises the database's OperationalError or InterfaceError when the connection is lost: the
    task retries them. Analysis errors end the job as FAILED with the error's message; the
    recording is kept either way.
    """
    job = analysis_job_claim(job_id=job_id, task_id=task_id)
    if job is None:
        logger.info("job %s is not claimable (finished, cancelled or held by a live worker)", job_id)
        return OUTCOME_SKIPPED
    recording = job.recording
    patient = recording.session.patient
    watcher = JobWatcher(job_id=job_id, task_id=task_id, patient=patient)
    if recording.status != Recording.Status.STORED or not recording.file:
        analysis_job_cancel_running(
            job_id=job_id,
            task_id=task_id,
            reason="The recording's video was deleted before it could be analysed.",
        )
        return OUTCOME_CANCELLED
    if not watcher.consent_still_active():
        return OUTCOME_CANCELLED
    try:
        pose_model = pose_model_factory()
    except PoseBackendError as error:
        analysis_job_fail(job_id=job_id, task_id=task_id, message=str(error))
        return OUTCOME_FAILED
    with tempfile.TemporaryDirectory(prefix=f"analysis-{job_id}-") as tmp:
        watcher.report("copying the video", 0, force=True)
        try:
            video = copy_recording(recording, Path(tmp))
        except FileNotFoundError:
            analysis_job_fail(
                job_id=job_id,
                task_id=task_id,
                message=f"The video of {recording.original_filename} is missing from the media storage, so it "
                "could not be analysed. Upload the recording again, or ask an administrator to restore it.",
            )
            return OUTCOME_FAILED
        try:
            result = analyse_video(
                video,
                target_fps=settings.ANALYSIS_TARGET_FPS,
                device=settings.ANALYSIS_DEVICE,
                progress=watcher.progress,
                should_continue=watcher.should_continue,
                workers=settings.ANALYSIS_PROCESSES,
                pool=analysis_pool(),
                pose_model=pose_model,
                **_praxis_inputs(recording),
                **_session_inputs(job, recording),
            )
        except AnalysisCancelled:
            logger.info("job %s stopped: cancelled or consent withdrawn", job_id)
            return OUTCOME_CANCELLED
        except AnalysisError as error:
            analysis_job_fail(
                job_id=job_id, task_id=task_id, message=_person_message(error, video, recording)
            )
            logger.info("job %s failed: %s", job_id, error)
            return OUTCOME_FAILED
        watcher.report("saving the results", 100 * ANALYSIS_SHARE, force=True)
        if not watcher.ours:
            return OUTCOME_CANCELLED
        tracks_name = store_tracks(job_id, result, Path(tmp))
    task_segments, task_model = _task_proposals(recording, result)
    outcome = AnalysisOutcome(
        report=result.report,
        duration_s=result.video.duration_s,
        model_versions=[{"name": m.name, "version": m.version} for m in result.models],
        result_status=result.status,
        message=result.message,
        tracks_name=tracks_name,
        task_segments=task_segments,
        task_model=task_model,
        speech_segments=[segment.as_report() for segment in result.speech.segments] if result.speech else [],
        contact_episodes=[episode.as_report() for episode in contact_episodes(result.tracks)],
    )
    if analysis_results_replace(job_id=job_id, task_id=task_id, outcome=outcome) is None:
        default_storage.delete(tracks_name)
        logger.info("job %s was cancelled while it ran; its results were discarded", job_id)
        return OUTCOME_CANCELLED
    return OUTCOME_SUCCEEDED

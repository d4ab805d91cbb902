"""The metrics that follow the segments a clinician marks on the session page, recomputed from
the latest analysis's stored tracks when a segment is marked, corrected, accepted or deleted:
a praxis session's item cues (the praxis family, and each gesture's item asked, hesitation and
verdict) and an apathy interview's baseline and stories (the apathy family and agitation).

The computation is the analysis library's (analysis.metrics.compute_segment_metrics, the same
functions the pipeline runs) on the tracks; no video is decoded. The mark's request only sets
the analysis's segment_metrics_state to "recomputing" and hands the session to
settings.SEGMENT_METRICS_DISPATCHER (a worker, or a background thread of the web process
without a broker); the page says so until the numbers are recomputed. Without stored tracks the
state becomes "needs re-analysis": the page then says a re-analysis is needed rather than
presenting the earlier numbers as those of the new marks.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.module_loading import import_string

from analysis.metrics import INTERVIEW_PARTS, PRAXIS_PART, compute_segment_metrics
from analysis.tracks import Tracks, read_parquet
from recordings.models import ClinicalSession, Protocol
from results.dashboard_selectors import session_latest_job
from results.gesture_references import praxis_inputs_for
from results.models import AnalysisJob
from results.services import segment_results_replace
from results.task_selectors import analysis_protocol_segments

logger = logging.getLogger(__name__)

RECOMPUTING = "recomputing"
NEEDS_REANALYSIS = "needs re-analysis"
# The metrics each kind of protocol's marks change.
PARTS = {Protocol.Kind.PRAXIS_TEST: PRAXIS_PART, Protocol.Kind.APATHY_INTERVIEW: INTERVIEW_PARTS}


def segment_metrics_request(*, session: ClinicalSession) -> None:
    """After a mark changed (inside its transaction): flag the latest analysis's segment metrics
    as being recomputed and, once the mark is committed, hand the session to the dispatcher.
    Nothing for a protocol whose marks no metric follows, or a session not analysed yet."""
    job = session_latest_job(session=session)
    if session.protocol.kind not in PARTS or job is None:
        return
    AnalysisJob.objects.filter(pk=job.pk).update(segment_metrics_state=RECOMPUTING)
    dispatcher = import_string(settings.SEGMENT_METRICS_DISPATCHER)
    transaction.on_commit(lambda: dispatcher(session.pk))


def job_tracks(job: AnalysisJob) -> Tracks | None:
    """The job's stored tracks, or None when they were never stored or are gone."""
    if not job.tracks_file or not default_storage.exists(job.tracks_file.name):
        return None
    with tempfile.TemporaryDirectory(prefix="segment-metrics-") as tmp:
        local = Path(tmp) / "tracks.parquet"
        with default_storage.open(job.tracks_file.name, "rb") as source:
            local.write_bytes(source.read())
        return read_parquet(local)


def session_segment_metrics_recompute(*, session_id: int) -> str:
    """Recompute the session's segment metrics on its latest analysis (the dispatcher's work);
    returns the analysis's new state ("" when up to date) for the log."""
    session = ClinicalSession.objects.select_related("protocol").filter(pk=session_id).first()
    job = session_latest_job(session=session) if session is not None else None
    if job is None or session.protocol.kind not in PARTS:
        return ""
    tracks = job_tracks(job)
    if tracks is None:
        AnalysisJob.objects.filter(pk=job.pk).update(segment_metrics_state=NEEDS_REANALYSIS)
        return NEEDS_REANALYSIS
    inputs = praxis_inputs_for(job.recording)
    segments = analysis_protocol_segments(session=session)
    report = compute_segment_metrics(
        tracks.patient() if tracks.is_patient.any() else tracks,
        part=PARTS[session.protocol.kind],
        segments=segments or None,
        references=inputs["references"],
        expected_gestures=inputs["expected_gestures"],
    )
    with transaction.atomic():
        # The session first, as a mark locks it, then the analysis: a mark and a recomputation
        # wait for each other instead of deadlocking.
        ClinicalSession.objects.select_for_update().filter(pk=session.pk).first()
        locked = AnalysisJob.objects.select_for_update(no_key=True).filter(pk=job.pk).first()
        if locked is None:  # erased or replaced while computing
            return ""
        segment_results_replace(job=locked, report=report)
        if analysis_protocol_segments(session=session) != segments:
            return RECOMPUTING  # marked again meanwhile: the next recomputation follows the new marks
        AnalysisJob.objects.filter(pk=job.pk).update(segment_metrics_state="")
    return ""

"""The task set made of clinician-marked visits: for each semi-guided session with marked
segments of a patient who consents to model training (task_selectors.task_segments_for_training),
the per-frame features of its latest analysis's stored tracks (analysis.tasks.features, as the
analysis computes them) and one task label per frame. Sessions without stored tracks are counted,
not used. The set's sha256 is computed from its content, so it changes only when the data do."""

from __future__ import annotations

from dataclasses import dataclass

from analysis.tasks.dataset import TaskSequence, data_sha256, frame_labels
from analysis.tasks.segments import TaskSegment as Segment
from analysis.tasks.synth import BACKGROUND
from recordings.models import ClinicalSession, Protocol
from recordings.selectors import protocol_tasks
from results.dashboard_selectors import session_latest_job
from results.models import TaskSegment
from results.task_models import job_task_features
from results.task_selectors import task_segments_for_training


@dataclass(frozen=True)
class MarkedTaskSet:
    """classes (background first, then the protocols' task codes), one sequence per usable
    session (subject = the patient's key, for folds by patient), and the sessions left out."""

    classes: list[str]
    sequences: list[TaskSequence]
    rate_hz: float
    sha256: str
    sessions_without_tracks: int


def _classes(sessions: list[ClinicalSession], rows: list[TaskSegment]) -> list[str]:
    """Background, then each task code in the order the protocols list them (codes marked but no
    longer listed come last, sorted)."""
    codes: list[str] = []
    for protocol in {session.protocol_id: session.protocol for session in sessions}.values():
        codes += [task.code for task in protocol_tasks(protocol=protocol) if task.code not in codes]
    codes += sorted({row.task_code for row in rows} - set(codes))
    return [BACKGROUND, *codes]


def marked_task_set(*, protocol: Protocol | None = None) -> MarkedTaskSet:
    """The consented marked visits as a labelled task set (see the module)."""
    rows = list(task_segments_for_training(protocol=protocol).select_related("session__protocol"))
    by_session: dict[int, list[TaskSegment]] = {}
    sessions: dict[int, ClinicalSession] = {}
    for row in rows:
        by_session.setdefault(row.session_id, []).append(row)
        sessions[row.session_id] = row.session
    classes = _classes(list(sessions.values()), rows)
    sequences: list[TaskSequence] = []
    missing = 0
    rate_hz = 0.0
    for session_id in sorted(by_session):
        session = sessions[session_id]
        job = session_latest_job(session=session)
        features = job_task_features(job) if job is not None else None
        if features is None:
            missing += 1
            continue
        rate_hz = features.rate_hz
        marked = [Segment(row.task_code, row.start_s, row.end_s) for row in by_session[session_id]]
        labels = frame_labels(marked, features.time_s, classes)
        sequences.append(
            TaskSequence(f"patient-{session.patient_id}", features.values, labels, features.time_s)
        )
    return MarkedTaskSet(classes, sequences, rate_hz, data_sha256(sequences, classes, rate_hz), missing)

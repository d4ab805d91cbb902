"""Task model versions: register a trained task segmenter (analysis.tasks writes the model file
and its manifest beside it), activate one, and read the session's proposed task segments from a
finished analysis's tracks. With no active task model nothing is proposed and the session page
says to mark the tasks by hand.

Registration, activation and the local copy are those of the gesture models (one file in
storage, its sha256, the training data's sha256 and metrics from the manifest, one active version
per name), with kind "task".
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from django.core.files.storage import default_storage
from django.db import transaction

from accounts.errors import ApplicationError
from analysis.errors import AnalysisError
from analysis.tasks.features import TaskFeatures, activity_signals, features_from_tracks
from analysis.tasks.segments import TaskSegment as Segment
from analysis.tasks.task_metrics import ActivitySignals
from analysis.tracks import Tracks, read_parquet
from recordings.models import Protocol
from recordings.selectors import protocol_tasks
from results.gesture_models import gesture_model_local_path, gesture_model_register
from results.models import AnalysisJob, ModelVersion
from results.task_selectors import active_task_model

TASK_MODEL_NAME = "task-segmenter"


@transaction.atomic
def task_model_register(*, model_path: str | Path, version: str, activate: bool = False) -> ModelVersion:
    """Store a trained task model and record it (inactive unless `activate`). The metrics and
    the training data's sha256 come from the manifest written beside the model file."""
    # Imported here: analysis.tasks.model loads torch, which registration needs only for the path.
    from analysis.tasks.model import manifest_path  # noqa: PLC0415

    manifest_file = manifest_path(model_path)
    if not manifest_file.is_file():
        raise ApplicationError(
            f"The task model {model_path} has no manifest beside it ({manifest_file.name}); "
            "save it with python -m analysis.tasks train."
        )
    manifest = json.loads(manifest_file.read_text())
    model_version = gesture_model_register(
        model_path=model_path,
        metrics={**manifest.get("metrics", {}), "task_codes": manifest.get("task_codes", [])},
        training_data_sha256=str(manifest.get("data_sha256", "")),
        version=version,
        name=TASK_MODEL_NAME,
    )
    model_version.kind = ModelVersion.Kind.TASK
    model_version.save(update_fields=["kind"])
    if activate:
        same_name = ModelVersion.objects.select_for_update().filter(name=TASK_MODEL_NAME)
        list(same_name)
        same_name.exclude(pk=model_version.pk).update(is_active=False)
        same_name.filter(pk=model_version.pk).update(is_active=True)
        model_version.refresh_from_db()
    return model_version


def task_model_local_path(*, model_version: ModelVersion) -> Path:
    """A checked local copy of the model file (as for the gesture models)."""
    return gesture_model_local_path(model_version=model_version)


def job_task_features(job: AnalysisJob) -> TaskFeatures | None:
    """The task features of the patient in the job's stored tracks, or None without tracks."""
    if not job.tracks_file or not default_storage.exists(job.tracks_file.name):
        return None
    with tempfile.TemporaryDirectory(prefix="task-features-") as tmp:
        local = Path(tmp) / "tracks.parquet"
        with default_storage.open(job.tracks_file.name, "rb") as source:
            local.write_bytes(source.read())
        return tracks_task_features(read_parquet(local))


def tracks_task_features(tracks: Tracks) -> TaskFeatures | None:
    """The patient's task features, or None when the tracks hold no analysable patient row."""
    try:
        features = features_from_tracks(tracks)
    except (AnalysisError, ValueError, IndexError):
        return None
    return features if len(features.time_s) else None


def job_activity(job: AnalysisJob | None) -> ActivitySignals | None:
    """Per-frame hand activity and walking of the patient in the job's tracks, or None."""
    features = job_task_features(job) if job is not None else None
    return activity_signals(features) if features is not None else None


def task_model_proposals(
    *, protocol: Protocol, tracks: Tracks | None, duration_s: float
) -> tuple[list[Segment], str]:
    """The active task model's segments of a semi-guided session and "<name> <version>"; ([], "")
    for another protocol or when no task model is active (the page then says to mark by hand)."""
    model_version = active_task_model()
    if protocol.kind != Protocol.Kind.SEMI_GUIDED_TASKS or not protocol_tasks(protocol=protocol):
        return [], ""
    if model_version is None:
        return [], ""
    label = f"{model_version.name} {model_version.version}"
    features = tracks_task_features(tracks) if tracks is not None else None
    if features is None:
        return [], label
    # Imported here: torch loads in seconds, and only semi-guided analyses with a model need it.
    from analysis.tasks.model import load_model  # noqa: PLC0415
    from analysis.tasks.segmenter import segment  # noqa: PLC0415

    model = load_model(task_model_local_path(model_version=model_version))
    return segment(features, features.rate_hz, model, duration_s=duration_s), label

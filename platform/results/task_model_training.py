"""Train the task model on the clinician-marked visits (results.task_marked_set), measure it by
cross-validation with folds by patient once enough visits are marked, and register it.

Why folds by patient: a patient's visits share a body, a room and a way of moving; a fold that
held some of a patient's visits and trained on the others would measure recognition of that
person, not of the tasks. Below MIN_CV_SESSIONS marked visits the figures of so few folds say
little, so none are claimed: the metrics then say why cross-validation was not measured.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from accounts.errors import ApplicationError
from analysis.tasks.dataset import TaskSequence
from recordings.models import Protocol
from results.models import ModelVersion
from results.task_marked_set import MarkedTaskSet, marked_task_set
from results.task_models import task_model_register

MIN_CV_SESSIONS = 20
DEFAULT_FOLDS = 5


@dataclass(frozen=True)
class TaskModelTraining:
    """The registered version, the set it was trained on and its cross-validated figures (None,
    with the reason in cv_note, below MIN_CV_SESSIONS visits)."""

    model_version: ModelVersion
    task_set: MarkedTaskSet
    cross_validation: dict[str, float] | None
    cv_note: str


def patient_folds(sequences: list[TaskSequence], folds: int) -> list[list[int]]:
    """Sequence indices per fold: each patient's visits all in one fold, patients dealt out in
    turn from the one with most visits (folds of about equal size)."""
    by_patient: dict[str, list[int]] = {}
    for index, sequence in enumerate(sequences):
        by_patient.setdefault(sequence.subject, []).append(index)
    out: list[list[int]] = [[] for _ in range(min(folds, len(by_patient)))]
    for indices in sorted(by_patient.values(), key=lambda rows: (-len(rows), rows[0])):
        min(out, key=len).extend(indices)
    return out


def cross_validate(task_set: MarkedTaskSet, *, folds: int, epochs: int, seed: int) -> dict[str, float]:
    """Frame accuracy, edit and F1@10/25/50 of models trained without each fold's patients,
    pooled over the held-out visits of every fold."""
    # Imported here: torch loads in seconds, and only training needs it.
    from analysis.tasks.evaluation import evaluate  # noqa: PLC0415
    from analysis.tasks.segmenter import predict_labels  # noqa: PLC0415
    from analysis.tasks.train import train_segmenter  # noqa: PLC0415

    predicted, truth = [], []
    groups = patient_folds(task_set.sequences, folds)
    for held_out in groups:
        training = [s for i, s in enumerate(task_set.sequences) if i not in set(held_out)]
        model = train_segmenter(training, task_set.classes, epochs=epochs, seed=seed)
        for index in held_out:
            predicted.append(predict_labels(model, task_set.sequences[index].values))
            truth.append(task_set.sequences[index].labels)
    return {**evaluate(predicted, truth), "folds": float(len(groups))}


def _json_safe(value: Any) -> Any:
    """The metrics as the registry's JSON stores them: a figure that could not be measured (NaN,
    for example F1 with no segment at all) becomes null."""
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def task_model_train_marked(
    *,
    version: str | None = None,
    protocol: Protocol | None = None,
    epochs: int = 40,
    folds: int = DEFAULT_FOLDS,
    seed: int = 0,
    activate: bool = False,
) -> TaskModelTraining:
    """Train on every consented marked visit, cross-validate (from MIN_CV_SESSIONS visits),
    register under version (default: date and data hash), inactive unless activate."""
    from analysis.tasks.model import save_model  # noqa: PLC0415
    from analysis.tasks.train import train_segmenter  # noqa: PLC0415

    task_set = marked_task_set(protocol=protocol)
    n = len(task_set.sequences)
    if n == 0:
        raise ApplicationError(
            "No marked visit can train the task model: none of a consenting patient has both marked "
            f"tasks and stored tracks ({task_set.sessions_without_tracks} marked without tracks)."
        )
    cv: dict[str, float] | None = None
    if n >= MIN_CV_SESSIONS:
        cv = cross_validate(task_set, folds=folds, epochs=epochs, seed=seed)
        note = f"cross-validated over {n} marked visits, {int(cv['folds'])} folds by patient"
    else:
        note = (
            f"Only {n} marked visits can train the task model; cross-validation needs at least "
            f"{MIN_CV_SESSIONS}, so the model is trained on all of them and no cross-validated "
            "figure is claimed."
        )
    model = train_segmenter(task_set.sequences, task_set.classes, epochs=epochs, seed=seed)
    metrics: dict[str, Any] = {
        **model.metrics,
        "trained_on": f"{n} clinician-marked visits of patients consenting to model training",
        "sessions_without_tracks": task_set.sessions_without_tracks,
        "cross_validation": cv if cv is not None else {"not_measured": note},
    }
    metrics = _json_safe(metrics)
    model.metrics, model.data_sha256 = metrics, task_set.sha256
    version = version or f"{datetime.now():%Y%m%d-%H%M}-{task_set.sha256[:8]}"
    with tempfile.TemporaryDirectory(prefix="task-model-") as tmp:
        path = Path(tmp) / "task.pt"
        save_model(model, path)
        model_version = task_model_register(model_path=path, version=version, activate=activate)
    return TaskModelTraining(model_version, task_set, cv, note)

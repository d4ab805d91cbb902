"""A task model trained on the synthetic task set made by code (analysis.tasks.synth: distinct
movement patterns per task, random order and durations, idle gaps; no patient data), registered
under a version that says so. The demo runs it so that its semi-guided visit gets proposals; a
clinic trains its own from marked segments (results.task_selectors.task_segments_for_training)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from analysis.tasks.dataset import read_dataset
from analysis.tasks.synth import write_synthetic_dataset
from results.models import ModelVersion
from results.task_models import task_model_register

SYNTHETIC_NOTE = "trained on the synthetic task set made by code (no patient data)"


def task_model_train_synthetic(
    *, version: str = "synthetic-1", epochs: int = 20, activate: bool = True
) -> ModelVersion:
    """Make the synthetic set (24 training, 8 held-out subjects, seed 0), train, evaluate on the
    held-out subjects, register (and activate): the model whose figures analysis/docs/tasks.md
    reports. About half a minute on one CPU thread; fewer subjects or epochs underfit (10 subjects
    and 12 epochs: held-out F1@50 0.65; 24 and 15: 0.90; 24 and 30 add nothing to 20)."""
    # Imported here: torch loads in seconds, and only this training needs it.
    from analysis.tasks.model import save_model  # noqa: PLC0415
    from analysis.tasks.train import train_segmenter  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="task-model-") as tmp:
        data = Path(tmp) / "synthetic-set"
        write_synthetic_dataset(data, 24, 8, 0)
        dataset = read_dataset(data)
        model = train_segmenter(
            dataset.split("train"),
            dataset.classes,
            test_sequences=dataset.split("test"),
            epochs=epochs,
            seed=0,
            data_sha256=dataset.sha256,
        )
        model.metrics = {**model.metrics, "trained_on": SYNTHETIC_NOTE}
        path = Path(tmp) / "task.pt"
        save_model(model, path)
        return task_model_register(model_path=path, version=version, activate=activate)

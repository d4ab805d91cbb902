"""Task data sets: per session its features on the model's grid and one class index per frame.

A data set comes from the synthetic generator (synth.py) or from clinician-marked sessions (the
platform turns each session's marked segments into frame labels with frame_labels). On disk it is
a directory: one compressed .npz per session (values, labels, time_s) and manifest.json with the
classes (background first), the feature layout, the rate, each session's subject and split, and
the sha256 of the content. The hash is what the model registry stores as the training data's
hash: it is computed from the content, so the same data written twice has the same hash, and
read_dataset refuses files changed since.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analysis.tasks.features import FEATURE_NAMES
from analysis.tasks.segments import TaskSegment

DATASET_FORMAT = "task-dataset"


@dataclass(frozen=True)
class TaskSequence:
    """One session: values (n, n_features) float32 (NaN = not measured), labels (n,) int64 class
    indices, time_s (n,) grid times; split is "train", "test" or "" (unassigned)."""

    subject: str
    values: np.ndarray
    labels: np.ndarray
    time_s: np.ndarray
    split: str = ""


@dataclass(frozen=True)
class TaskDataset:
    classes: list[str]
    rate_hz: float
    sequences: list[TaskSequence]
    sha256: str

    def split(self, name: str) -> list[TaskSequence]:
        return [s for s in self.sequences if s.split == name]


def frame_labels(segments: Sequence[TaskSegment], time_s: np.ndarray, classes: Sequence[str]) -> np.ndarray:
    """Class index per frame time: the segment's task where a segment covers [start_s, end_s),
    else 0 (the background). Segments of tasks not in classes are left as background."""
    index = {code: i for i, code in enumerate(classes)}
    labels = np.zeros(len(time_s), dtype=np.int64)
    t = np.asarray(time_s, dtype=np.float64)
    for segment in segments:
        if segment.task_code in index:
            labels[(t >= segment.start_s) & (t < segment.end_s)] = index[segment.task_code]
    return labels


def data_sha256(sequences: Sequence[TaskSequence], classes: Sequence[str], rate_hz: float) -> str:
    """sha256 of classes, feature layout, rate and every sequence's subject, split, values and labels."""
    digest = hashlib.sha256()
    digest.update(json.dumps([list(classes), list(FEATURE_NAMES), float(rate_hz)]).encode())
    for s in sequences:
        digest.update(json.dumps([s.subject, s.split, list(s.values.shape)]).encode())
        digest.update(np.ascontiguousarray(s.values, dtype=np.float32).tobytes())
        digest.update(np.ascontiguousarray(s.labels, dtype=np.int64).tobytes())
    return digest.hexdigest()


def write_dataset(
    directory: str | Path, sequences: Sequence[TaskSequence], classes: Sequence[str], rate_hz: float
) -> str:
    """Write the sequences as a data set directory (created if needed); returns its sha256."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    entries = []
    for i, s in enumerate(sequences):
        if s.values.shape != (len(s.labels), len(FEATURE_NAMES)) or len(s.time_s) != len(s.labels):
            raise ValueError(f"sequence {s.subject}: values, labels and times disagree in length or layout.")
        if len(s.labels) and (s.labels.min() < 0 or s.labels.max() >= len(classes)):
            raise ValueError(f"sequence {s.subject} has labels outside the {len(classes)} classes.")
        name = f"{i:05d}.npz"
        np.savez_compressed(directory / name, values=s.values, labels=s.labels, time_s=s.time_s)
        entries.append({"file": name, "subject": s.subject, "split": s.split})
    sha = data_sha256(sequences, classes, rate_hz)
    manifest = {
        "format": DATASET_FORMAT,
        "classes": list(classes),
        "feature_names": list(FEATURE_NAMES),
        "rate_hz": rate_hz,
        "sequences": entries,
        "sha256": sha,
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return sha


def read_dataset(directory: str | Path) -> TaskDataset:
    """Read a data set written by write_dataset; its content must match its manifest's sha256."""
    directory = Path(directory)
    path = directory / "manifest.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"{directory} has no manifest.json; write one with `python -m analysis.tasks synth`."
        )
    manifest = json.loads(path.read_text())
    if manifest.get("format") != DATASET_FORMAT:
        raise ValueError(f"{directory} is not a task data set.")
    if manifest["feature_names"] != list(FEATURE_NAMES):
        raise ValueError(f"{directory} holds another feature layout; make the data set again.")
    sequences = []
    for entry in manifest["sequences"]:
        with np.load(directory / entry["file"]) as data:
            sequences.append(
                TaskSequence(entry["subject"], data["values"], data["labels"], data["time_s"], entry["split"])
            )
    sha = data_sha256(sequences, manifest["classes"], manifest["rate_hz"])
    if sha != manifest["sha256"]:
        raise ValueError(f"the data in {directory} do not match the sha256 in its manifest (files changed).")
    return TaskDataset(manifest["classes"], float(manifest["rate_hz"]), sequences, sha)

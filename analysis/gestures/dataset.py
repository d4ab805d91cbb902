"""The on-disk gesture training set: what the platform exports from reviewed events and train reads.

A data set is a directory with two files:

- sequences.npz: one float32 array per sample, key "sample_000000", "sample_000001", ... in
  manifest order, of shape (n_frames, N_GESTURE_KEYPOINTS, 2): normalised gesture keypoints in
  shoulder widths (analysis.gestures.normalise layout), NaN where a keypoint was missing.
- manifest.json: {"format": "praxis-gestures", "version": 1, "keypoint_layout": [20 names],
  "labels": [label set, in class order], "sha256": hex digest of the data (data_sha256),
  "description": free text, "samples": [{"id", "label", "fps", "n_frames", "split", "source"}]},
  split being "train", "test" or null (null: the trainer may use it for training or validation),
  source any JSON object (e.g. recording and event ids).

The sha256 is computed from the content (labels, and per sample its label, fps, shape and
float32 little-endian bytes), not from the zip file, so re-writing the same data gives the same
hash: that is the hash a trained model is registered with.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from analysis.gestures.normalise import GESTURE_KEYPOINTS, N_GESTURE_KEYPOINTS
from analysis.gestures.scoring import reference_from_tracks
from analysis.tracks import Tracks

DATASET_FORMAT = "praxis-gestures"
DATASET_VERSION = 1
MANIFEST_NAME = "manifest.json"
SEQUENCES_NAME = "sequences.npz"
SPLITS = ("train", "test", None)


@dataclass
class GestureSample:
    """One labelled gesture: keypoints of shape (n_frames, N_GESTURE_KEYPOINTS, 2) in shoulder
    widths, recorded at fps frames per second."""

    label: str
    keypoints: np.ndarray
    fps: float
    sample_id: str
    split: str | None = None
    source: dict[str, Any] = field(default_factory=dict)


@dataclass
class GestureDataset:
    """A data set read from disk; labels in class order, sha256 verified against the data."""

    labels: list[str]
    samples: list[GestureSample]
    sha256: str
    description: str = ""

    def split(self, name: str | None) -> list[GestureSample]:
        """Samples whose split is name ("train", "test" or None)."""
        return [s for s in self.samples if s.split == name]


def data_sha256(samples: list[GestureSample], labels: list[str]) -> str:
    """Content hash of a data set (independent of file compression and timestamps)."""
    digest = hashlib.sha256()
    digest.update(json.dumps(list(labels)).encode())
    for sample in samples:
        array = np.ascontiguousarray(sample.keypoints, dtype="<f4")
        digest.update(json.dumps([sample.label, float(sample.fps), list(array.shape)]).encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def write_dataset(
    directory: str | Path,
    samples: list[GestureSample],
    *,
    labels: list[str] | None = None,
    description: str = "",
) -> str:
    """Write samples as a data set directory (created if needed) and return its sha256.

    labels fixes the class order; None uses the sorted set of the samples' labels.
    """
    if not samples:
        raise ValueError("a gesture data set needs at least one sample.")
    labels = list(labels) if labels is not None else sorted({s.label for s in samples})
    for sample in samples:
        _check_sample(sample, labels)
    if len({s.sample_id for s in samples}) != len(samples):
        raise ValueError("sample ids must be unique within a data set.")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    arrays = {_key(i): np.asarray(s.keypoints, dtype=np.float32) for i, s in enumerate(samples)}
    np.savez_compressed(directory / SEQUENCES_NAME, **arrays)
    sha = data_sha256(samples, labels)
    manifest = {
        "format": DATASET_FORMAT,
        "version": DATASET_VERSION,
        "keypoint_layout": list(GESTURE_KEYPOINTS),
        "units": "shoulder widths, centred on the shoulder midpoint, x right, y down",
        "labels": labels,
        "sha256": sha,
        "description": description,
        "samples": [
            {
                "id": s.sample_id,
                "label": s.label,
                "fps": float(s.fps),
                "n_frames": int(s.keypoints.shape[0]),
                "split": s.split,
                "source": s.source,
            }
            for s in samples
        ],
    }
    (directory / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1))
    return sha


def read_dataset(directory: str | Path) -> GestureDataset:
    """Read and verify a data set directory written by write_dataset."""
    directory = Path(directory)
    manifest_path, sequences_path = directory / MANIFEST_NAME, directory / SEQUENCES_NAME
    for path in (manifest_path, sequences_path):
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} does not exist; a gesture data set directory needs {MANIFEST_NAME} and {SEQUENCES_NAME} "
                "(make one with `python -m analysis.gestures synth` or the platform's export)."
            )
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("format") != DATASET_FORMAT or manifest.get("version") != DATASET_VERSION:
        raise ValueError(f"{manifest_path} is not a {DATASET_FORMAT} version {DATASET_VERSION} manifest.")
    if manifest.get("keypoint_layout") != list(GESTURE_KEYPOINTS):
        raise ValueError(f"{manifest_path} uses another keypoint layout than analysis.gestures.normalise.")
    labels = list(manifest["labels"])
    with np.load(sequences_path) as arrays:
        samples = [
            GestureSample(
                label=entry["label"],
                keypoints=arrays[_key(i)],
                fps=float(entry["fps"]),
                sample_id=entry["id"],
                split=entry.get("split"),
                source=entry.get("source") or {},
            )
            for i, entry in enumerate(manifest["samples"])
        ]
    for sample in samples:
        _check_sample(sample, labels)
    sha = data_sha256(samples, labels)
    if sha != manifest["sha256"]:
        raise ValueError(
            f"the data in {directory} do not match the sha256 in its manifest (the files were changed or "
            "truncated); export the data set again."
        )
    return GestureDataset(
        labels=labels, samples=samples, sha256=sha, description=manifest.get("description", "")
    )


def sample_from_tracks(
    tracks: Tracks,
    start_s: float,
    end_s: float,
    label: str,
    *,
    sample_id: str,
    split: str | None = None,
    source: dict[str, Any] | None = None,
) -> GestureSample:
    """A training sample from a reviewed event [start_s, end_s] of a recording's tracks.

    The frame rate is the median rate of the tracks' rows inside the event.
    """
    keypoints = reference_from_tracks(tracks, start_s, end_s)
    rows = tracks.patient() if tracks.is_patient.any() else tracks
    times = rows.time_s[(rows.time_s >= start_s) & (rows.time_s <= end_s)]
    fps = 1.0 / float(np.median(np.diff(times)))
    return GestureSample(label, keypoints, fps, sample_id, split, dict(source or {}))


def _key(index: int) -> str:
    return f"sample_{index:06d}"


def _check_sample(sample: GestureSample, labels: list[str]) -> None:
    shape = np.shape(sample.keypoints)
    if len(shape) != 3 or shape[1:] != (N_GESTURE_KEYPOINTS, 2) or shape[0] < 2:
        raise ValueError(
            f"sample {sample.sample_id!r} has keypoints of shape {shape}; expected (n_frames >= 2, "
            f"{N_GESTURE_KEYPOINTS}, 2)."
        )
    if sample.label not in labels:
        raise ValueError(f"sample {sample.sample_id!r} has label {sample.label!r}, which is not in {labels}.")
    if sample.split not in SPLITS:
        raise ValueError(
            f"sample {sample.sample_id!r} has split {sample.split!r}; use 'train', 'test' or null."
        )
    if not sample.fps > 0:
        raise ValueError(f"sample {sample.sample_id!r} has a non-positive frame rate {sample.fps}.")

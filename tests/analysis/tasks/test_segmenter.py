"""The segmenter's smoothing and refusal, model files with their manifest, and task data sets."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from analysis.tasks.dataset import TaskSequence, data_sha256, frame_labels, read_dataset, write_dataset
from analysis.tasks.features import FEATURE_NAMES, N_FEATURES
from analysis.tasks.model import (
    MODEL_FORMAT,
    SegmenterConfig,
    TaskSegmenter,
    load_model,
    manifest_path,
    save_model,
)
from analysis.tasks.segmenter import NO_MODEL_MESSAGE, NoTaskModel, remove_short_runs, segment
from analysis.tasks.segments import TaskSegment

SMALL = SegmenterConfig(channels=8, layers=3, stages=2)


def test_short_runs_go_to_the_longer_neighbour() -> None:
    labels = np.array([1, 1, 1, 1, 2, 1, 1, 1, 0, 0, 0, 0, 0, 3, 3])
    # the lone 2 (1 frame) joins the 1s (4 and 3 frames either side); the two 3s at the end have
    # one neighbour, the background
    expected = np.array([1] * 8 + [0] * 7)
    assert np.array_equal(remove_short_runs(labels, 3), expected)
    assert np.array_equal(remove_short_runs(np.array([2, 2]), 5), np.array([2, 2]))  # one run stays


def test_no_model_means_no_segments_and_a_sentence() -> None:
    with pytest.raises(NoTaskModel, match="mark the tasks by hand"):
        segment(np.zeros((10, N_FEATURES)), 5.0, None)
    assert "mark the tasks by hand" in NO_MODEL_MESSAGE


def _model() -> TaskSegmenter:
    torch.manual_seed(0)
    model = TaskSegmenter(["pill_box", "phone_call"], config=SMALL)
    model.set_standardisation([np.random.default_rng(0).normal(size=(30, N_FEATURES))])
    model.data_sha256, model.metrics = "ab" * 32, {"test": {"f1@50": 0.9}}
    return model.eval()


def test_model_file_round_trip_with_its_manifest(tmp_path: Path) -> None:
    model = _model()
    values = np.random.default_rng(1).normal(size=(40, N_FEATURES)).astype(np.float32)
    values[5:9] = np.nan  # frames not measured
    manifest = save_model(model, tmp_path / "task.pt")
    assert manifest == manifest_path(tmp_path / "task.pt") == tmp_path / "task.manifest.json"
    written = json.loads(manifest.read_text())
    assert written["format"] == MODEL_FORMAT and written["task_codes"] == ["pill_box", "phone_call"]
    assert written["feature_names"] == list(FEATURE_NAMES) and written["data_sha256"] == "ab" * 32
    assert written["metrics"]["test"]["f1@50"] == 0.9 and written["rate_hz"] == 5.0
    loaded = load_model(tmp_path / "task.pt")
    assert loaded.classes == ["idle", "pill_box", "phone_call"]
    before, after = model.frame_probabilities(values), loaded.frame_probabilities(values)
    assert before.shape == (40, 3) and np.isfinite(after).all()
    assert np.allclose(before, after, atol=1e-6) and np.allclose(after.sum(axis=1), 1.0, atol=1e-5)


def test_segments_from_a_model_are_valid_task_segments() -> None:
    model = _model()
    values = np.random.default_rng(2).normal(size=(100, N_FEATURES)).astype(np.float32)
    segments = segment(values, 10.0, model, min_duration_s=1.0)  # 10 fps in, resampled to 5 Hz
    for s in segments:
        assert s.task_code in ("pill_box", "phone_call") and 0 <= s.start_s < s.end_s <= 10.0
        assert s.confidence is not None and 0.0 <= s.confidence <= 1.0


def test_load_refuses_other_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"python -m analysis\.tasks train"):
        load_model(tmp_path / "absent.pt")
    torch.save({"weights": 1}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a task model"):
        load_model(tmp_path / "other.pt")


def test_frame_labels_from_marked_segments() -> None:
    time_s = np.arange(10) * 0.5
    segments = [
        TaskSegment("pill_box", 1.0, 2.0),
        TaskSegment("phone_call", 3.0, 9.0),
        TaskSegment("x", 0, 1),
    ]
    labels = frame_labels(segments, time_s, ["idle", "pill_box", "phone_call"])
    assert labels.tolist() == [0, 0, 1, 1, 0, 0, 2, 2, 2, 2]


def test_dataset_round_trip_hash_and_tamper_refusal(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    sequences = [
        TaskSequence(
            f"s{i}",
            rng.normal(size=(12, N_FEATURES)).astype(np.float32),
            rng.integers(0, 3, 12),
            np.arange(12) / 5.0,
            split,
        )
        for i, split in enumerate(("train", "test"))
    ]
    classes = ["idle", "pill_box", "phone_call"]
    sha = write_dataset(tmp_path / "set", sequences, classes, 5.0)
    assert sha == data_sha256(sequences, classes, 5.0) and len(sha) == 64
    dataset = read_dataset(tmp_path / "set")
    assert dataset.sha256 == sha and [s.subject for s in dataset.split("test")] == ["s1"]
    assert np.array_equal(dataset.sequences[0].values, sequences[0].values)
    np.savez_compressed(
        tmp_path / "set" / "00000.npz",
        values=sequences[1].values,
        labels=sequences[0].labels,
        time_s=sequences[0].time_s,
    )
    with pytest.raises(ValueError, match="sha256"):
        read_dataset(tmp_path / "set")
    with pytest.raises(ValueError, match="outside"):
        write_dataset(tmp_path / "bad", sequences, ["idle", "pill_box"], 5.0)

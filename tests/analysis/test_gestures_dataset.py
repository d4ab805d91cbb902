"""The on-disk gesture data set: round trip, content hash, and the errors a person sees."""

import json

import numpy as np
import pytest

from analysis.gestures.dataset import (
    GestureSample,
    data_sha256,
    read_dataset,
    sample_from_tracks,
    write_dataset,
)
from analysis.gestures.synthetic import GESTURES, GestureStyle, synth_session, write_synthetic_dataset


def _samples() -> list[GestureSample]:
    rng = np.random.default_rng(0)
    return [
        GestureSample(
            "wave", rng.normal(size=(12, 20, 2)).astype(np.float32), 15.0, "a", "train", {"event": 1}
        ),
        GestureSample("point", rng.normal(size=(20, 20, 2)).astype(np.float32), 30.0, "b", "test"),
        GestureSample("wave", np.full((5, 20, 2), np.nan, dtype=np.float32), 10.0, "c"),
    ]


def test_it_round_trips_samples_and_their_hash(tmp_path):
    samples = _samples()
    sha = write_dataset(tmp_path / "set", samples, labels=["wave", "point"], description="demo")
    dataset = read_dataset(tmp_path / "set")
    assert dataset.labels == ["wave", "point"]
    assert dataset.sha256 == sha == data_sha256(samples, ["wave", "point"])
    assert [s.sample_id for s in dataset.split("train")] == ["a"]
    assert [s.sample_id for s in dataset.split(None)] == ["c"]
    for written, read in zip(samples, dataset.samples, strict=True):
        np.testing.assert_array_equal(written.keypoints, read.keypoints)  # NaN included
        assert (read.label, read.fps, read.split, read.source) == (
            written.label,
            written.fps,
            written.split,
            written.source,
        )
    manifest = json.loads((tmp_path / "set" / "manifest.json").read_text())
    assert manifest["sha256"] == sha and manifest["samples"][1]["n_frames"] == 20


def test_the_hash_depends_on_the_content_not_on_the_file(tmp_path):
    samples = _samples()
    assert write_dataset(tmp_path / "a", samples) == write_dataset(tmp_path / "b", samples)
    samples[0].keypoints[0, 0, 0] += 1e-3
    assert write_dataset(tmp_path / "c", samples) != write_dataset(tmp_path / "a", _samples())


def test_changed_data_are_refused(tmp_path):
    write_dataset(tmp_path, _samples())
    with np.load(tmp_path / "sequences.npz") as arrays:
        data = {key: arrays[key] for key in arrays.files}
    data["sample_000000"] = data["sample_000000"] * 2
    np.savez_compressed(tmp_path / "sequences.npz", **data)
    with pytest.raises(ValueError, match="do not match the sha256"):
        read_dataset(tmp_path)


def test_it_explains_what_is_wrong(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"manifest\.json"):
        read_dataset(tmp_path / "nowhere")
    bad_shape = GestureSample("wave", np.zeros((10, 33, 2)), 15.0, "x")
    with pytest.raises(ValueError, match="expected \\(n_frames >= 2, 20, 2\\)"):
        write_dataset(tmp_path, [bad_shape])
    with pytest.raises(ValueError, match="not in"):
        write_dataset(tmp_path, _samples(), labels=["wave"])
    with pytest.raises(ValueError, match="unique"):
        write_dataset(tmp_path, [_samples()[0], _samples()[0]])


def test_a_reviewed_event_becomes_a_sample():
    tracks, _ = synth_session([("tap", 1.0, GestureStyle(duration_s=2.0))], duration_s=4.0, fps=25.0)
    sample = sample_from_tracks(
        tracks, 1.0, 3.0, "tap", sample_id="rec7-ev3", split="train", source={"event": 3}
    )
    assert sample.keypoints.shape == (51, 20, 2)  # 2 s at 25 fps, both ends included
    assert sample.fps == pytest.approx(25.0)
    assert (sample.label, sample.split, sample.source) == ("tap", "train", {"event": 3})


def test_the_synthetic_set_has_every_gesture_in_both_splits(tmp_path):
    sha = write_synthetic_dataset(tmp_path, per_class=4, seed=2)
    dataset = read_dataset(tmp_path)
    assert dataset.sha256 == sha
    assert dataset.labels == list(GESTURES)
    assert sorted(s.label for s in dataset.split("test")) == sorted(GESTURES)  # 1 of 4 per class
    assert len(dataset.split("train")) == 3 * len(GESTURES)
    assert write_synthetic_dataset(tmp_path / "again", per_class=4, seed=2) == sha  # deterministic

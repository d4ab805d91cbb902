"""manage.py gesture_training_set: only confirmed or corrected events of patients whose current
consent includes model_training become samples; everything else is left out with a reason."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from analysis.gestures.dataset import read_dataset
from analysis.gestures.scoring import reference_from_tracks
from audit.models import AccessEvent
from results.gesture_references import tracks_for_job
from results.models import ModelVersion


def _run(*args) -> str:
    stdout = io.StringIO()
    call_command("gesture_training_set", *args, stdout=stdout)
    return stdout.getvalue()


def test_it_exports_only_reviewed_events_of_consenting_patients(world, reviewed_sessions, tmp_path):
    out = tmp_path / "set"
    printed = _run("--out", str(out), "--min-per-label", "1")
    dataset = read_dataset(out)
    _, events, tracks = reviewed_sessions[world.patient.code]
    ids = [sample.sample_id for sample in dataset.samples]
    assert sorted(ids) == sorted(f"event-{events[i].pk}" for i in (0, 1, 2, 3, 4))
    labels = {sample.sample_id: sample.label for sample in dataset.samples}
    assert labels[f"event-{events[4].pk}"] == "point"  # renamed in the review note
    assert labels[f"event-{events[1].pk}"] == "circle"
    assert dataset.labels == ["circle", "point", "wave"]
    # The corrected times are the ones cut out of the stored tracks.
    corrected = next(s for s in dataset.samples if s.sample_id == f"event-{events[2].pk}")
    expected = reference_from_tracks(tracks, events[2].start_s - 0.2, events[2].end_s)
    np.testing.assert_array_equal(corrected.keypoints, expected)
    assert corrected.fps == pytest.approx(15.0)
    assert corrected.source["review_id"] is not None
    assert all(sample.split is None for sample in dataset.samples)
    # What was left out, and why, is printed: 2 other patients x 5 kept events, 3 rejected tap
    # events, 3 never-reviewed events, one body-rocking event that is not a gesture.
    manifest = json.loads((out / "manifest.json").read_text())
    assert f"data sha256: {manifest['sha256']}" in printed
    assert "wrote 5 sample(s)" in printed
    assert "10 event(s): the patient's current consent does not include model_training" in printed
    assert "3 event(s): rejected by the clinician" in printed
    assert "3 event(s): not reviewed by a clinician" in printed
    assert "1 event(s): not a gesture after review" in printed
    audit = AccessEvent.objects.filter(object_type="gesture_training_set")
    assert list(audit.values_list("patient_code", flat=True)) == [world.patient.code]


def test_it_includes_every_kind_when_asked(world, reviewed_sessions, tmp_path):
    printed = _run("--out", str(tmp_path / "all"), "--all-kinds", "--min-per-label", "1")
    dataset = read_dataset(tmp_path / "all")
    assert dataset.labels == ["body_rocking", "circle", "point", "wave"]
    assert "not a gesture after review" not in printed


def test_it_drops_labels_with_too_few_samples(world, reviewed_sessions, tmp_path):
    printed = _run("--out", str(tmp_path / "min2"))  # circle has one sample left
    assert read_dataset(tmp_path / "min2").labels == ["point", "wave"]
    assert "1 event(s): its label has fewer samples than the minimum per label" in printed


def test_it_gives_stable_test_splits(world, reviewed_sessions, tmp_path):
    _run("--out", str(tmp_path / "a"), "--min-per-label", "1", "--test-fraction", "0.5")
    _run("--out", str(tmp_path / "b"), "--min-per-label", "1", "--test-fraction", "0.5")
    a, b = read_dataset(tmp_path / "a"), read_dataset(tmp_path / "b")
    assert [s.split for s in a.samples] == [s.split for s in b.samples]
    assert set(s.split for s in a.samples) <= {"train", "test"}
    assert a.sha256 == b.sha256  # same data, same hash


def test_it_leaves_out_events_whose_tracks_are_gone(world, reviewed_sessions, tmp_path):
    job, _, _ = reviewed_sessions[world.patient.code]
    job.tracks_file.delete(save=True)
    with pytest.raises(CommandError, match="5 the analysis has no stored tracks"):
        _run("--out", str(tmp_path / "none"), "--min-per-label", "1")


def test_it_reads_tracks_through_storage(world, reviewed_sessions):
    job, _, tracks = reviewed_sessions[world.patient.code]
    np.testing.assert_array_equal(tracks_for_job(job=job).pose_xy, tracks.pose_xy)


def test_a_model_trained_on_the_export_is_registered_with_its_hash(world, reviewed_sessions, tmp_path):
    """Clinicians' reviews -> training set -> trained, registered and active model."""
    out = tmp_path / "reviewed"
    _run("--out", str(out))  # wave and point have 2 samples each
    sha = read_dataset(out).sha256
    call_command(
        "gesture_model_train",
        "--data",
        str(out),
        "--epochs",
        "3",
        "--device",
        "cpu",
        "--model-version",
        "from-reviews",
        "--activate",
        stdout=io.StringIO(),
    )
    version = ModelVersion.objects.get(version="from-reviews")
    assert version.is_active and version.training_data_sha256 == sha
    assert version.metrics["labels"] == ["point", "wave"]
    assert version.metrics["evaluation_split"].startswith("all samples")  # no test split: said so

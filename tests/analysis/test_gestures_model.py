"""The TCN gesture classifier learns synthetic gestures; evaluation, saving and loading."""

import math

import numpy as np
import pytest
import torch

from analysis.gestures.dataset import read_dataset
from analysis.gestures.evaluate import evaluate, format_report
from analysis.gestures.model import GestureClassifier, ModelConfig, load_model, resample, resolve_device
from analysis.gestures.synthetic import (
    GESTURES,
    GestureStyle,
    synth_session,
    write_synthetic_dataset,
)
from analysis.gestures.train import train
from analysis.metrics.praxis import compute_praxis

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """24 performances per gesture: 18 to train (15 fit + 3 validation), 6 held out as test.

    One CPU thread, 25 epochs at most: about 15 s on a laptop core.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("gestures")
    write_synthetic_dataset(root / "data", per_class=24, seed=0)
    result = train(root / "data", root / "model.pt", epochs=25, seed=0, device="cpu")
    torch.set_num_threads(threads)
    return root, result


def test_it_learns_the_gestures_of_people_it_has_not_seen(trained):
    _, result = trained
    assert result.metrics["n_test"] == 6 * len(GESTURES)
    assert result.metrics["test_accuracy"] >= 0.9
    assert result.metrics["device"] == "cpu"
    assert 1 <= result.metrics["best_epoch"] <= result.metrics["epochs_run"] <= 25


def test_evaluate_reports_per_class_precision_recall_and_draws_the_confusion_matrix(
    trained, tmp_path, capsys
):
    root, result = trained
    report = evaluate(root / "model.pt", root / "data", tmp_path / "confusion.png", device="cpu")
    print(format_report(report))
    printed = capsys.readouterr().out
    assert report.accuracy == pytest.approx(result.metrics["test_accuracy"], abs=1e-4)
    assert report.confusion.shape == (len(GESTURES), len(GESTURES))
    assert report.confusion.sum() == report.n_samples == 6 * len(GESTURES)
    assert report.labels == list(GESTURES)
    for label in GESTURES:
        assert label in printed
        row = GESTURES.index(label)
        confusion = report.confusion
        assert report.recall[label] == pytest.approx(confusion[row, row] / confusion[row].sum())
        assert report.precision[label] == pytest.approx(confusion[row, row] / confusion[:, row].sum())
    assert (tmp_path / "confusion.png").read_bytes()[:8] == PNG_MAGIC


def test_the_saved_model_keeps_its_labels_metrics_and_data_hash(trained):
    root, result = trained
    model = load_model(root / "model.pt", device="cpu")
    assert model.labels == list(GESTURES)
    assert model.data_sha256 == result.data_sha256 == read_dataset(root / "data").sha256
    assert model.metrics["test_accuracy"] == result.metrics["test_accuracy"]
    assert not model.training


def test_predictions_do_not_depend_on_padding_or_on_the_frame_rate(trained):
    root, _ = trained
    model = load_model(root / "model.pt", device="cpu")
    test = read_dataset(root / "data").split("test")
    short = min(test, key=lambda s: len(s.keypoints))
    long = max(test, key=lambda s: len(s.keypoints))
    _, alone = model.predict([short.keypoints], short.fps)
    _, batched = model.predict([short.keypoints, long.keypoints], short.fps)
    np.testing.assert_allclose(alone[0], batched[0], atol=1e-5)  # masking: padding is invisible
    # The same sample delivered at 30 fps (interpolated) is resampled to the model's 15 Hz.
    fast = resample(short.keypoints, short.fps, 30.0)
    labels, _ = model.predict([fast], 30.0)
    assert labels[0] == short.label


def test_compute_praxis_names_gestures_with_the_classifier(trained):
    """Segmentation and naming together, on two typical performances (the template's own style):
    how well the classifier generalises to unusual ones is the held-out test set's accuracy
    above, and which of those it misses depends on the CPU's rounding during training."""
    root, _ = trained
    model = load_model(root / "model.pt", device="cpu")
    plan = [("beckon", 1.0, GestureStyle()), ("grasp", 6.0, GestureStyle())]
    tracks, _ = synth_session(plan, duration_s=10.0, fps=25.0, noise_px=1.0, seed=4)
    events = compute_praxis(tracks, classifier=model).events
    assert [e.attributes["gesture"] for e in events] == ["beckon", "grasp"]
    assert all(e.attributes["predicted_probability"] > 0.5 for e in events)
    assert all(e.attributes["score"] is None for e in events)


def test_a_missing_model_file_is_named():
    with pytest.raises(FileNotFoundError, match=r"no-such-model\.pt"):
        load_model("no-such-model.pt")


def test_a_causal_model_handles_any_length():
    torch.manual_seed(0)
    model = GestureClassifier(["a", "b"], ModelConfig(causal=True, channels=8))
    labels, probs = model.predict([np.zeros((3, 20, 2)), np.ones((70, 20, 2))])
    assert len(labels) == 2 and probs.shape == (2, 2)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)
    assert not math.isnan(probs.sum())


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on a machine without CUDA")
def test_asking_for_cuda_without_it_says_so():
    with pytest.raises(RuntimeError, match="CUDA was requested"):
        resolve_device("cuda")
    assert resolve_device(None).type == "cpu"


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_it_trains_and_predicts_on_cuda(tmp_path):
    write_synthetic_dataset(tmp_path / "data", per_class=8, seed=1)
    result = train(tmp_path / "data", tmp_path / "model.pt", epochs=3, seed=0, device="cuda")
    assert result.metrics["device"] == "cuda"
    model = load_model(tmp_path / "model.pt")  # None: CUDA when available
    assert next(model.parameters()).is_cuda
    labels, _ = model.predict([s.keypoints for s in read_dataset(tmp_path / "data").samples[:4]])
    assert len(labels) == 4

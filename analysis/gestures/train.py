"""Train the gesture classifier on a data set directory and save it with its metrics and data hash.

Samples of split "train" or null are used for training, minus a stratified validation part
(validation_fraction of each class, at least one sample) that drives early stopping: training
stops when the validation loss has not improved for `patience` epochs, and the weights of the best
epoch are kept. Samples of split "test" are never seen in training; when present, the saved
metrics include the test accuracy and per-class precision and recall. Everything random (split,
initial weights, batch order, dropout) follows `seed`.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from analysis.gestures.dataset import GestureSample, read_dataset
from analysis.gestures.evaluate import evaluate_samples
from analysis.gestures.model import (
    GestureClassifier,
    ModelConfig,
    pad_batch,
    resolve_device,
    save_model,
    sequence_features,
)


@dataclass(frozen=True)
class TrainResult:
    """metrics: what save_model stored with the weights; data_sha256: the data set's hash."""

    metrics: dict[str, Any]
    data_sha256: str
    model_path: Path
    labels: list[str]


def train(
    data_dir: str | Path,
    out_path: str | Path,
    *,
    epochs: int = 60,
    seed: int = 0,
    device: str | None = None,
    batch_size: int = 32,
    learning_rate: float = 3e-3,
    patience: int = 10,
    validation_fraction: float = 0.15,
    config: ModelConfig | None = None,
) -> TrainResult:
    """Train a GestureClassifier on data_dir and save it to out_path (one file, see model.save_model).

    Returns
    -------
    TrainResult with metrics: train/val accuracy, val loss, best and last epoch, sample counts,
    seconds, device, seed, and test_accuracy / test_precision / test_recall when the data set has
    a test split.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1; got {epochs}.")
    started = time.perf_counter()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    target = resolve_device(device)
    dataset = read_dataset(data_dir)
    pool = [s for s in dataset.samples if s.split != "test"]
    fit, validation = _stratified_split(pool, validation_fraction, rng)
    config = config if config is not None else ModelConfig()
    model = GestureClassifier(dataset.labels, config).to(target)
    index = {label: i for i, label in enumerate(dataset.labels)}

    def tensors(samples: list[GestureSample]) -> tuple[list[np.ndarray], torch.Tensor]:
        features = [sequence_features(s.keypoints, s.fps, config.sample_rate_hz) for s in samples]
        return features, torch.tensor([index[s.label] for s in samples], dtype=torch.long)

    fit_x, fit_y = tensors(fit)
    val_x, val_y = tensors(validation)
    optimiser = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=1e-4)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(seed)
    best = {"loss": float("inf"), "epoch": 0, "state": copy.deepcopy(model.state_dict())}
    epoch = 0
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(fit_x), generator=generator).tolist()
        for first in range(0, len(order), batch_size):
            rows = order[first : first + batch_size]
            x, mask = pad_batch([fit_x[i] for i in rows])
            optimiser.zero_grad()
            loss = loss_fn(model(x.to(target), mask.to(target)), fit_y[rows].to(target))
            loss.backward()
            optimiser.step()
        val_loss, _ = _loss_and_accuracy(model, val_x, val_y, loss_fn, target)
        if val_loss < best["loss"] - 1e-4:
            best = {"loss": val_loss, "epoch": epoch, "state": copy.deepcopy(model.state_dict())}
        elif epoch - best["epoch"] >= patience:
            break
    model.load_state_dict(best["state"])
    _, train_accuracy = _loss_and_accuracy(model, fit_x, fit_y, loss_fn, target)
    val_loss, val_accuracy = _loss_and_accuracy(model, val_x, val_y, loss_fn, target)
    metrics: dict[str, Any] = {
        "train_accuracy": round(train_accuracy, 4),
        "val_accuracy": round(val_accuracy, 4),
        "val_loss": round(val_loss, 4),
        "best_epoch": int(best["epoch"]),
        "epochs_run": epoch,
        "n_train": len(fit),
        "n_val": len(validation),
        "seed": seed,
        "device": target.type,
    }
    test = dataset.split("test")
    if test:
        report = evaluate_samples(model, test).to_json()
        metrics |= {
            "n_test": len(test),
            "test_accuracy": report["accuracy"],
            "test_precision": report["precision"],
            "test_recall": report["recall"],
        }
    metrics["train_seconds"] = round(time.perf_counter() - started, 2)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    save_model(model, out_path, metrics=metrics, data_sha256=dataset.sha256)
    return TrainResult(
        metrics=metrics, data_sha256=dataset.sha256, model_path=out_path, labels=dataset.labels
    )


def _stratified_split(
    samples: list[GestureSample], fraction: float, rng: np.random.Generator
) -> tuple[list[GestureSample], list[GestureSample]]:
    """(fit, validation): per label, round(fraction * n) samples (at least 1) go to validation."""
    if not 0 < fraction < 1:
        raise ValueError(f"validation_fraction must be between 0 and 1; got {fraction}.")
    by_label: dict[str, list[GestureSample]] = {}
    for sample in samples:
        by_label.setdefault(sample.label, []).append(sample)
    fit: list[GestureSample] = []
    validation: list[GestureSample] = []
    for label, group in sorted(by_label.items()):
        if len(group) < 2:
            raise ValueError(f"gesture {label!r} has {len(group)} training sample(s); at least 2 are needed.")
        order = rng.permutation(len(group))
        n_val = min(len(group) - 1, max(1, round(fraction * len(group))))
        validation += [group[i] for i in order[:n_val]]
        fit += [group[i] for i in order[n_val:]]
    return fit, validation


@torch.no_grad()
def _loss_and_accuracy(
    model: GestureClassifier,
    features: list[np.ndarray],
    targets: torch.Tensor,
    loss_fn: nn.Module,
    device: torch.device,
) -> tuple[float, float]:
    model.eval()
    x, mask = pad_batch(features)
    logits = model(x.to(device), mask.to(device)).cpu()
    return float(loss_fn(logits, targets)), float((logits.argmax(dim=1) == targets).float().mean())

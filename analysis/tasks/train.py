"""Train the task segmenter on labelled sessions and measure it on held-out ones.

Training: Adam (learning rate 5e-3, weight decay 1e-4), one whole session per step by default
(batch_size 1, as in MS-TCN: on the synthetic set it reached F1@50 0.92 where batches of 4 reached
0.82 for the same time; larger batches are zero padded, the padding masked out of the loss), for
a fixed number of epochs; everything random (initial
weights, batch order, dropout) follows seed. CPU threads are capped (threads, default 1) because
the machines that train it are shared. The returned model carries metrics (training figures, and
the held-out measures of evaluation.evaluate when test sessions are given) and the training
data's sha256, both saved with it (model.save_model).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from analysis.tasks.dataset import TaskSequence
from analysis.tasks.evaluation import evaluate
from analysis.tasks.model import SegmenterConfig, TaskSegmenter
from analysis.tasks.segmenter import MIN_DURATION_S, predict_labels


def _batch(sequences: Sequence[TaskSequence]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    longest = max(len(s.labels) for s in sequences)
    n_features = sequences[0].values.shape[1]
    x = np.zeros((len(sequences), longest, n_features), dtype=np.float32)
    y = np.zeros((len(sequences), longest), dtype=np.int64)
    mask = np.zeros((len(sequences), longest), dtype=bool)
    for row, s in enumerate(sequences):
        x[row, : len(s.labels)] = s.values
        y[row, : len(s.labels)] = s.labels
        mask[row, : len(s.labels)] = True
    return torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(mask)


def evaluate_model(
    model: TaskSegmenter, sequences: Sequence[TaskSequence], min_duration_s: float = MIN_DURATION_S
) -> dict[str, float]:
    """Accuracy, edit and F1@10/25/50 of the segmenter's smoothed labels against the sequences'."""
    predicted = [predict_labels(model, s.values, min_duration_s) for s in sequences]
    return evaluate(predicted, [s.labels for s in sequences])


def train_segmenter(
    sequences: Sequence[TaskSequence],
    classes: Sequence[str],
    *,
    test_sequences: Sequence[TaskSequence] = (),
    epochs: int = 40,
    seed: int = 0,
    batch_size: int = 1,
    learning_rate: float = 5e-3,
    config: SegmenterConfig | None = None,
    threads: int = 1,
    data_sha256: str = "",
) -> TaskSegmenter:
    """A TaskSegmenter for classes (background first) trained on sequences (see the module)."""
    if epochs < 1 or not sequences:
        raise ValueError("training needs at least one epoch and one labelled session.")
    started = time.perf_counter()
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(max(1, threads))
    try:
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        model = TaskSegmenter(list(classes[1:]), classes[0], config)
        model.set_standardisation([s.values for s in sequences])
        optimiser = torch.optim.Adam(model.parameters(), lr=learning_rate, weight_decay=1e-4)
        model.train()
        losses: list[float] = []
        for _ in range(epochs):
            order = rng.permutation(len(sequences))
            epoch_loss = 0.0
            for first in range(0, len(order), batch_size):
                x, y, mask = _batch([sequences[i] for i in order[first : first + batch_size]])
                loss = model.loss(model(x, mask), y, mask)
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                epoch_loss += loss.item() * len(x)
            losses.append(epoch_loss / len(sequences))
        model.eval()
        seconds = time.perf_counter() - started
        metrics: dict[str, Any] = {
            "epochs": epochs,
            "seed": seed,
            "final_loss": losses[-1],
            "train_sequences": len(sequences),
            "train_frames": int(sum(len(s.labels) for s in sequences)),
            "training_seconds": round(seconds, 2),
            "threads": max(1, threads),
            "train": evaluate_model(model, sequences),
        }
        if test_sequences:
            metrics["test"] = evaluate_model(model, test_sequences)
        model.metrics, model.data_sha256 = metrics, data_sha256
        return model
    finally:
        torch.set_num_threads(previous_threads)

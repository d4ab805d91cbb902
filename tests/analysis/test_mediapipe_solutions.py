"""The analysis imports MediaPipe's four legacy solutions without the rest of the package, and
the package stays whole for any other code of the same process; run_graph gives what the
solutions' own process() gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from analysis import mediapipe_solutions
from analysis.mediapipe_solutions import run_graph
from analysis.video import iter_frames
from tests.analysis.fresh_process import fresh_process_output

_CHILD = """
import sys
import numpy as np
from analysis import mediapipe_solutions
from analysis.face import FaceMeshModel
from analysis.face_detection import FaceDetector
from analysis.hands import HandsModel
from analysis.pose import PoseModel

skipped = [name for name in ("matplotlib", "mediapipe.tasks", "sounddevice") if name in sys.modules]
assert not skipped, f"imported: {skipped}"
image = np.full((240, 320, 3), 128, dtype=np.uint8)
for model in (PoseModel(), HandsModel(), FaceMeshModel(max_faces=1)):
    assert model.version == mediapipe_solutions.VERSION
    model.process(image)
    model.close()
with FaceDetector() as detector:
    detector.process(image)

import mediapipe as mp

assert mp.solutions.pose.Pose is mediapipe_solutions.pose.Pose
assert mp.solutions.drawing_utils.draw_landmarks
assert mp.tasks.vision.FaceLandmarker
assert mp.Image
assert mp.__version__ == mediapipe_solutions.VERSION
print("ok")
"""


def test_the_models_import_without_drawing_and_tasks_and_the_package_stays_whole() -> None:
    assert fresh_process_output(_CHILD) == "ok"


def _landmarks(results: object) -> list[list[tuple[float, float, float]]]:
    """Every landmark list of a solution's output (one per body, hand or face) as numbers."""
    if results is None:
        return []
    lists = results if isinstance(results, list) else [results]
    return [[(p.x, p.y, p.z) for p in found.landmark] for found in lists]


@pytest.mark.parametrize(
    ("make", "stream", "found"),
    [
        (lambda: mediapipe_solutions.pose.Pose(model_complexity=1), "pose_landmarks", True),
        (lambda: mediapipe_solutions.face_mesh.FaceMesh(refine_landmarks=True), "multi_face_landmarks", True),
        # The session's photo shows no hand: both must find none, with their graphs in step.
        (lambda: mediapipe_solutions.hands.Hands(max_num_hands=2), "multi_hand_landmarks", False),
    ],
)
def test_run_graph_gives_what_process_gives_frame_after_frame(
    person_video: Path, make: Any, stream: str, found: bool
) -> None:
    # Two graphs in video mode, fed the same frames: their tracking must go the same way.
    frames = [np.ascontiguousarray(f.image_rgb) for f in iter_frames(person_video, 5.0)][:8]
    seen = []
    with make() as by_process, make() as by_run_graph:
        for frame in frames:
            want = _landmarks(getattr(by_process.process(frame), stream))
            assert _landmarks(run_graph(by_run_graph, frame, (stream,))[stream]) == want
            seen.append(bool(want))
    assert all(seen) if found else not any(seen)


def test_face_detection_through_run_graph_gives_what_process_gives(person_video: Path) -> None:
    frame = np.ascontiguousarray(next(iter_frames(person_video, 5.0)).image_rgb)
    with (
        mediapipe_solutions.face_detection.FaceDetection(model_selection=1) as by_process,
        mediapipe_solutions.face_detection.FaceDetection(model_selection=1) as by_run_graph,
    ):
        want = by_process.process(frame).detections
        got = run_graph(by_run_graph, frame, ("detections",))["detections"]
    assert want and [d.SerializeToString() for d in got] == [d.SerializeToString() for d in want]


def test_run_graph_refuses_an_image_that_is_not_rgb() -> None:
    with mediapipe_solutions.pose.Pose() as pose, pytest.raises(ValueError, match="must be RGB"):
        run_graph(pose, np.zeros((32, 32), np.uint8), ("pose_landmarks",))

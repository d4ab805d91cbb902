"""The analysis imports MediaPipe's four legacy solutions without the rest of the package, and
the package stays whole for any other code of the same process."""

from __future__ import annotations

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

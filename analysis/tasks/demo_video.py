"""A rendered semi-guided session for the demo: a drawn person doing the five tasks, with the true
task segments, so the pipeline and the task model can be shown (and checked) on real pixels.

The person is drawn from the synthetic set's kinematics (synth.session_kinematics, noiseless):
trousers from hips to knees to ankles, a shirt between shoulders and hips, bare arms from
shoulders to elbows to wrists with a darker outline (so an arm in front of the shirt stays
visible), a hand at each wrist, and the astronaut photo's face (analysis.synthetic_video) as the
head, centred on the nose, in an ellipse drawn over the arms: a hand at the ear stays beside the
face, not over it (a hand over a small face made the face detector see a second, larger face and
split the patient's track). MediaPipe Pose follows such drawn limbs (wrists within a few pixels
while the arms do not cross the body), so the pipeline's features of this video are the features
the model was trained on, up to what the drawing cannot show: the hands' fingers (MediaPipe
Hands finds few: the synthetic set has subjects whose hands are never found) and the head's
turns (the photo does not turn and the face mesh often loses it: the synthetic set has subjects
whose head pose stays still, and faces lost for seconds).

The frame rate is synth.SOURCE_FPS (10 fps), so video frame i is kinematic frame i.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import skimage.data

from analysis.synthetic_video import ASTRONAUT_FACE_BOX, write_video
from analysis.tasks.evaluation import label_segments
from analysis.tasks.segments import TaskSegment
from analysis.tasks.synth import BACKGROUND, SOURCE_FPS, TASK_CODES, Kinematics, session_kinematics

ROOM_RGB = (214, 210, 200)
FLOOR_RGB = (170, 160, 150)
SHIRT_RGB = (60, 90, 160)
TROUSERS_RGB = (50, 50, 60)
SKIN_RGB = (225, 180, 150)
OUTLINE_RGB = (120, 80, 60)
DEMO_SEED = 8  # all five tasks, read_article first: three order errors
# About 80 s: five tasks of 9-11 s, idle gaps of 4-5.5 s, small enough to analyse in the demo.
DEMO_SIZE = (640, 360)
DEMO_TASK_S = (9.0, 11.0)
DEMO_GAP_S = (4.0, 5.5)
# An older adult's unhurried walk (about 0.5 m/s) between stations near the middle of the room.
# The face tracker follows a face that moves less than a face width between two looks (0.3 s), so a
# faster walk splits the person into two tracks (analysis.people).
DEMO_WALK_SW_S = (0.8, 1.2)
DEMO_STATION_X = (0.35, 0.65)


def face_patch() -> np.ndarray:
    """The astronaut's face and hair without the suit: a square 1.4 face boxes wide, its bottom at
    the chin (a collar under the face would read as shoulders and lift them)."""
    photo = skimage.data.astronaut()
    x, y, w, h = ASTRONAUT_FACE_BOX
    side = photo.shape[0]
    cx, bottom, half = (x + w / 2) * side, (y + h) * side, 0.7 * w * side
    top, left = max(int(bottom - 2 * half), 0), max(int(cx - half), 0)
    return photo[top : int(bottom), left : int(cx + half)]


def _line(canvas: np.ndarray, a: np.ndarray, b: np.ndarray, rgb: tuple[int, int, int], width: float) -> None:
    if np.isfinite(a).all() and np.isfinite(b).all():
        cv2.line(
            canvas, tuple(np.round(a).astype(int)), tuple(np.round(b).astype(int)), rgb, max(1, round(width))
        )


def _paste_face(canvas: np.ndarray, nose: np.ndarray, sw_px: float, face: np.ndarray) -> None:
    """The face photo, 0.8 shoulder widths square, centred on the nose (clipped to the canvas),
    inside an ellipse as wide as the head: what is beside the head (a hand at the ear) stays."""
    if not np.isfinite(nose).all():
        return
    side = max(8, round(0.8 * sw_px))
    patch = cv2.resize(face, (side, side), interpolation=cv2.INTER_AREA)
    inside = np.zeros((side, side), dtype=np.uint8)
    cv2.ellipse(inside, (side // 2, side // 2), (round(0.36 * side), side // 2), 0, 0, 360, 1, -1)
    x, y = np.round(nose - side / 2).astype(int)
    h, w = canvas.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + side, w), min(y + side, h)
    if x1 > x0 and y1 > y0:
        region = canvas[y0:y1, x0:x1]
        keep = inside[y0 - y : y1 - y, x0 - x : x1 - x].astype(bool)
        region[keep] = patch[y0 - y : y1 - y, x0 - x : x1 - x][keep]


def draw_person(canvas: np.ndarray, pose: np.ndarray, sw_px: float, face: np.ndarray) -> None:
    """Draw one frame's person (pose (33, 2) px, shoulder width sw_px) on canvas, in place."""
    for hip, knee, ankle in ((23, 25, 27), (24, 26, 28)):
        _line(canvas, pose[hip], pose[knee], TROUSERS_RGB, 0.32 * sw_px)
        _line(canvas, pose[knee], pose[ankle], TROUSERS_RGB, 0.28 * sw_px)
    shoulders, hips = pose[[11, 12]], pose[[24, 23]]
    outward = np.array([[0.08 * sw_px, 0.0], [-0.08 * sw_px, 0.0]])
    torso = np.concatenate([shoulders + outward, hips]).round().astype(np.int32)
    cv2.fillPoly(canvas, [torso], SHIRT_RGB)
    neck = pose[[11, 12]].mean(axis=0)
    _line(canvas, neck, neck - np.array([0, 0.25 * sw_px]), SKIN_RGB, 0.25 * sw_px)
    for shoulder, elbow, wrist in ((11, 13, 15), (12, 14, 16)):
        for rgb, width in ((OUTLINE_RGB, 0.26 * sw_px), (SKIN_RGB, 0.18 * sw_px)):
            _line(canvas, pose[shoulder], pose[elbow], rgb, width)
            _line(canvas, pose[elbow], pose[wrist], rgb, width * 0.9)
        hand = pose[wrist] + (pose[wrist] - pose[elbow]) * 0.2
        cv2.circle(canvas, tuple(np.round(hand).astype(int)), max(2, round(0.12 * sw_px)), SKIN_RGB, -1)
    _paste_face(canvas, pose[0], sw_px, face)


def truth_segments(kinematics: Kinematics, task_codes: tuple[str, ...] = TASK_CODES) -> list[TaskSegment]:
    """The tasks the drawn person performs, as segments marked by a person (confidence None)."""
    classes = (BACKGROUND, *task_codes)
    return [
        TaskSegment(classes[label], start / SOURCE_FPS, end / SOURCE_FPS)
        for label, start, end in label_segments(kinematics.frame_class)
    ]


def demo_kinematics(
    seed: int = DEMO_SEED, size: tuple[int, int] = DEMO_SIZE, task_s: tuple[float, float] = DEMO_TASK_S
) -> Kinematics:
    """The demo person's movements: tasks of task_s seconds, short idle gaps, an unhurried walk
    between stations near the middle of the room."""
    return session_kinematics(
        np.random.default_rng(seed),
        room_px=size,
        sw_px=0.12 * size[1],
        task_s=task_s,
        gap_s=DEMO_GAP_S,
        walk_sw_s=DEMO_WALK_SW_S,
        station_x=DEMO_STATION_X,
    )


def make_task_demo_video(
    path: str | Path,
    *,
    seed: int = DEMO_SEED,
    size: tuple[int, int] = DEMO_SIZE,
    task_s: tuple[float, float] = DEMO_TASK_S,
) -> tuple[Path, list[TaskSegment]]:
    """Render a semi-guided session (tasks of task_s seconds in a random order) to path (MP4, 10
    fps); returns the path and the true task segments."""
    width, height = size
    kinematics = demo_kinematics(seed, size, task_s)
    face = face_patch()
    floor_y = int(0.62 * height)

    def frame(i: int) -> np.ndarray:
        canvas = np.empty((height, width, 3), dtype=np.uint8)
        canvas[:floor_y] = ROOM_RGB
        canvas[floor_y:] = FLOOR_RGB
        draw_person(canvas, kinematics.pose_px[i], float(kinematics.sw_px[i]), face)
        return canvas

    written = write_video(Path(path), frame, len(kinematics.frame_class), SOURCE_FPS)
    return written, truth_segments(kinematics)


def analyse_demo(
    video_path: str | Path, model_path: str | Path, *, target_fps: float = 10.0
) -> tuple[list[TaskSegment], list[TaskSegment], dict[str, float]]:
    """Render the demo session to video_path, analyse it with the pipeline (MediaPipe), segment
    its features with the model at model_path; returns (true segments, found segments, figures of
    evaluation.evaluate on the features' grid)."""
    # The pipeline and torch load only here: rendering needs neither.
    from analysis.pipeline import analyse_video  # noqa: PLC0415
    from analysis.tasks.dataset import frame_labels  # noqa: PLC0415
    from analysis.tasks.evaluation import evaluate  # noqa: PLC0415
    from analysis.tasks.features import features_from_tracks  # noqa: PLC0415
    from analysis.tasks.model import load_model  # noqa: PLC0415
    from analysis.tasks.segmenter import segment  # noqa: PLC0415

    model = load_model(model_path)
    path, truth = make_task_demo_video(video_path)
    features = features_from_tracks(analyse_video(path, target_fps=target_fps, workers=1).tracks)
    found = segment(features, features.rate_hz, model)
    figures = evaluate(
        [frame_labels(found, features.time_s, model.classes)],
        [frame_labels(truth, features.time_s, model.classes)],
    )
    return truth, found, figures

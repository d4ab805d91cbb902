"""Synthetic session videos with known content and known motion, for the tests and the demo
site (`manage.py demo`): real pixels that the real models analyse, never typed numbers.

The "person" is scikit-image's astronaut photo (a real photograph of a person, so real face, pose
and hand models find her) pasted on a plain background. Motion is a rigid translation of the
photo, so the expected answer of a motion metric is known exactly: a sideways sinusoid of
`motion_hz` between `motion_start_s` and `motion_end_s` is body rocking at that frequency.

Videos are H.264 (libx264) in MP4 when PyAV's bundled FFmpeg has it, else MPEG-4 Part 2.
Keep them small (a few seconds, 320 to 640 px): every test decodes them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from functools import cache
from pathlib import Path

import av
import cv2
import numpy as np
import skimage.data

BACKGROUND_RGB = (200, 205, 210)
# Where the astronaut's face is in the 512 x 512 photo (x, y, w, h as fractions of the photo),
# measured with MediaPipe face detection; tests use it to place expected boxes.
ASTRONAUT_FACE_BOX = (0.34, 0.13, 0.20, 0.20)


def video_codec() -> str:
    """The encoder used for generated videos: libx264 if available, else mpeg4."""
    return "libx264" if "libx264" in av.codecs_available else "mpeg4"


@cache
def _astronaut(height_px: int) -> np.ndarray:
    photo = skimage.data.astronaut()
    return cv2.resize(photo, (height_px, height_px), interpolation=cv2.INTER_AREA)


def _paste(canvas: np.ndarray, photo: np.ndarray, x: int, y: int) -> None:
    """Paste photo with its top-left corner at (x, y) px, clipped to the canvas."""
    h, w = canvas.shape[:2]
    ph, pw = photo.shape[:2]
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + pw, w), min(y + ph, h)
    if x1 <= x0 or y1 <= y0:
        return
    canvas[y0:y1, x0:x1] = photo[y0 - y : y1 - y, x0 - x : x1 - x]


def write_video(
    path: Path,
    frames: Callable[[int], np.ndarray],
    n_frames: int,
    fps: float,
    *,
    rotation_deg: int = 0,
    pts_s: list[float] | None = None,
) -> Path:
    """Encode frames(i) (upright RGB) for i in range(n_frames); store them rotated so that a
    player must rotate them by rotation_deg counter-clockwise (display matrix) to show them
    upright. pts_s gives explicit presentation times (variable frame rate)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    first = frames(0)
    k = -(rotation_deg // 90) % 4
    coded = np.rot90(first, k)
    height, width = coded.shape[:2]
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(video_codec(), rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        if video_codec() == "libx264":
            stream.options = {"preset": "veryfast", "crf": "20"}
        if pts_s is not None:
            stream.codec_context.time_base = Fraction(1, 1000)
        if rotation_deg:
            stream.set_display_rotation(rotation_deg)
        for i in range(n_frames):
            image = first if i == 0 else frames(i)
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(np.rot90(image, k)), format="rgb24")
            if pts_s is not None:
                frame.pts = round(pts_s[i] * 1000)
                frame.time_base = Fraction(1, 1000)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def _offset_px(t_s: float, motion_hz: float, amplitude_px: float, start_s: float, end_s: float) -> float:
    if t_s < start_s or t_s > end_s:
        return 0.0
    return amplitude_px * math.sin(2.0 * math.pi * motion_hz * (t_s - start_s))


def make_person_video(
    path: str | Path,
    *,
    duration_s: float = 6.0,
    fps: float = 25,
    size: tuple[int, int] = (640, 480),
    motion: str = "still",
    motion_hz: float = 1.0,
    amplitude_px: float = 30,
    motion_start_s: float | None = None,
    motion_end_s: float | None = None,
    rotation_deg: int = 0,
    photo_height_fraction: float = 0.8,
) -> Path:
    """A video of the astronaut photo on a plain background.

    Parameters
    ----------
    size : (width, height) px of the upright (displayed) picture. With rotation_deg 90 or 270
        the coded frames are stored with width and height swapped.
    motion : "still", "rock" (sideways translation x(t) = A sin(2 pi f (t - start))) or "nod"
        (the same translation vertically).
    motion_start_s, motion_end_s : the interval in which the photo moves (default: the whole
        video); outside it the photo stays at its rest position.
    rotation_deg : counter-clockwise rotation (0, 90, 180, 270) a player must apply to show the
        coded frames upright, written as the stream's display matrix (like a phone recording).
    photo_height_fraction : the photo's side as a fraction of the frame height.
    """
    if motion not in ("still", "rock", "nod"):
        raise ValueError(f"motion must be 'still', 'rock' or 'nod', not {motion!r}")
    if rotation_deg % 90:
        raise ValueError(f"rotation_deg must be a multiple of 90, not {rotation_deg}")
    width, height = size
    photo_px = int(height * photo_height_fraction)
    photo = _astronaut(photo_px)
    rest_x, rest_y = (width - photo_px) // 2, height - photo_px
    start_s = 0.0 if motion_start_s is None else motion_start_s
    end_s = duration_s if motion_end_s is None else motion_end_s
    amplitude = 0.0 if motion == "still" else amplitude_px

    def frame(i: int) -> np.ndarray:
        offset = round(_offset_px(i / fps, motion_hz, amplitude, start_s, end_s))
        canvas = np.empty((height, width, 3), dtype=np.uint8)
        canvas[:] = BACKGROUND_RGB
        dx, dy = (offset, 0) if motion == "rock" else (0, offset)
        _paste(canvas, photo, rest_x + dx, rest_y + dy)
        return canvas

    return write_video(Path(path), frame, round(duration_s * fps), fps, rotation_deg=rotation_deg)


# The flapping person: the astronaut photo with two arms drawn from her shoulders (sleeve-coloured
# upper arm and forearm, a skin-coloured hand with five fingers), forearms raised outwards; one
# forearm swings about its elbow. Lengths are shares of the photo's side.
_SLEEVE_RGB, _SKIN_RGB = (230, 110, 40), (224, 172, 140)
_SHOULDERS_512 = {"right": ((113, 240), -1), "left": ((306, 257), 1)}  # photo px, outward x sign
FLAPPING_SIDE = "left"  # her left: the image's right, over the photo's plain backdrop


def _draw_arm(
    canvas: np.ndarray, shoulder: np.ndarray, outward: int, swing_deg: float, photo_px: int
) -> None:
    elbow = shoulder + np.array([outward * 0.1375 * photo_px, 0.21 * photo_px])
    angle = math.radians(-60.0 + swing_deg)
    wrist = elbow + 0.28 * photo_px * np.array([outward * math.cos(angle), math.sin(angle)])
    cv2.line(canvas, tuple(shoulder.astype(int)), tuple(elbow.astype(int)), _SLEEVE_RGB, int(0.09 * photo_px))
    cv2.line(canvas, tuple(elbow.astype(int)), tuple(wrist.astype(int)), _SLEEVE_RGB, int(0.07 * photo_px))
    along = (wrist - elbow) / np.linalg.norm(wrist - elbow)
    across = np.array([-along[1], along[0]])
    palm = wrist + along * 0.05 * photo_px
    cv2.circle(canvas, tuple(palm.astype(int)), int(0.045 * photo_px), _SKIN_RGB, -1)
    for k in range(-2, 3):
        base = palm + across * k * 0.018 * photo_px
        tip = base + along * 0.09 * photo_px
        cv2.line(
            canvas, tuple(base.astype(int)), tuple(tip.astype(int)), _SKIN_RGB, int(0.014 * photo_px) + 1
        )


def make_flapping_video(
    path: str | Path,
    *,
    duration_s: float = 16.0,
    fps: float = 30,
    flap_hz: float = 4.0,
    swing_deg: float = 25.0,
    flap_start_s: float = 5.0,
    flap_end_s: float = 11.0,
    size: tuple[int, int] = (640, 480),
) -> Path:
    """The astronaut with both forearms raised, her left one (the image's right) flapping: its
    angle at the elbow is swing_deg sin(2 pi flap_hz (t - flap_start_s)) between flap_start_s and
    flap_end_s, still elsewhere; the trunk does not move. A frequency above the analysis rate's
    Nyquist limit, or near it, is what only the native rate resolves."""
    width, height = size
    photo_px = round(0.7 * height)
    photo = _astronaut(photo_px)
    x0, y0 = (width - photo_px) // 2, round(0.04 * height)
    scale = photo_px / 512

    def frame(i: int) -> np.ndarray:
        canvas = np.empty((height, width, 3), dtype=np.uint8)
        canvas[:] = BACKGROUND_RGB
        _paste(canvas, photo, x0, y0)
        for side, ((sx, sy), outward) in _SHOULDERS_512.items():
            swing = (
                _offset_px(i / fps, flap_hz, swing_deg, flap_start_s, flap_end_s)
                if side == FLAPPING_SIDE
                else 0.0
            )
            _draw_arm(canvas, np.array([x0 + sx * scale, y0 + sy * scale]), outward, swing, photo_px)
        return canvas

    return write_video(Path(path), frame, round(duration_s * fps), fps)


def make_two_person_video(
    path: str | Path,
    *,
    duration_s: float = 4.0,
    fps: float = 25,
    size: tuple[int, int] = (640, 480),
    second_scale: float = 0.65,
) -> Path:
    """Two people: the astronaut photo (80 % of the frame height) on the left and a copy
    second_scale times smaller on the right, both still. The larger one is the default patient."""
    width, height = size
    big_px = int(height * 0.8)
    small_px = int(big_px * second_scale)
    big, small = _astronaut(big_px), _astronaut(small_px)
    canvas = np.empty((height, width, 3), dtype=np.uint8)
    canvas[:] = BACKGROUND_RGB
    _paste(canvas, big, 0, height - big_px)
    _paste(canvas, small, width - small_px, height - small_px)
    return write_video(Path(path), lambda _i: canvas, round(duration_s * fps), fps)


def two_person_face_centres(
    size: tuple[int, int] = (640, 480), second_scale: float = 0.65
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Face centres (x, y) px of the large and the small person in make_two_person_video."""
    width, height = size
    big_px = int(height * 0.8)
    small_px = int(big_px * second_scale)
    fx, fy, fw, fh = ASTRONAUT_FACE_BOX
    big = (big_px * (fx + fw / 2), height - big_px + big_px * (fy + fh / 2))
    small = (width - small_px + small_px * (fx + fw / 2), height - small_px + small_px * (fy + fh / 2))
    return big, small


# The examiner video: a large examiner (face EXAMINER_FACE_PX high) on the left and a smaller
# patient (face PATIENT_FACE_PX high, as a child farther from a wide camera) standing in front
# of the examiner's right side, inside the examiner's body region, in a 960 x 540 frame.
EXAMINER_VIDEO_SIZE = (960, 540)
EXAMINER_FACE_PX = 90
PATIENT_FACE_PX = 40
_EXAMINER_X_PX = 40
_PATIENT_X_PX = 300


def make_examiner_video(
    path: str | Path,
    *,
    moving: str,
    duration_s: float = 6.0,
    fps: float = 25,
    motion_hz: float = 1.0,
    amplitude_faces: float = 0.35,
) -> Path:
    """Two people in one frame, one of them rocking sideways (amplitude_faces of its own face
    height, at motion_hz) and the other still: moving is "patient" (the small one) or
    "examiner" (the large one). Face centres: examiner_video_face_centres()."""
    if moving not in ("patient", "examiner"):
        raise ValueError(f"moving must be 'patient' or 'examiner', not {moving!r}")
    width, height = EXAMINER_VIDEO_SIZE
    big_px = round(EXAMINER_FACE_PX / ASTRONAUT_FACE_BOX[3])
    small_px = round(PATIENT_FACE_PX / ASTRONAUT_FACE_BOX[3])
    big, small = _astronaut(big_px), _astronaut(small_px)

    def frame(i: int) -> np.ndarray:
        canvas = np.empty((height, width, 3), dtype=np.uint8)
        canvas[:] = BACKGROUND_RGB
        face_px = PATIENT_FACE_PX if moving == "patient" else EXAMINER_FACE_PX
        offset = round(_offset_px(i / fps, motion_hz, amplitude_faces * face_px, 0.0, duration_s))
        big_dx, small_dx = (0, offset) if moving == "patient" else (offset, 0)
        _paste(canvas, big, _EXAMINER_X_PX + big_dx, height - big_px)
        _paste(canvas, small, _PATIENT_X_PX + small_dx, height - small_px)
        return canvas

    return write_video(Path(path), frame, round(duration_s * fps), fps)


def examiner_video_face_centres() -> tuple[tuple[float, float], tuple[float, float]]:
    """Rest face centres (x, y) px of the examiner and the patient in make_examiner_video."""
    height = EXAMINER_VIDEO_SIZE[1]
    fx, fy, fw, fh = ASTRONAUT_FACE_BOX
    centres = []
    for x0, face_px in ((_EXAMINER_X_PX, EXAMINER_FACE_PX), (_PATIENT_X_PX, PATIENT_FACE_PX)):
        photo_px = round(face_px / fh)
        centres.append((x0 + photo_px * (fx + fw / 2), height - photo_px + photo_px * (fy + fh / 2)))
    return centres[0], centres[1]


def make_empty_video(
    path: str | Path,
    duration_s: float = 3.0,
    fps: float = 25,
    size: tuple[int, int] = (320, 240),
    *,
    noise: bool = False,
) -> Path:
    """A video with nobody in it: a plain background, or seeded uniform noise if noise=True."""
    width, height = size
    rng = np.random.default_rng(0)

    def frame(_i: int) -> np.ndarray:
        if noise:
            return rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
        canvas = np.empty((height, width, 3), dtype=np.uint8)
        canvas[:] = BACKGROUND_RGB
        return canvas

    return write_video(Path(path), frame, round(duration_s * fps), fps)


def make_vfr_video(
    path: str | Path, *, duration_s: float = 4.0, size: tuple[int, int] = (320, 240)
) -> tuple[Path, np.ndarray]:
    """A variable-frame-rate video: 30 fps in its first half, 15 fps with +-10 ms jitter in the
    second. Each frame shows its index as a gray level (index * 2 % 256) so a decoder test can
    tell which frame it got. Returns the path and the frames' presentation times (s)."""
    rng = np.random.default_rng(1)
    times: list[float] = []
    t = 0.0
    while t < duration_s:
        times.append(round(t, 3))
        t += 1 / 30 if t < duration_s / 2 else 1 / 15 + rng.uniform(-0.01, 0.01)
    width, height = size

    def frame(i: int) -> np.ndarray:
        return np.full((height, width, 3), (i * 2) % 256, dtype=np.uint8)

    path = write_video(Path(path), frame, len(times), 30, pts_s=times)
    return path, np.asarray(times)

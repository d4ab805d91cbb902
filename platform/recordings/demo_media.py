"""Short synthetic session videos for the demo site (`manage.py demo`).

The "patient" is scikit-image's astronaut photograph (a real photo of a person, so the real pose,
face and hand models find her) on a plain background, moved rigidly: `still`, sideways rocking
(`rock`) or vertical nodding (`nod`) at `motion_hz` between `motion_start_s` and `motion_end_s`.
The demo's metrics therefore come from the real analysis of real pixels, not from typed numbers.
Videos are H.264 in MP4 when PyAV's FFmpeg has libx264, else MPEG-4 Part 2.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import skimage.data

BACKGROUND_RGB = (200, 205, 210)
MOTIONS = ("still", "rock", "nod")


def _codec() -> str:
    return "libx264" if "libx264" in av.codecs_available else "mpeg4"


def make_demo_video(
    path: Path,
    *,
    duration_s: float = 8.0,
    fps: float = 15.0,
    size: tuple[int, int] = (320, 240),
    motion: str = "still",
    motion_hz: float = 1.0,
    amplitude_px: float = 20.0,
    motion_start_s: float = 0.0,
    motion_end_s: float | None = None,
) -> Path:
    """Write a video of the astronaut photo and return its path.

    Parameters
    ----------
    size : (width, height) in px.
    motion : "still", "rock" (x offset A sin(2 pi f (t - start))) or "nod" (the same in y).
    amplitude_px : A, the peak offset in px.
    motion_start_s, motion_end_s : the interval in which the photo moves (default: to the end).
    """
    if motion not in MOTIONS:
        raise ValueError(f"motion must be one of {MOTIONS}, not {motion!r}")
    width, height = size
    photo_px = int(height * 0.85)
    photo = cv2.resize(skimage.data.astronaut(), (photo_px, photo_px), interpolation=cv2.INTER_AREA)
    rest_x, rest_y = (width - photo_px) // 2, height - photo_px
    end_s = duration_s if motion_end_s is None else motion_end_s
    n_frames = round(duration_s * fps)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(_codec(), rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if _codec() == "libx264":
            stream.options = {"preset": "veryfast", "crf": "23"}
        for i in range(n_frames):
            t_s = i / fps
            offset = 0
            if motion != "still" and motion_start_s <= t_s <= end_s:
                offset = round(amplitude_px * math.sin(2 * math.pi * motion_hz * (t_s - motion_start_s)))
            dx, dy = (offset, 0) if motion == "rock" else (0, offset)
            canvas = np.empty((height, width, 3), dtype=np.uint8)
            canvas[:] = BACKGROUND_RGB
            _paste(canvas, photo, rest_x + dx, rest_y + dy)
            frame = av.VideoFrame.from_ndarray(canvas, format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def _paste(canvas: np.ndarray, photo: np.ndarray, x: int, y: int) -> None:
    """Paste photo with its top-left corner at (x, y) px, clipped to the canvas."""
    height, width = canvas.shape[:2]
    photo_h, photo_w = photo.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + photo_w, width), min(y + photo_h, height)
    if x1 > x0 and y1 > y0:
        canvas[y0:y1, x0:x1] = photo[y0 - y : y1 - y, x0 - x : x1 - x]

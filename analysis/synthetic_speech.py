"""A synthetic speaking person with known truth: the astronaut photo (analysis/synthetic_video.py)
whose mouth opens in time with a given audio track, muxed with that audio, so that speaker
attribution can be tested on real pixels and real sound.

The mouth opens by a jaw drop: the lower face, from the mouth line to below the chin, moves
down by the opening and the gap is filled with a dark mouth interior, which MediaPipe's face
mesh reads as parted lips (an opening of 0.027 of the photo's side raises the inner-lip
aperture from 0.11 to 0.36 IOD).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from analysis.synthetic_video import BACKGROUND_RGB, _astronaut, _paste, video_codec

# The astronaut's mouth in the photo (fractions of its side), measured with MediaPipe's face
# mesh: mouth line (between landmarks 13 and 14), mouth corners (61, 291) and chin (152).
MOUTH_LINE_Y = 0.2865
MOUTH_X = (0.394, 0.478)
CHIN_Y = 0.347
# The widest opening, a fraction of the photo's side (14 px of 512: a spoken vowel's jaw drop).
MAX_OPENING = 0.027
MOUTH_INTERIOR_RGB = (60, 20, 25)


def open_mouth(photo: np.ndarray, opening_px: int) -> np.ndarray:
    """The photo with its mouth opened by opening_px (a jaw drop, module docstring)."""
    if opening_px <= 0:
        return photo
    side = photo.shape[0]
    image = photo.copy()
    y = round(MOUTH_LINE_Y * side)
    x0, x1 = round(MOUTH_X[0] * side) - 2, round(MOUTH_X[1] * side) + 2
    chin = min(round(CHIN_Y * side) + round(0.05 * side), side - opening_px)
    image[y + opening_px : chin + opening_px, x0:x1] = photo[y:chin, x0:x1]
    centre = ((x0 + x1) // 2, y + opening_px // 2)
    axes = ((x1 - x0) // 2 - 3, max(opening_px // 2, 1))
    cv2.ellipse(image, centre, axes, 0, 0, 360, MOUTH_INTERIOR_RGB, -1)
    return image


def mouth_openings(samples: np.ndarray, rate_hz: int, fps: float, n_frames: int) -> np.ndarray:
    """Per-frame openness in [0, 1]: the audio's RMS over each frame's interval, relative to the
    95th percentile of the frames' RMS, with the quiet room (under 5 % of it) closed."""
    rms = np.zeros(n_frames)
    for i in range(n_frames):
        chunk = samples[int(i * rate_hz / fps) : int((i + 1) * rate_hz / fps)]
        rms[i] = float(np.sqrt(np.mean(chunk**2))) if chunk.size else 0.0
    loud = float(np.percentile(rms, 95)) or 1.0
    openness = np.clip(rms / loud, 0.0, 1.0)
    return np.where(openness < 0.05, 0.0, openness)


def make_speaking_video(
    path: str | Path,
    samples: np.ndarray,
    rate_hz: int,
    *,
    fps: float = 10.0,
    size: tuple[int, int] = (640, 480),
    photo_height_fraction: float = 0.8,
    mouth_moves: bool = True,
) -> Path:
    """A video of the astronaut whose mouth opens with the loudness of samples (mono floats at
    rate_hz), muxed with those samples as stereo AAC; as long as the audio. mouth_moves False
    keeps it closed (a listener: the control)."""
    path = Path(path)
    width, height = size
    photo_px = int(height * photo_height_fraction)
    photo = _astronaut(photo_px)
    n_frames = int(samples.size / rate_hz * fps)
    openings = np.round(mouth_openings(samples, rate_hz, fps, n_frames) * MAX_OPENING * photo_px).astype(int)
    openings *= int(mouth_moves)
    with av.open(str(path), mode="w") as container:
        video = container.add_stream(video_codec(), rate=Fraction(fps).limit_denominator(1001))
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        mux_audio(container, samples, rate_hz)
        for opening in openings:
            canvas = np.empty((height, width, 3), np.uint8)
            canvas[:] = BACKGROUND_RGB
            _paste(canvas, open_mouth(photo, int(opening)), (width - photo_px) // 2, height - photo_px)
            container.mux(video.encode(av.VideoFrame.from_ndarray(canvas, format="rgb24")))
        container.mux(video.encode())
    return path


def mux_audio(container: av.container.OutputContainer, samples: np.ndarray, rate_hz: int) -> None:
    """Write mono samples (-1..1) into the open container as a stereo AAC track, whole: the
    audio a phone or camera records, for the tests and the benchmark."""
    sound = container.add_stream("aac", rate=rate_hz, layout="stereo")
    sound.codec_context.time_base = Fraction(1, rate_hz)
    stereo = np.repeat(np.clip(samples, -1, 1).astype(np.float32)[None, :], 2, axis=0)
    for first in range(0, stereo.shape[1], 1024):
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(stereo[:, first : first + 1024]), format="fltp", layout="stereo"
        )
        frame.sample_rate, frame.pts = rate_hz, first
        container.mux(sound.encode(frame))
    container.mux(sound.encode(None))

"""Motion-adaptive sampling: the costly models run where the picture changed, not on a still person.

A still person gives the same keypoints frame after frame (up to the models' jitter), so
running the body models (pose, hands) and the face detector on every analysed frame of a still
stretch buys nothing. A cheap measure, at the full analysis rate, decides instead: the share of
pixels, in small grayscale thumbnails of the regions that matter (the patient's body crop; for
the face detector the whole frame and each person's body), that changed by more
than CHANGED_LEVEL gray levels since the last frame the models saw. When no region changed, the
frame is skipped, up to MAX_SKIPPED_TICKS in a row, so a still stretch is still measured at
target_fps / (MAX_SKIPPED_TICKS + 1) (once a second at the default 10 fps) and slow drifts are
followed. The rows of skipped frames are then filled from the measured frames on either side
(`fill_skipped`), so every analysed frame keeps one row and the metrics see a regular series.

Why these numbers: thumbnails are shrunk with area averaging, which divides camera noise by
the shrink factor (4 to 10 here), so a change of CHANGED_LEVEL levels is a real edge moving,
not noise; a body moving by 2 px of the frame changes its outline, over 1 % of a 64 px body
thumbnail. The face models are not sampled (analysis/patient_pass.py): the noise floors are
measured on the head's and eyes' jitter, which filled rows would not have.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

# Gray levels a thumbnail pixel must change by to count as changed.
CHANGED_LEVEL = 12
# Share of a region's thumbnail pixels that must change for the region to count as moving.
CHANGED_SHARE = 0.01
# Long side (px) of the thumbnail of a region whose motion is measured.
THUMBNAIL_PX = 64
# Analysed frames skipped in a row at most (a still person is measured every 10th frame: once a
# second, as the people pass looks at a still scene; every 5th cost 10 % more of the whole
# analysis for metrics within the same tolerances, analysis/docs/pipeline.md, Speed).
MAX_SKIPPED_TICKS = 9
# While no hand is tracked, hands are looked for at most this often (s): a hand that comes into
# view is found within a third of a second, a fraction of a gesture (1 to 3 s); once found, it
# is followed at every frame the body models look at. Not in full-rate runs.
HAND_SEARCH_EVERY_S = 0.3

Region = tuple[int, int, int, int]  # x0, y0, x1, y1 px, exclusive ends


# The motion measure first shrinks the whole frame by an integer factor that keeps its short side
# at SHRUNK_SHORT_SIDE_PX or more (area averaging, once per frame), and takes each region's
# thumbnail from that: one large resize per frame instead of two per region (about a millisecond
# each on a 640 x 480 frame).
SHRUNK_SHORT_SIDE_PX = 120


@dataclass(frozen=True)
class ShrunkFrame:
    """A grayscale frame shrunk by factor (area averaging), and the full frame's shape."""

    image: np.ndarray
    factor: int
    full_shape: tuple[int, int]


def shrunk(gray: np.ndarray) -> ShrunkFrame:
    """The frame the motion measure looks at."""
    factor = max(1, min(gray.shape) // SHRUNK_SHORT_SIDE_PX)
    height, width = gray.shape[0] // factor, gray.shape[1] // factor
    image = gray if factor == 1 else cv2.resize(gray, (width, height), interpolation=cv2.INTER_AREA)
    return ShrunkFrame(image, factor, gray.shape[:2])


def _thumbnail(frame: ShrunkFrame, region: Region, long_side_px: int) -> np.ndarray:
    x0, y0, x1, y1 = (round(v / frame.factor) for v in region)
    patch = frame.image[max(y0, 0) : max(y1, y0 + 1), max(x0, 0) : max(x1, x0 + 1)]
    if patch.size == 0:
        return patch
    scale = min(1.0, long_side_px / max(patch.shape))
    size = (max(1, round(patch.shape[1] * scale)), max(1, round(patch.shape[0] * scale)))
    return patch if scale == 1.0 else cv2.resize(patch, size, interpolation=cv2.INTER_AREA)


def changed_share(
    reference: ShrunkFrame, current: ShrunkFrame, region: Region, long_side_px: int = THUMBNAIL_PX
) -> float:
    """Share of the region's (full-frame px) thumbnail pixels that changed by more than
    CHANGED_LEVEL between two frames of the same size."""
    before = _thumbnail(reference, region, long_side_px)
    after = _thumbnail(current, region, long_side_px)
    if after.size == 0:
        return 0.0
    return float(np.mean(cv2.absdiff(before, after) > CHANGED_LEVEL))


class MotionGate:
    """Decides, frame by frame, whether the models must look at this frame.

    Parameters
    ----------
    max_skipped : frames skipped in a row at most.
    full_rate : True to run on every frame (the reference the sampled run is compared with).
    """

    def __init__(self, max_skipped: int = MAX_SKIPPED_TICKS, *, full_rate: bool = False) -> None:
        self.max_skipped = max_skipped
        self.full_rate = full_rate
        self._reference: ShrunkFrame | None = None
        self._skipped = 0
        # The last frame asked about, shrunk (None in full-rate runs, which measure nothing).
        self.current: ShrunkFrame | None = None

    def should_run(self, gray: np.ndarray, regions: Sequence[tuple[Region, int]]) -> bool:
        """Whether to run the models on this frame; regions are (region, thumbnail long side px)
        pairs, the frame is measured when any of them changed since the last measured frame."""
        if self.full_rate:
            return True
        current = self.current = shrunk(gray)
        run = (
            self._reference is None
            or self._reference.full_shape != current.full_shape
            or self._skipped >= self.max_skipped
            or any(changed_share(self._reference, current, r, px) > CHANGED_SHARE for r, px in regions)
        )
        if run:
            self._reference = current
            self._skipped = 0
        else:
            self._skipped += 1
        return run


@dataclass(frozen=True)
class View:
    """What a model saw of a region of one frame: the frame shrunk, the region (full-frame px)
    and the long side of its thumbnail, to tell later whether that region changed since."""

    frame: ShrunkFrame
    region: Region
    long_side_px: int

    def changed_since(self, before: View) -> bool:
        return (
            self.region != before.region
            or self.frame.full_shape != before.frame.full_shape
            or changed_share(before.frame, self.frame, self.region, self.long_side_px) > CHANGED_SHARE
        )


class HandSearch:
    """When the hand model runs: at every call while it tracks a hand; while it has none, every
    every_s at most (every call when every_s is 0), and not again on a region that has not
    changed since it last looked there and found nothing: the palm detector would see what it
    saw (a patient sitting still is measured once a second, and found no hand at each of those
    looks). Calls without a view (full-rate runs) are decided by time alone."""

    def __init__(self, every_s: float) -> None:
        self.every_s = every_s
        self._next_s = -np.inf
        self._looked: View | None = None

    def due(self, time_s: float, view: View | None = None) -> bool:
        if time_s < self._next_s:
            return False
        return view is None or self._looked is None or view.changed_since(self._looked)

    def found(self, time_s: float, any_hand: bool, view: View | None = None) -> None:
        """What the hand model found at time_s, looking at view."""
        self._next_s = -np.inf if any_hand else time_s + self.every_s - 1e-6
        self._looked = None if any_hand else view


def fill_skipped(values: np.ndarray, times_s: np.ndarray, measured: np.ndarray) -> None:
    """Fill, in place, the rows of frames the models skipped (measured False) from the measured
    rows on either side: linear interpolation in time where both neighbours have a value, else
    the value of the nearer one (so a hand seen on one side only, or nothing seen, is copied
    as it was, NaN included). Rows before the first or after the last measured row take that
    row's value.

    Parameters
    ----------
    values : float array of shape (n, ...)
    times_s : float array of shape (n,), increasing
    measured : bool array of shape (n,)
    """
    done = np.flatnonzero(measured)
    todo = np.flatnonzero(~measured)
    if done.size == 0 or todo.size == 0:
        return
    position = np.searchsorted(done, todo)
    before = np.clip(position - 1, 0, done.size - 1)
    after = np.clip(position, 0, done.size - 1)  # past the last measured row: that row
    prev_i, next_i = done[before], done[after]
    span = times_s[next_i] - times_s[prev_i]
    with np.errstate(invalid="ignore", divide="ignore"):
        weight = np.where(span > 0, (times_s[todo] - times_s[prev_i]) / span, 0.0)
    shape = (-1,) + (1,) * (values.ndim - 1)
    weight = weight.reshape(shape)
    a, b = values[prev_i], values[next_i]
    nearer = np.where(weight <= 0.5, a, b)
    blended = (1.0 - weight) * a + weight * b
    values[todo] = np.where(np.isfinite(a) & np.isfinite(b), blended, nearer)

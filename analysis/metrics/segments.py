"""Protocol segments: the parts of a session a clinician or the protocol marked in time.

Metrics that only mean something against a reference take it from here: agitation against the
baseline segment, gaze on target against the calibration segment, apathy per story, praxis per
cued item. A segment is [start_s, end_s) in the session's time (s).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BASELINE = "baseline"  # the patient at rest, as the protocol asks
CALIBRATION = "calibration"  # the patient looks at the gaze target (or the camera)
POSITIVE_STORY = "positive_story"
NEGATIVE_STORY = "negative_story"
NEUTRAL = "neutral"
CUE = "cue"  # a praxis item asked by the examiner; label names the item
SEGMENT_KINDS = (BASELINE, CALIBRATION, POSITIVE_STORY, NEGATIVE_STORY, NEUTRAL, CUE)


@dataclass(frozen=True)
class ProtocolSegment:
    """One marked segment. label names the praxis item of a cue (or anything else, free)."""

    kind: str
    start_s: float
    end_s: float
    label: str = ""

    def __post_init__(self) -> None:
        if self.kind not in SEGMENT_KINDS:
            raise ValueError(f"unknown protocol segment kind {self.kind!r}; expected one of {SEGMENT_KINDS}.")
        if not self.end_s > self.start_s:
            raise ValueError(
                f"a {self.kind} segment must end after it starts (got {self.start_s} s to {self.end_s} s)."
            )

    def frames(self, time_s: np.ndarray) -> np.ndarray:
        """Bool mask of the frames inside the segment."""
        t = np.asarray(time_s, dtype=np.float64)
        return (t >= self.start_s - 1e-9) & (t < self.end_s - 1e-9)


def of_kind(segments: list[ProtocolSegment] | None, kind: str) -> list[ProtocolSegment]:
    """The segments of one kind, in time order."""
    return sorted((s for s in segments or () if s.kind == kind), key=lambda s: s.start_s)


def mask_of(segments: list[ProtocolSegment], time_s: np.ndarray) -> np.ndarray:
    """Bool mask of the frames inside any of the segments."""
    mask = np.zeros(np.asarray(time_s).shape, dtype=bool)
    for segment in segments:
        mask |= segment.frames(time_s)
    return mask

"""Task segments: one performance of one daily-living task, [start_s, end_s) on the video's time.

A segment comes either from a person marking the timeline (confidence None) or from the task
segmenter (confidence in [0, 1]: the mean frame probability of the recognised task). Everything
downstream (per-task metrics, exports, the ELAN tier) reads this one dataclass.

validate_segments refuses what cannot be a performance of the protocol's tasks, in sentences a
clinician can act on: a segment that ends before it starts, lies outside the video, overlaps
another (one person performs one task at a time), or names a task the protocol does not list.
Segments that only touch (one ends where the next starts) do not overlap.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

# Times are compared with this slack (s): a mark dragged to the video's last frame may land a
# rounding error past the duration.
TIME_TOLERANCE_S = 1e-6


@dataclass(frozen=True)
class TaskSegment:
    """One task performed from start_s to end_s (s, video time).

    confidence is None when a person marked the segment, else the segmenter's confidence in [0, 1].
    """

    task_code: str
    start_s: float
    end_s: float
    confidence: float | None = None

    @property
    def duration_s(self) -> float:
        """end_s - start_s, in seconds."""
        return self.end_s - self.start_s

    @property
    def marked_by_person(self) -> bool:
        """True when a person marked it (no model confidence)."""
        return self.confidence is None


def _describe(index: int, segment: TaskSegment) -> str:
    return f"Segment {index + 1} ({segment.task_code.strip() or 'no task'}, {segment.start_s:.2f}-{segment.end_s:.2f} s)"


def _own_problems(index: int, segment: TaskSegment, duration_s: float | None) -> list[str]:
    """Problems of one segment on its own: times, position in the video, confidence."""
    name = _describe(index, segment)
    if not segment.task_code.strip():
        return [f"{name} names no task."]
    if not (math.isfinite(segment.start_s) and math.isfinite(segment.end_s)):
        return [f"{name} has a start or end that is not a time."]
    problems: list[str] = []
    if segment.end_s < segment.start_s:
        problems.append(f"{name} ends before it starts; swap its start and end.")
    elif segment.end_s - segment.start_s <= TIME_TOLERANCE_S:
        problems.append(f"{name} has no duration; its end must come after its start.")
    if segment.start_s < -TIME_TOLERANCE_S:
        problems.append(f"{name} starts before the video begins (0 s).")
    if duration_s is not None and max(segment.start_s, segment.end_s) > duration_s + TIME_TOLERANCE_S:
        problems.append(f"{name} runs past the end of the video ({duration_s:.2f} s).")
    if segment.confidence is not None and not 0.0 <= segment.confidence <= 1.0:
        problems.append(f"{name} has a confidence of {segment.confidence}, outside 0 to 1.")
    return problems


def validate_segments(
    segments: Sequence[TaskSegment],
    duration_s: float | None,
    task_codes: Collection[str] | None = None,
) -> list[str]:
    """Sentences saying what is wrong with the segments of one session; [] when they are valid.

    duration_s is the video's duration (None when unknown: then only negative times are refused).
    task_codes is the protocol's list of task codes (None: codes are not checked). Segments are
    numbered from 1 in the order given. Overlap is checked on the segments sorted by start: two
    segments overlap when the later one starts before the earlier one ends (by more than
    TIME_TOLERANCE_S).
    """
    problems: list[str] = []
    known = set(task_codes) if task_codes is not None else None
    for index, segment in enumerate(segments):
        problems.extend(_own_problems(index, segment, duration_s))
        if known is not None and segment.task_code.strip() and segment.task_code not in known:
            listed = ", ".join(sorted(known)) or "none"
            problems.append(
                f"{_describe(index, segment)} names the task '{segment.task_code}', "
                f"which this protocol does not list (its tasks: {listed})."
            )
    ordered = sorted(
        (i for i, s in enumerate(segments) if math.isfinite(s.start_s) and math.isfinite(s.end_s)),
        key=lambda i: (min(segments[i].start_s, segments[i].end_s), i),
    )
    latest: int | None = None  # the segment, among those before, that ends last
    for i in ordered:
        if latest is not None:
            earlier, later = segments[latest], segments[i]
            if min(later.start_s, later.end_s) < max(earlier.start_s, earlier.end_s) - TIME_TOLERANCE_S:
                problems.append(
                    f"{_describe(i, later)} overlaps {_describe(latest, earlier).lower()}; "
                    "one task must end before the next begins."
                )
        if latest is None or max(segments[i].start_s, segments[i].end_s) > max(
            segments[latest].start_s, segments[latest].end_s
        ):
            latest = i
    return problems


def sorted_segments(segments: Iterable[TaskSegment]) -> list[TaskSegment]:
    """Segments in time order (by start, then end)."""
    return sorted(segments, key=lambda s: (s.start_s, s.end_s))

"""Per-task metrics of one session of the semi-guided tasks protocol, from its task segments.

Clinicians compare, visit over visit, how long each task took, whether the tasks were done in the
order asked, which were left out or done again, how long the person stood idle between tasks, and
how much of each task they spent using their hands or walking. Inputs are the session's (valid,
see segments.validate_segments) task segments and the protocol's ordered task list.

Definitions (segments sorted by start; only codes of the protocol are counted):
- duration of a task: sum over its segments of (end_s - start_s), s;
- total time: end of the last segment - start of the first, s;
- performance: a maximal run of consecutive segments of one task (a pause with no other task in
  between does not start a new performance); repetitions = performances - tasks performed, and a
  task is repeated when it has more than one performance;
- omitted tasks: protocol tasks with no segment;
- order errors: the Kendall distance between the order of the first performances and the
  protocol's order, i.e. the number of discordant pairs
      order_errors = #{(a, b) : rank(a) < rank(b) and first_start(a) > first_start(b)},
  which equals the least number of swaps of adjacent tasks that restores the protocol's order.
  Omitted tasks are not order errors (they count as omissions); the maximum is k (k - 1) / 2 for
  k tasks performed;
- idle time: sum of the gaps between consecutive segments, s (before the first and after the
  last segment is not idle time: the instructions are given then);
- hand activity share and walking share of a task: the share of the task's measured frames where
  the per-frame signal is active (see ActivitySignals), with analysable_s the measured time.

A value that cannot be measured is NaN with a reason (analysis.results.MetricValue), never 0: a
task not performed has no duration, a session without an activity signal has no activity share.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from analysis.metrics.definitions import NON_NEGATIVE, SHARE, MetricDefinition
from analysis.results import MetricValue
from analysis.tasks.segments import TaskSegment, sorted_segments

FAMILY = "tasks"
NO_SEGMENTS = "No task was marked or recognised in this session."
NOT_PERFORMED = "The task was not performed (no segment)."
NO_EXPECTED_MAX = "The protocol gives no expected maximum duration for this task."
NO_SIGNAL = "No per-frame activity signal was available for this session."
NOT_MEASURED = "The activity signal was not measured during this task (person not visible)."


@dataclass(frozen=True)
class ProtocolTask:
    """One task of a protocol's ordered list: its code and expected maximum duration (s, None when
    the protocol gives none)."""

    code: str
    expected_max_duration_s: float | None = None


@dataclass(frozen=True)
class ActivitySignals:
    """Per-frame activity of the patient: time_s (n,), and two signals of shape (n,) holding 1.0
    (active), 0.0 (not active) or NaN (not measured in that frame).

    hand_active: hand motion relative to the torso above a threshold; walking: displacement of the
    hip centre in the room above a threshold (see analysis.tasks.features for how they are made).
    """

    time_s: np.ndarray
    hand_active: np.ndarray
    walking: np.ndarray


def performances(segments: Sequence[TaskSegment]) -> list[tuple[str, float, float]]:
    """(task_code, start_s, end_s) of each performance: consecutive segments of one task merged."""
    merged: list[tuple[str, float, float]] = []
    for segment in sorted_segments(segments):
        if merged and merged[-1][0] == segment.task_code:
            code, start, end = merged[-1]
            merged[-1] = (code, start, max(end, segment.end_s))
        else:
            merged.append((segment.task_code, segment.start_s, segment.end_s))
    return merged


def order_errors(performed_codes: Sequence[str], protocol_codes: Sequence[str]) -> int:
    """Kendall distance: pairs of tasks performed (first performances, in the order given) whose
    order is the reverse of the protocol's. Codes outside the protocol and repeats are ignored."""
    rank = {code: i for i, code in enumerate(protocol_codes)}
    seen: list[int] = []
    for code in performed_codes:
        if code in rank and rank[code] not in seen:
            seen.append(rank[code])
    return sum(1 for i in range(len(seen)) for j in range(i + 1, len(seen)) if seen[i] > seen[j])


def idle_time_s(segments: Sequence[TaskSegment]) -> float:
    """Sum of the gaps between consecutive segments (s); overlaps count as no gap."""
    total, latest_end = 0.0, None
    for segment in sorted_segments(segments):
        if latest_end is not None:
            total += max(0.0, segment.start_s - latest_end)
        latest_end = segment.end_s if latest_end is None else max(latest_end, segment.end_s)
    return total


def _activity_share(
    signal: np.ndarray | None, time_s: np.ndarray | None, spans: list[tuple[float, float]]
) -> MetricValue:
    """Share of measured frames inside the spans where the signal is 1; NaN with the reason."""
    if signal is None or time_s is None or len(time_s) == 0:
        return MetricValue.unknown("share", NO_SIGNAL)
    inside = np.zeros(len(time_s), dtype=bool)
    for start, end in spans:
        inside |= (time_s >= start) & (time_s < end)
    values = np.asarray(signal, dtype=float)[inside]
    measured = np.isfinite(values)
    frame_s = float(np.median(np.diff(time_s))) if len(time_s) > 1 else 0.0
    analysable_s = float(measured.sum()) * frame_s
    if not measured.any():
        return MetricValue.unknown("share", NOT_MEASURED, 0.0)
    return MetricValue(float(np.mean(values[measured] > 0.5)), "share", analysable_s=analysable_s)


def task_metrics(
    segments: Sequence[TaskSegment],
    protocol: Sequence[ProtocolTask],
    activity: ActivitySignals | None = None,
) -> dict[str, MetricValue]:
    """Every tasks.* metric of one session (keys and units in task_metric_definitions)."""
    codes = [task.code for task in protocol]
    known = set(codes)
    ours = [s for s in sorted_segments(segments) if s.task_code in known]
    runs = performances(ours)
    out: dict[str, MetricValue] = {}
    performed = {code for code, _, _ in runs}
    omitted = [code for code in codes if code not in performed]
    if ours:
        out["tasks.total_time_s"] = MetricValue(max(s.end_s for s in ours) - ours[0].start_s, "s")
        out["tasks.idle_time_s"] = MetricValue(idle_time_s(ours), "s")
        out["tasks.order_errors"] = MetricValue(float(order_errors([c for c, _, _ in runs], codes)), "count")
    else:
        for key, unit in (("total_time_s", "s"), ("idle_time_s", "s"), ("order_errors", "count")):
            out[f"tasks.{key}"] = MetricValue.unknown(unit, NO_SEGMENTS)
    out["tasks.omitted_count"] = MetricValue(float(len(omitted)), "count")
    out["tasks.repeated_count"] = MetricValue(float(len(runs) - len(performed)), "count")
    over = 0
    time_s = None if activity is None else np.asarray(activity.time_s, dtype=float)
    for task in protocol:
        mine = [s for s in ours if s.task_code == task.code]
        spans = [(s.start_s, s.end_s) for s in mine]
        prefix = f"tasks.{task.code}"
        n_runs = sum(1 for code, _, _ in runs if code == task.code)
        out[f"{prefix}.performances"] = MetricValue(float(n_runs), "count")
        if not mine:
            for key, unit in (
                ("duration_s", "s"),
                ("duration_to_expected_max", "ratio"),
                ("hand_activity_share", "share"),
                ("walking_share", "share"),
            ):
                out[f"{prefix}.{key}"] = MetricValue.unknown(unit, NOT_PERFORMED)
            continue
        duration = float(sum(s.duration_s for s in mine))
        out[f"{prefix}.duration_s"] = MetricValue(duration, "s")
        expected = task.expected_max_duration_s
        if expected is None or not math.isfinite(expected) or expected <= 0:
            out[f"{prefix}.duration_to_expected_max"] = MetricValue.unknown("ratio", NO_EXPECTED_MAX)
        else:
            out[f"{prefix}.duration_to_expected_max"] = MetricValue(duration / expected, "ratio")
            over += duration > expected
        out[f"{prefix}.hand_activity_share"] = _activity_share(
            None if activity is None else activity.hand_active, time_s, spans
        )
        out[f"{prefix}.walking_share"] = _activity_share(
            None if activity is None else activity.walking, time_s, spans
        )
    has_max = any(t.expected_max_duration_s for t in protocol)
    out["tasks.over_expected_max_count"] = (
        MetricValue(float(over), "count") if has_max else MetricValue.unknown("count", NO_EXPECTED_MAX)
    )
    return out


def task_metric_definitions(protocol: Sequence[ProtocolTask]) -> dict[str, MetricDefinition]:
    """Unit, description and valid range of every key task_metrics produces for this protocol."""
    k = len(protocol)
    d: dict[str, MetricDefinition] = {}

    def add(key: str, unit: str, text: str, valid: tuple[float, float] = NON_NEGATIVE) -> None:
        d[key] = MetricDefinition(unit, text, FAMILY, *valid)

    add("tasks.total_time_s", "s", "From the start of the first task to the end of the last.")
    add("tasks.idle_time_s", "s", "Time between tasks (gaps between consecutive task segments).")
    add(
        "tasks.order_errors",
        "count",
        "Pairs of tasks done in the reverse of the protocol's order (Kendall distance of first performances).",
        (0.0, k * (k - 1) / 2),
    )
    add("tasks.omitted_count", "count", "Protocol tasks not performed.", (0.0, float(k)))
    add("tasks.repeated_count", "count", "Performances beyond the first of each task (returns to a task).")
    add(
        "tasks.over_expected_max_count",
        "count",
        "Tasks that took longer than their expected maximum.",
        (0.0, k),
    )
    for task in protocol:
        p = f"tasks.{task.code}"
        add(f"{p}.performances", "count", f"Times the task {task.code} was performed (0 when omitted).")
        add(f"{p}.duration_s", "s", f"Time spent on the task {task.code} (sum of its segments).")
        add(f"{p}.duration_to_expected_max", "ratio", f"Duration of {task.code} over its expected maximum.")
        add(f"{p}.hand_activity_share", "share", f"Share of {task.code} with the hands moving.", SHARE)
        add(f"{p}.walking_share", "share", f"Share of {task.code} spent walking.", SHARE)
    return d

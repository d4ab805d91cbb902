"""Per-task metrics on hand-made sessions whose answers are worked out in the comments.

Tolerance: durations and shares are sums and means of exact binary fractions, compared with
math.isclose(abs_tol=1e-9); counts are compared exactly.
"""

from __future__ import annotations

import math

import numpy as np

from analysis.tasks.segments import TaskSegment
from analysis.tasks.task_metrics import (
    NO_SEGMENTS,
    NO_SIGNAL,
    NOT_MEASURED,
    NOT_PERFORMED,
    ActivitySignals,
    ProtocolTask,
    idle_time_s,
    order_errors,
    performances,
    task_metric_definitions,
    task_metrics,
)

PROTOCOL = [
    ProtocolTask("pill_box", 60.0),
    ProtocolTask("phone_call", 30.0),
    ProtocolTask("water_plant", 40.0),
    ProtocolTask("read_article", None),
]

# phone_call before pill_box (one discordant pair), a pause inside water_plant (same performance),
# a return to pill_box after water_plant (a repetition), read_article omitted.
SESSION = [
    TaskSegment("phone_call", 2.0, 22.0),  # 20 s
    TaskSegment("pill_box", 25.0, 95.0),  # 70 s, over its 60 s maximum
    TaskSegment("water_plant", 100.0, 110.0),  # 10 s
    TaskSegment("water_plant", 112.0, 120.0),  # 8 s, same performance (nothing in between)
    TaskSegment("pill_box", 121.0, 126.0),  # 5 s, a second performance of pill_box
]


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, abs_tol=1e-9)


def test_order_errors_is_the_kendall_distance() -> None:
    order = ["a", "b", "c", "d"]
    assert order_errors(["a", "b", "c", "d"], order) == 0
    assert order_errors(["b", "a", "c", "d"], order) == 1  # one adjacent swap
    assert order_errors(["d", "c", "b", "a"], order) == 6  # reversed: 4 * 3 / 2
    assert order_errors(["c", "a", "b"], order) == 2  # c before a and before b; d omitted: no error
    assert order_errors(["b", "a", "b", "x"], order) == 1  # repeats and unknown codes ignored


def test_performances_merge_consecutive_segments_of_one_task() -> None:
    runs = performances(SESSION)
    assert [code for code, _, _ in runs] == ["phone_call", "pill_box", "water_plant", "pill_box"]
    assert runs[2] == ("water_plant", 100.0, 120.0)


def test_idle_time_sums_gaps_between_segments() -> None:
    # gaps: 22->25 (3), 95->100 (5), 110->112 (2), 120->121 (1) = 11 s
    assert close(idle_time_s(SESSION), 11.0)
    # an overlap counts as no gap, and a segment inside another does not reset the latest end
    assert close(
        idle_time_s([TaskSegment("a", 0, 10), TaskSegment("b", 2, 3), TaskSegment("c", 12, 13)]), 2.0
    )


def test_session_metrics_known_answers() -> None:
    m = task_metrics(SESSION, PROTOCOL)
    assert close(m["tasks.total_time_s"].value, 124.0)  # 2 -> 126
    assert close(m["tasks.idle_time_s"].value, 11.0)
    assert m["tasks.order_errors"].value == 1.0
    assert m["tasks.omitted_count"].value == 1.0
    assert m["tasks.repeated_count"].value == 1.0  # 4 performances of 3 tasks
    assert close(m["tasks.pill_box.duration_s"].value, 75.0)
    assert close(m["tasks.pill_box.duration_to_expected_max"].value, 75.0 / 60.0)
    assert m["tasks.pill_box.performances"].value == 2.0
    assert close(m["tasks.water_plant.duration_s"].value, 18.0)
    assert m["tasks.water_plant.performances"].value == 1.0
    assert close(m["tasks.phone_call.duration_s"].value, 20.0)
    assert m["tasks.pill_box.duration_s"].unit == "s"


def test_over_expected_max_counts_only_tasks_longer_than_their_maximum() -> None:
    m = task_metrics(SESSION, PROTOCOL)
    # pill_box 75 > 60 and water_plant 18 < 40 and phone_call 20 < 30: only one task is over.
    assert m["tasks.over_expected_max_count"].value == 1.0


def test_omitted_task_is_nan_with_a_reason_not_zero() -> None:
    m = task_metrics(SESSION, PROTOCOL)
    assert m["tasks.read_article.performances"].value == 0.0
    for key in ("duration_s", "duration_to_expected_max", "hand_activity_share", "walking_share"):
        value = m[f"tasks.read_article.{key}"]
        assert math.isnan(value.value)
        assert value.reason == NOT_PERFORMED


def test_no_segments_no_signal_and_no_expected_max_are_nan_with_reasons() -> None:
    m = task_metrics([], PROTOCOL)
    for key in ("tasks.total_time_s", "tasks.idle_time_s", "tasks.order_errors"):
        assert math.isnan(m[key].value) and m[key].reason == NO_SEGMENTS
    assert m["tasks.omitted_count"].value == 4.0
    m = task_metrics([TaskSegment("read_article", 0.0, 5.0)], PROTOCOL)
    assert math.isnan(m["tasks.read_article.duration_to_expected_max"].value)
    assert m["tasks.read_article.hand_activity_share"].reason == NO_SIGNAL


def test_segments_of_other_tasks_are_ignored() -> None:
    m = task_metrics([TaskSegment("write_cheque", 0.0, 5.0), TaskSegment("pill_box", 6.0, 8.0)], PROTOCOL)
    assert close(m["tasks.total_time_s"].value, 2.0)
    assert m["tasks.omitted_count"].value == 3.0


def test_activity_shares_over_measured_frames() -> None:
    fps = 4.0
    time_s = np.arange(0, 130, 1 / fps)
    hand = np.zeros_like(time_s)
    walking = np.zeros_like(time_s)
    # phone_call 2-22 s (80 frames): hands active 2-12 s (40 frames), 12-17 s not measured (20 frames)
    hand[(time_s >= 2) & (time_s < 12)] = 1.0
    hand[(time_s >= 12) & (time_s < 17)] = np.nan
    # water_plant 100-110 and 112-120 (72 frames): walking 104-110 (24 frames)
    walking[(time_s >= 104) & (time_s < 110)] = 1.0
    # pill_box: hand never measured
    hand[(time_s >= 25) & (time_s < 126) & ~((time_s >= 100) & (time_s < 120))] = np.nan
    m = task_metrics(SESSION, PROTOCOL, ActivitySignals(time_s, hand, walking))
    phone = m["tasks.phone_call.hand_activity_share"]
    assert close(phone.value, 40 / 60)  # 40 active of 60 measured frames
    assert close(phone.analysable_s, 60 / fps)
    assert close(m["tasks.water_plant.walking_share"].value, 24 / 72)
    assert close(m["tasks.phone_call.walking_share"].value, 0.0)  # measured and never walking: a real 0
    pill = m["tasks.pill_box.hand_activity_share"]
    assert math.isnan(pill.value) and pill.reason == NOT_MEASURED


def test_definitions_cover_every_key_and_values_lie_in_range() -> None:
    definitions = task_metric_definitions(PROTOCOL)
    m = task_metrics(SESSION, PROTOCOL)
    assert set(m) == set(definitions)
    for key, value in m.items():
        d = definitions[key]
        assert value.unit == d.unit, key
        if not math.isnan(value.value):
            assert d.minimum <= value.value <= d.maximum, key

"""Validation of task segments: each refusal is a sentence naming the segment and what is wrong."""

from __future__ import annotations

import math

from analysis.tasks.segments import TaskSegment, sorted_segments, validate_segments

CODES = ("pill_box", "phone_call", "water_plant")


def test_valid_segments_give_no_problem() -> None:
    segments = [
        TaskSegment("pill_box", 1.0, 10.0),
        TaskSegment("phone_call", 10.0, 20.0, confidence=0.9),  # touching is not overlapping
        TaskSegment("water_plant", 25.0, 60.0),
    ]
    assert validate_segments(segments, 60.0, CODES) == []


def test_reversed_segment_is_refused_with_a_sentence() -> None:
    problems = validate_segments([TaskSegment("pill_box", 12.0, 10.0)], 60.0, CODES)
    assert problems == ["Segment 1 (pill_box, 12.00-10.00 s) ends before it starts; swap its start and end."]


def test_zero_length_segment_is_refused() -> None:
    problems = validate_segments([TaskSegment("pill_box", 5.0, 5.0)], 60.0, CODES)
    assert len(problems) == 1
    assert "no duration" in problems[0]


def test_out_of_video_segments_are_refused() -> None:
    problems = validate_segments(
        [TaskSegment("pill_box", -1.0, 3.0), TaskSegment("phone_call", 50.0, 61.0)], 60.0, CODES
    )
    assert problems == [
        "Segment 1 (pill_box, -1.00-3.00 s) starts before the video begins (0 s).",
        "Segment 2 (phone_call, 50.00-61.00 s) runs past the end of the video (60.00 s).",
    ]


def test_overlap_is_refused_naming_both_segments() -> None:
    segments = [TaskSegment("phone_call", 8.0, 15.0), TaskSegment("pill_box", 1.0, 10.0)]
    problems = validate_segments(segments, 60.0, CODES)
    assert problems == [
        "Segment 1 (phone_call, 8.00-15.00 s) overlaps segment 2 (pill_box, 1.00-10.00 s); "
        "one task must end before the next begins."
    ]


def test_segment_inside_a_long_one_overlaps_it_even_after_a_third() -> None:
    segments = [
        TaskSegment("pill_box", 0.0, 30.0),
        TaskSegment("phone_call", 5.0, 6.0),
        TaskSegment("water_plant", 10.0, 12.0),
    ]
    problems = validate_segments(segments, 60.0, CODES)
    assert len(problems) == 2
    assert all("overlaps segment 1" in p for p in problems)


def test_unknown_task_code_is_refused_listing_the_protocol_tasks() -> None:
    problems = validate_segments([TaskSegment("write_cheque", 1.0, 2.0)], 60.0, CODES)
    assert problems == [
        "Segment 1 (write_cheque, 1.00-2.00 s) names the task 'write_cheque', which this protocol "
        "does not list (its tasks: phone_call, pill_box, water_plant)."
    ]


def test_codes_are_not_checked_without_a_task_list_and_nan_times_are_refused() -> None:
    assert validate_segments([TaskSegment("anything", 1.0, 2.0)], None) == []
    problems = validate_segments([TaskSegment("pill_box", math.nan, 2.0)], 60.0, CODES)
    assert problems == ["Segment 1 (pill_box, nan-2.00 s) has a start or end that is not a time."]


def test_confidence_outside_zero_one_and_empty_code_are_refused() -> None:
    problems = validate_segments([TaskSegment("pill_box", 1.0, 2.0, confidence=1.5)], 60.0, CODES)
    assert problems == ["Segment 1 (pill_box, 1.00-2.00 s) has a confidence of 1.5, outside 0 to 1."]
    assert validate_segments([TaskSegment(" ", 1.0, 2.0)], 60.0, CODES) == [
        "Segment 1 (no task, 1.00-2.00 s) names no task."
    ]


def test_segment_properties_and_sorting() -> None:
    a, b = TaskSegment("pill_box", 5.0, 7.5), TaskSegment("phone_call", 1.0, 2.0, 0.8)
    assert a.duration_s == 2.5
    assert a.marked_by_person and not b.marked_by_person
    assert sorted_segments([a, b]) == [b, a]

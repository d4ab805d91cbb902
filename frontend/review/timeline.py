"""The session page's timeline: behaviour events on top, a few metric curves below, one shared
time axis in seconds from the start of the video (the video's own clock)."""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from typing import Any

from plotly.io.json import to_json_plotly
from plotly.subplots import make_subplots

from frontend.dashboards.labels import default_metrics, metric_label, metric_unit
from results.models import SpeechSegment
from results.reviewed import ReviewedEvent
from results.selectors import job_eye_contact, job_no_speech_reason, job_speech_segments

MAX_CURVES = 4
MARGIN_PX = {"l": 130, "r": 16, "t": 36, "b": 40}
EVENT_COLOURS = {
    "body_rocking": "#1f5f99",
    "hand_flapping": "#a3212b",
    "head_movement": "#7a4b00",
    "gesture": "#1d6b3a",
    "gaze_shift": "#5b3f8f",
}
OTHER_COLOURS = ("#0f6e6e", "#8a3b76", "#4d5a12", "#6a4a2f", "#2f4f8a")
# Speech by speaker: the lane's name, the legend's words and a colour (distinct from the events').
SPEAKERS = {
    "patient": ("patient", "the patient speaks", "#c2571a"),
    "other": ("other person", "the other person speaks", "#3a6fb0"),
    "unknown": ("speaker unknown", "speech, speaker unknown", "#8c8c8c"),
}
# Eye contact: each lane's name and colour, and the row's title.
CONTACT_LANES = {
    "eye_contact": ("looks at the other person", "the patient looks at the other person's face", "#2a7f62"),
    "mutual_gaze": ("mutual gaze", "both look at each other", "#b5179e"),
}
EYE_CONTACT_TITLE = "Eye contact (the patient's gaze toward the other person's face)"
SPEECH_TITLE = "Who speaks (heard on the audio track; see the legend)"
NO_SPEECH_TITLE = "Who speaks (heard on the audio track)"


def timeline_speech(job) -> list[SpeechSegment]:
    """The speech row's segments for the page's analysis job (none without one)."""
    return job_speech_segments(job=job) if job else []


def timeline_no_speech(job, speech: list[SpeechSegment]) -> str | None:
    """What the speech row says when the analysis heard no speech (results.selectors.
    job_no_speech_reason, in a sentence); None when there is speech to draw, no analysis, or an
    analysis that did not listen for speech."""
    if speech or job is None:
        return None
    reason = job_no_speech_reason(job=job)
    if reason is None:
        return None
    return f"No speech to show: {reason}." if reason else "No speech was heard on the audio track."


def timeline_eye_contact(job) -> dict[str, Any] | None:
    """The eye-contact row's episodes and reasons (results.selectors.job_eye_contact); None
    without an analysis, or for one that did not measure eye contact."""
    return job_eye_contact(job=job) if job else None


def timeline_figure(
    *,
    events: list[ReviewedEvent],
    names: dict[str, str],
    curves: dict[str, list[tuple[float, float, float | None]]],
    duration_s: float,
    analysable_s: dict[str, float] | None = None,
    tasks: list[tuple[str, float, float, str]] | None = None,
    speech: list[SpeechSegment] | None = None,
    no_speech: str | None = None,
    eye_contact: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Reviewed events as bars (one lane per label, at their reviewed times; rejected ones are
    left out; customdata = [element id, start_s]) and up to MAX_CURVES windowed metrics as step
    curves (value over [window_start_s, window_end_s)); a curve whose whole-session value rests
    on a known time (analysable_s, by metric) says so when hovered. A semi-guided visit (tasks
    given: name, start_s, end_s, source) has a tasks row under the events (layout.meta.tasks_row:
    a drag along it fills the task marking form, js/timeline_drag.js). Speech heard on the
    audio track (speech given and not empty) has a row under them, one lane and colour per
    speaker, named in the legend; without speech, the reason (no_speech, timeline_no_speech) is
    written across that row instead. An analysis that measured eye contact (eye_contact given,
    timeline_eye_contact) has a row of its episodes, eye contact and mutual gaze on their own
    lanes, or the reason it could not be measured written across the row. The figure comes as
    plotly's JSON, ready for the page."""
    shown = default_metrics(sorted(curves))[:MAX_CURVES]
    first_speech = 2 if tasks is None else 3
    first_eye = first_speech + 1 if speech or no_speech else first_speech
    first_curve = first_eye + 1 if eye_contact else first_eye
    rows = first_curve - 1 + len(shown)
    height_px = 120 + 115 * rows + (30 if speech else 0)
    layout, axes = _grid(
        rows,
        first_speech,
        first_eye,
        first_curve,
        tuple(f"{metric_label(m)}, in {metric_unit(m).words}" for m in shown),
        speech_title=SPEECH_TITLE if speech else NO_SPEECH_TITLE,
    )
    traces: list[dict[str, Any]] = []
    counted = [e for e in events if e.counted]
    codes = list(
        dict.fromkeys(
            [code for code in names if any(e.label == code for e in counted)] + [e.label for e in counted]
        )
    )
    for index, code in enumerate(codes):
        group = [e for e in counted if e.label == code]
        label = names.get(code, code)
        traces.append(
            dict(
                type="bar",
                orientation="h",
                base=[e.start_s for e in group],
                x=[max(e.end_s - e.start_s, 0.2) for e in group],
                y=[label] * len(group),
                name=label,
                marker={"color": EVENT_COLOURS.get(code, OTHER_COLOURS[index % len(OTHER_COLOURS)])},
                customdata=[[_element_id(e), e.start_s] for e in group],
                hovertemplate=[
                    f"{label}<br>{e.start_s:.1f} to {e.end_s:.1f} s<br>{_origin(e)}<extra></extra>"
                    for e in group
                ],
                showlegend=False,
                **axes[1],
            )
        )
    if tasks is not None:
        _task_bars(traces, layout, axes[2], tasks)
    if speech:
        _speech_bars(traces, speech, axes[first_speech])
    elif no_speech:
        _row_note(traces, layout, axes[first_speech], no_speech, "speech note")
    if eye_contact:
        _contact_bars(traces, layout, eye_contact, axes[first_eye])
    for row, metric in enumerate(shown, start=first_curve):
        unit = metric_unit(metric)
        windows = [(a, b, None if v is None else v * unit.factor) for a, b, v in curves[metric]]
        # A step curve: each window's value holds from its start to the next window's start.
        xs = [start_s for start_s, _, _ in windows] + [windows[-1][1]]
        ys = [value for _, _, value in windows] + [windows[-1][2]]
        seconds = (analysable_s or {}).get(metric)
        over = (
            "" if seconds is None else f"<br>whole session: measured over {seconds:.0f} s of analysable time"
        )
        traces.append(
            dict(type="scatter", x=xs, y=ys, mode="lines", line={"color": "#1f5f99", "width": 2, "shape": "hv"},
                 name=metric_label(metric), hovertemplate="%{y:.3g} " + unit.words + over + "<extra></extra>",
                 showlegend=False, **axes[row]),
        )  # fmt: skip
        if unit.low is not None and unit.high is not None:
            layout[_axis_key(axes[row]["yaxis"])]["range"] = [unit.low, unit.high]
    layout.update(
        height=height_px,
        # Room above the first panel's title for the speech legend.
        margin={**MARGIN_PX, "t": MARGIN_PX["t"] + 30} if speech else MARGIN_PX,
        autosize=True,
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        font={"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "color": "#1d2733", "size": 12},
        barmode="overlay",
        showlegend=bool(speech),
        legend={"orientation": "h", "x": 0, "y": 1.0, "yref": "container", "yanchor": "top", "title": {"text": "Speech: "}},
        hovermode="closest",
        dragmode=False,  # a drag on the events row marks a missed event (js/timeline_drag.js)
        meta={"tasks_row": 2 if tasks is not None else None},
        shapes=[
            {"type": "line", "xref": "x", "yref": "paper", "x0": 0, "x1": 0, "y0": 0, "y1": 1,
             "line": {"color": "#f0a800", "width": 2}, "name": "now"},
        ],
    )  # fmt: skip
    for key, axis in layout.items():
        if key.startswith("xaxis"):
            axis.update(range=[0, max(duration_s, 1.0)], showgrid=True, gridcolor="#e9edf1")
        elif key.startswith("yaxis"):
            axis["gridcolor"] = "#e9edf1"
    layout[_axis_key(axes[rows]["xaxis"])]["title"] = {"text": "time in the video (s)"}
    return json.loads(to_json_plotly({"data": traces, "layout": layout}))


@lru_cache(maxsize=64)
def _grid_template(
    rows: int,
    first_speech: int,
    first_eye: int,
    first_curve: int,
    curve_titles: tuple[str, ...],
    *,
    speech_title: str,
) -> tuple[dict[str, Any], dict[int, dict[str, str]]]:
    """The panels' layout and each row's axis names, built once per shape: plotly's figure
    objects check every property as it is set, which took most of the session page's time."""
    figure = make_subplots(
        # About 40 px between panels, whatever their number: room for the next panel's title.
        rows=rows, cols=1, shared_xaxes=True, vertical_spacing=40 / (120 + 115 * rows - MARGIN_PX["t"] - MARGIN_PX["b"]),
        # The tasks row as tall as the events row: a lane per task, each named.
        row_heights=[1.2] * (first_speech - 1) + [0.6] * (first_curve - first_speech) + [1.0] * len(curve_titles),
        subplot_titles=["Behaviour events (click one to play it)"]
        + ["Tasks of the visit (drag along this row to mark one)"] * (first_speech - 2)
        + [speech_title] * (first_eye - first_speech)
        + [EYE_CONTACT_TITLE] * (first_curve - first_eye)
        + list(curve_titles),
    )  # fmt: skip
    axes = {row: dict(figure._grid_ref[row - 1][0][0].trace_kwargs) for row in range(1, rows + 1)}
    return json.loads(to_json_plotly(figure.layout)), axes


def _grid(
    rows: int,
    first_speech: int,
    first_eye: int,
    first_curve: int,
    curve_titles: tuple[str, ...],
    *,
    speech_title: str,
) -> tuple[dict[str, Any], dict[int, dict[str, str]]]:
    layout, axes = _grid_template(
        rows, first_speech, first_eye, first_curve, curve_titles, speech_title=speech_title
    )
    return copy.deepcopy(layout), axes


def _axis_key(reference: str) -> str:
    """'x2' -> 'xaxis2', 'y' -> 'yaxis'."""
    return f"{reference[0]}axis{reference[1:]}"


def _task_bars(
    traces: list[dict[str, Any]],
    layout: dict[str, Any],
    axes: dict[str, str],
    tasks: list[tuple[str, float, float, str]],
) -> None:
    """The visit's tasks on row 2, one lane per task (a proposal paler than a marked task); an
    empty row still spans the video so that a drag along it can mark the first task."""
    for name, start_s, end_s, source in tasks:
        proposed = source == "automatic"
        traces.append(
            dict(type="bar", orientation="h", base=[start_s], x=[max(end_s - start_s, 0.2)], y=[name], name=name,
                 marker={"color": "#8fb8b8" if proposed else "#0f6e6e"}, showlegend=False,
                 hovertemplate=f"{name}<br>{start_s:.1f} to {end_s:.1f} s<br>"
                 + ("proposed by the task model" if proposed else "marked") + "<extra></extra>", **axes),
        )  # fmt: skip
    layout[_axis_key(axes["yaxis"])].update(showticklabels=bool(tasks), dtick=1)  # every task's name
    if not tasks:
        traces.append(
            dict(type="scatter", x=[0], y=[0], mode="markers", marker={"opacity": 0}, hoverinfo="skip",
                 showlegend=False, **axes),
        )  # fmt: skip


def _speech_bars(traces: list[dict[str, Any]], speech: list[SpeechSegment], axes: dict[str, str]) -> None:
    """Speech segments as bars, one lane, colour and legend entry per speaker (a click plays the
    segment from its start, as an event bar)."""
    for speaker, (lane, words, colour) in SPEAKERS.items():
        group = [s for s in speech if s.speaker == speaker]
        if not group:
            continue
        traces.append(
            dict(type="bar", orientation="h", base=[s.start_s for s in group], x=[max(s.end_s - s.start_s, 0.1) for s in group],
                   y=[lane] * len(group), name=words, marker={"color": colour}, showlegend=True,
                   customdata=[["", s.start_s] for s in group],  # a click plays it
                   hovertemplate=[f"{words}<br>{s.start_s:.1f} to {s.end_s:.1f} s<br>attribution confidence "
                                  f"{s.confidence:.0%}<extra></extra>" for s in group], **axes),
        )  # fmt: skip


def _contact_bars(
    traces: list[dict[str, Any]], layout: dict[str, Any], eye_contact: dict[str, Any], axes: dict[str, str]
) -> None:
    """Eye-contact and mutual-gaze episodes as bars on their own lanes (a click plays the
    episode); where eye contact, or only mutual gaze, was not measured, or was measured and never
    seen, a line of text across the row says so."""
    notes = []
    seconds = eye_contact["measured_s"]
    if not eye_contact["measured"]:
        notes.append(f"Eye contact not measured: {eye_contact['reason'] or 'no reason was recorded'}.")
    elif not eye_contact["episodes"]:
        notes.append(
            "No eye contact in the " + (f"{seconds:.0f} s measured." if seconds else "frames measured.")
        )
    if eye_contact["measured"] and eye_contact["mutual_reason"]:
        notes.append(f"Mutual gaze not measured: {eye_contact['mutual_reason']}.")
    for kind, (lane, words, colour) in CONTACT_LANES.items():
        group = [e for e in eye_contact["episodes"] if e.kind == kind]
        if not group:
            continue
        traces.append(
            dict(type="bar", orientation="h", base=[e.start_s for e in group], x=[max(e.end_s - e.start_s, 0.1) for e in group],
                 y=[lane] * len(group), name=words, marker={"color": colour}, showlegend=False,
                 customdata=[["", e.start_s] for e in group],  # a click plays it
                 hovertemplate=[f"{words}<br>{e.start_s:.1f} to {e.end_s:.1f} s<extra></extra>" for e in group], **axes),
        )  # fmt: skip
    if notes:
        _row_note(traces, layout, axes, " ".join(notes), "eye contact note")


def _row_note(
    traces: list[dict[str, Any]], layout: dict[str, Any], axes: dict[str, str], text: str, name: str
) -> None:
    """A line of text across a row (why it is empty, or what it lacks); a row without bars keeps
    its axes (and the video's time span) for it."""
    if not traces or traces[-1].get("yaxis") != axes["yaxis"]:
        traces.append(
            dict(type="scatter", x=[0], y=[0], mode="markers", marker={"opacity": 0}, hoverinfo="skip",
                 showlegend=False, **axes),
        )  # fmt: skip
        layout[_axis_key(axes["yaxis"])]["showticklabels"] = False
    layout.setdefault("annotations", []).append(
        dict(text=text, xref=f"{axes['xaxis']} domain", yref=f"{axes['yaxis']} domain", x=0.5, y=0.5,
             showarrow=False, font={"size": 13, "color": "#1d2733"}, bgcolor="rgba(255,255,255,0.85)", name=name),
    )  # fmt: skip


def _element_id(event: ReviewedEvent) -> str:
    """The id of the event's item in the page's list."""
    return f"event-{event.pk}" if event.source == "model" else f"coded-{event.pk}"


def _origin(event: ReviewedEvent) -> str:
    if event.source == "clinician":
        return f"added by {event.reviewer}"
    words = {
        "unreviewed": "detected, not reviewed yet",
        "confirm": f"confirmed by {event.reviewer}",
        "correct": f"corrected by {event.reviewer}",
    }
    return words.get(event.status, event.status)

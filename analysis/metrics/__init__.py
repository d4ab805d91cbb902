"""Clinical metrics: pure functions from the patient's per-frame tracks to metric values,
windowed samples and behaviour events (apathy, stereotypy, attention; praxis lives in
praxis.py). Formulas, units, windows and the papers they follow: analysis/README.md.
"""

from __future__ import annotations

import numpy as np

from analysis.metrics.activity import activity_report
from analysis.metrics.apathy import apathy_report
from analysis.metrics.attention import GazeTarget, attention_report
from analysis.metrics.config import MetricsConfig
from analysis.metrics.definitions import METRIC_DEFINITIONS, MetricDefinition
from analysis.metrics.native_rate import NativeWindow, native_hand_events
from analysis.metrics.segments import ProtocolSegment
from analysis.metrics.stereotypy import stereotypy_report
from analysis.results import MetricsReport, MetricValue
from analysis.tracks import Tracks

__all__ = [
    "METRIC_DEFINITIONS",
    "GazeTarget",
    "MetricDefinition",
    "MetricsConfig",
    "NativeWindow",
    "ProtocolSegment",
    "compute_all",
]


def compute_all(
    tracks: Tracks,
    *,
    window_s: float = 10.0,
    gaze_target: GazeTarget | None = None,
    config: MetricsConfig | None = None,
    segments: list[ProtocolSegment] | None = None,
    native: list[NativeWindow] | None = None,
) -> MetricsReport:
    """Compute the apathy, stereotypy and attention families for one session.

    Parameters
    ----------
    tracks : Tracks
        The patient's rows only, one per analysed frame, in time order (Tracks.patient());
        rows may be all-NaN where nothing was detected.
    window_s : float
        Length (s) of the windows of the window samples, tiling the session from its first frame.
    gaze_target : GazeTarget, optional
        What counts as looking at the target; default the camera (GazeTarget.camera()).
    config : MetricsConfig, optional
        Thresholds; defaults documented in analysis/README.md.
    segments : list of ProtocolSegment, optional
        The protocol's marked segments: a baseline for agitation, a calibration for everything
        that compares the gaze with its target (NaN "needs calibration" without one), the
        positive and negative stories for apathy.
    native : list of NativeWindow, optional
        The candidate windows of hand movement decoded again at the video's native frame rate
        (analysis/native_pass.py): hand flapping is measured there (metrics/native_rate.py).
        None when only the tracks are at hand (stereotypy.hand_flapping.native_rate_s is then
        NaN with the reason).

    Returns
    -------
    MetricsReport with families "apathy", "stereotypy" and "attention" always present (their
    values NaN where nothing was measurable), window samples and events (body_rocking,
    hand_flapping, head_movement, gaze_shift) sorted by start time.
    """
    t = np.asarray(tracks.time_s, dtype=np.float64)
    if t.size > 1 and np.any(np.diff(t) < 0):
        raise ValueError(
            "compute_all needs the patient's rows in time order; pass tracks.patient() "
            "rather than the raw tracks of every person."
        )
    config = config or MetricsConfig()
    gaze_target = gaze_target or GazeTarget.camera()
    report = MetricsReport()
    with np.errstate(invalid="ignore", divide="ignore"):
        report.merge(apathy_report(tracks, window_s=window_s, config=config, segments=segments))
        hands, native_s = None, MetricValue.unknown("s", "the video was not decoded again at its native rate")
        if native is not None:
            native_events, seconds = native_hand_events(native, tracks, config)
            hands, native_s = (
                (native_events, [(w.start_s, w.end_s) for w in native]),
                MetricValue(seconds, "s"),
            )
        report.merge(stereotypy_report(tracks, window_s=window_s, config=config, native=hands))
        report.metrics["stereotypy"]["stereotypy.hand_flapping.native_rate_s"] = native_s
        report.merge(activity_report(tracks, window_s=window_s, config=config, segments=segments))
        report.merge(
            attention_report(tracks, window_s=window_s, target=gaze_target, config=config, segments=segments)
        )
    report.events.sort(key=lambda e: (e.start_s, e.kind, e.body_part))
    return report


# The protocol segments each recomputable part reads: the interview's baseline and stories
# (apathy per story, agitation against the baseline) and the praxis items' cues.
INTERVIEW_PARTS = "interview"
PRAXIS_PART = "praxis"


def compute_segment_metrics(
    tracks: Tracks,
    *,
    part: str,
    segments: list[ProtocolSegment] | None = None,
    references: dict[str, np.ndarray | list[np.ndarray]] | None = None,
    expected_gestures: list[str] | None = None,
    window_s: float = 10.0,
    config: MetricsConfig | None = None,
) -> MetricsReport:
    """The metrics that depend on the marked protocol segments, computed again from stored tracks
    by the same functions as compute_all and the pipeline (no video is decoded): part
    INTERVIEW_PARTS gives the "apathy" family and the agitation keys (activity_report), part
    PRAXIS_PART the "praxis" family and its gesture events (compute_praxis). tracks are the
    patient's rows in time order (Tracks.patient())."""
    # Imported here: praxis imports this package's modules.
    from analysis.metrics.praxis import compute_praxis  # noqa: PLC0415

    config = config or MetricsConfig()
    if part == PRAXIS_PART:
        return compute_praxis(
            tracks, references=references, expected_gestures=expected_gestures, segments=segments
        )
    if part != INTERVIEW_PARTS:
        raise ValueError(f"unknown part {part!r}: use {INTERVIEW_PARTS!r} or {PRAXIS_PART!r}")
    report = MetricsReport()
    with np.errstate(invalid="ignore", divide="ignore"):
        report.merge(apathy_report(tracks, window_s=window_s, config=config, segments=segments))
        report.merge(activity_report(tracks, window_s=window_s, config=config, segments=segments))
    return report

"""Attention: gaze on a target, gaze shifts, fixations and gaze aversion while speaking.

Eye contact follows the angular criterion of Chong et al. (Nat Commun 2020) with the
threshold of metrics.md (10 deg with eye gaze, 15 deg with head pose only); looks and shifts
must last >= 0.2 s. Fixations use the dispersion-threshold algorithm I-DT (Salvucci & Goldberg,
ETRA 2000). Gaze aversion while speaking follows Vail et al. (ACII 2017) and Choi et al.
(J Nerv Ment Dis 2010), with mouth movement standing in for voice activity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.metrics.config import MetricsConfig
from analysis.metrics.preprocessing import (
    coverage_share,
    frame_period_s,
    inter_ocular_distance_px,
    interpolate_short_gaps,
    mask_low_confidence,
    per_minute,
    share_of,
    true_runs,
)
from analysis.metrics.windows import tiling_windows, window_samples
from analysis.results import Event, MetricsReport, MetricValue
from analysis.tracks import Tracks

FAMILY = "attention"
FACE_UPPER_LIP_INNER, FACE_LOWER_LIP_INNER = 13, 14
GAZE_RADIUS_DEG, HEAD_RADIUS_DEG = 10.0, 15.0


@dataclass(frozen=True)
class GazeTarget:
    """What the patient should look at, as gaze angles in degrees (yaw > 0: the patient's left).

    A disc of radius_deg around (yaw_deg, pitch_deg) (default: the camera, straight ahead), or
    an angular box when box_deg = (yaw_min, yaw_max, pitch_min, pitch_max) is given (a screen,
    a toy, the examiner's seat). Measured angles minus the per-subject offsets (the angles the
    subject shows when looking at the camera, from a calibration) are compared with it. With
    radius_deg None the disc is 10 deg on eye-gaze frames and 15 deg on frames with head pose
    only (head pose is the coarser direction).
    """

    name: str = "camera"
    yaw_deg: float = 0.0
    pitch_deg: float = 0.0
    radius_deg: float | None = None
    box_deg: tuple[float, float, float, float] | None = None
    yaw_offset_deg: float = 0.0
    pitch_offset_deg: float = 0.0
    head_only: bool = False

    @classmethod
    def camera(
        cls, *, radius_deg: float | None = None, yaw_offset_deg: float = 0.0, pitch_offset_deg: float = 0.0
    ) -> GazeTarget:
        """The camera (or a partner next to it) straight ahead."""
        return cls("camera", 0.0, 0.0, radius_deg, None, yaw_offset_deg, pitch_offset_deg)

    @classmethod
    def region(
        cls, name: str, yaw_range_deg: tuple[float, float], pitch_range_deg: tuple[float, float]
    ) -> GazeTarget:
        """An angular box [yaw_min, yaw_max] x [pitch_min, pitch_max] (deg)."""
        return cls(name, box_deg=(*yaw_range_deg, *pitch_range_deg))

    def contains(self, yaw_deg: np.ndarray, pitch_deg: np.ndarray, from_eyes: np.ndarray) -> np.ndarray:
        """Whether each direction is on the target; shapes (n,) -> bool (n,), False on NaN."""
        yaw = np.asarray(yaw_deg, dtype=np.float64) - self.yaw_offset_deg
        pitch = np.asarray(pitch_deg, dtype=np.float64) - self.pitch_offset_deg
        with np.errstate(invalid="ignore"):
            if self.box_deg is not None:
                yaw_min, yaw_max, pitch_min, pitch_max = self.box_deg
                return (yaw >= yaw_min) & (yaw <= yaw_max) & (pitch >= pitch_min) & (pitch <= pitch_max)
            radius = np.where(from_eyes, GAZE_RADIUS_DEG, HEAD_RADIUS_DEG)
            if self.radius_deg is not None:
                radius = np.full(yaw.shape, self.radius_deg)
            return np.hypot(yaw - self.yaw_deg, pitch - self.pitch_deg) <= radius


@dataclass(frozen=True)
class Run:
    """A stretch of valid frames [start, stop) (indices into the valid frames) with one state."""

    state: bool
    start: int
    stop: int


def gaze_direction_deg(
    tracks: Tracks, target: GazeTarget, config: MetricsConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame (yaw, pitch) in degrees, shape (n_frames, 2), and whether it came from eye gaze.

    Eye gaze (gaze_deg) where available, else head pose (head_pose_deg yaw, pitch); each is
    masked by the face confidence and gap-filled (<= max_gap_s) first. NaN where neither exists.
    """
    gaze = mask_low_confidence(tracks.gaze_deg, tracks.face_confidence, config.min_face_confidence)
    head = mask_low_confidence(
        tracks.head_pose_deg[:, :2], tracks.face_confidence, config.min_face_confidence
    )
    gaze = interpolate_short_gaps(gaze, tracks.time_s, config.max_gap_s)
    head = interpolate_short_gaps(head, tracks.time_s, config.max_gap_s)
    from_eyes = np.isfinite(gaze).all(axis=1) & (not target.head_only)
    return np.where(from_eyes[:, None], gaze, head), from_eyes


def stable_runs(state: np.ndarray, period_s: float, min_hold_s: float) -> list[Run]:
    """Runs of a boolean state over valid frames, ignoring flickers shorter than min_hold_s.

    A run shorter than min_hold_s (duration = frames x period) is absorbed into the run before
    it (or after it, at the start); neighbours with the same state are then joined. This is
    the hysteresis that keeps a one-frame glance from counting as two gaze shifts.
    """
    raw = [Run(bool(state[a]), a, b) for a, b in true_runs(state) + true_runs(~state)]
    raw.sort(key=lambda r: r.start)
    kept: list[Run] = []
    for run in raw:
        held = (run.stop - run.start) * period_s >= min_hold_s - 1e-9
        if kept and (not held or kept[-1].state == run.state):
            kept[-1] = Run(kept[-1].state, kept[-1].start, run.stop)
        elif not kept and not held and len(raw) > 1:
            continue
        else:
            start = 0 if not kept else run.start
            kept.append(Run(run.state, start, run.stop))
    return kept


def fixation_durations_s(yaw_pitch: np.ndarray, time_s: np.ndarray, config: MetricsConfig) -> np.ndarray:
    """Fixation durations (s) by I-DT: a fixation is a stretch of consecutive frames lasting
    >= fixation_min_s whose dispersion (yaw range + pitch range, deg) stays <= the threshold.

    yaw_pitch has shape (n_frames, 2); NaN frames and time jumps (> 1.5 periods) end a
    fixation. Duration = frames x frame period.
    """
    period = frame_period_s(time_s)
    if not np.isfinite(period):
        return np.zeros(0)
    valid = np.isfinite(yaw_pitch).all(axis=1)
    min_frames = max(round(config.fixation_min_s / period), 2)
    durations = []
    steps = np.diff(time_s) <= 1.5 * period
    for a, b in true_runs(valid):
        breaks = np.flatnonzero(~steps[a : b - 1]) + a + 1
        for lo, hi in zip(np.concatenate(([a], breaks)), np.concatenate((breaks, [b])), strict=True):
            durations.extend(
                c * period for c in _idt(yaw_pitch[lo:hi], min_frames, config.fixation_dispersion_deg)
            )
    return np.asarray(durations, dtype=np.float64)


def _idt(points: np.ndarray, min_frames: int, max_dispersion: float) -> list[int]:
    """Frame counts of the I-DT fixations in one gap-free stretch of (yaw, pitch) points."""
    counts, start, n = [], 0, points.shape[0]
    while start + min_frames <= n:
        window = points[start : start + min_frames]
        low, high = window.min(axis=0), window.max(axis=0)
        if (high - low).sum() > max_dispersion:
            start += 1
            continue
        stop = start + min_frames
        while stop < n:
            new_low, new_high = np.minimum(low, points[stop]), np.maximum(high, points[stop])
            if (new_high - new_low).sum() > max_dispersion:
                break
            low, high, stop = new_low, new_high, stop + 1
        counts.append(stop - start)
        start = stop
    return counts


def speaking_frames(tracks: Tracks, config: MetricsConfig) -> tuple[np.ndarray, np.ndarray]:
    """Speech proxy: (speaking, measured) bool arrays of shape (n_frames,).

    Mouth opening = inner-lip distance (Face Mesh 13-14) / IOD. A frame is speaking when the
    standard deviation of the opening over a centred speech_window_s window (at least half of
    it measured) reaches speech_mouth_std_iod: talking opens and closes the mouth several
    times a second, while a still or steadily open mouth does not vary.
    """
    lips = mask_low_confidence(
        tracks.face_xy[:, [FACE_UPPER_LIP_INNER, FACE_LOWER_LIP_INNER]],
        tracks.face_confidence,
        config.min_face_confidence,
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        opening = np.linalg.norm(lips[:, 0] - lips[:, 1], axis=-1) / inter_ocular_distance_px(tracks.face_xy)
    opening = interpolate_short_gaps(opening, tracks.time_s, config.max_gap_s)
    measured = np.isfinite(opening)
    period = frame_period_s(tracks.time_s)
    if not measured.any() or not np.isfinite(period):
        return np.zeros(len(tracks), dtype=bool), measured
    width = max(round(config.speech_window_s / period), 3)
    kernel = np.ones(width)
    counts = np.convolve(measured.astype(float), kernel, mode="same")
    x = np.where(measured, opening, 0.0)
    mean = np.convolve(x, kernel, mode="same") / np.maximum(counts, 1)
    var = np.convolve(x**2, kernel, mode="same") / np.maximum(counts, 1) - mean**2
    std = np.sqrt(np.maximum(var, 0.0))
    speaking = measured & (counts >= width / 2) & (std >= config.speech_mouth_std_iod)
    return speaking, measured


def attention_report(
    tracks: Tracks, *, window_s: float, target: GazeTarget, config: MetricsConfig
) -> MetricsReport:
    """The "attention" family and its gaze_shift events (shifts held >= gaze_event_min_hold_s).

    Shares are over frames with a gaze direction; rates are per minute of such frames.
    """
    t = np.asarray(tracks.time_s, dtype=np.float64)
    period = frame_period_s(t)
    direction, from_eyes = gaze_direction_deg(tracks, target, config)
    valid = np.isfinite(direction).all(axis=1)
    on = target.contains(direction[:, 0], direction[:, 1], from_eyes) & valid
    runs = stable_runs(on[valid], period, config.gaze_min_hold_s) if valid.any() else []
    valid_idx = np.flatnonzero(valid)
    shift_times = np.array([t[valid_idx[r.start]] for r in runs[1:]])
    looks = [r for r in runs if r.state]
    look_s = [(r.stop - r.start) * period for r in looks]
    fixations = fixation_durations_s(direction, t, config)
    speaking, mouth_measured = speaking_frames(tracks, config)
    aversion_speaking = share_of(~on, valid & speaking)
    aversion_listening = share_of(~on, valid & mouth_measured & ~speaking)

    nan = float("nan")
    values = {
        "attention.gaze_coverage": MetricValue(coverage_share(valid), "share"),
        "attention.eye_gaze_share": MetricValue(share_of(from_eyes, valid), "share"),
        "attention.gaze_on_target_share": MetricValue(share_of(on, valid), "share"),
        "attention.gaze_shifts_per_min": MetricValue(per_minute(shift_times.size, valid, t), "per_min"),
        "attention.looks_per_min": MetricValue(per_minute(len(looks), valid, t), "per_min"),
        "attention.look_duration_mean_s": MetricValue(float(np.mean(look_s)) if look_s else nan, "s"),
        "attention.fixations_per_min": MetricValue(per_minute(fixations.size, valid, t), "per_min"),
        "attention.fixation_duration_mean_s": MetricValue(
            float(fixations.mean()) if fixations.size else nan, "s"
        ),
        "attention.fixation_duration_median_s": MetricValue(
            float(np.median(fixations)) if fixations.size else nan, "s"
        ),
        "attention.speaking_share": MetricValue(share_of(speaking, mouth_measured), "share"),
        "attention.gaze_aversion_while_speaking_share": MetricValue(aversion_speaking, "share"),
        "attention.gaze_aversion_while_listening_share": MetricValue(aversion_listening, "share"),
        "attention.gaze_aversion_speaking_minus_listening": MetricValue(
            aversion_speaking - aversion_listening, "share"
        ),
    }
    events = _shift_events(runs, on[valid], t[valid], period=period, target=target, config=config)

    def shifts_in(frames: slice, start: float, end: float) -> float:
        count = int(np.sum((shift_times >= start) & (shift_times < end)))
        return per_minute(count, valid[frames], t)

    windows = tiling_windows(t, window_s)
    samples = [
        *window_samples(
            "attention.gaze_on_target_share", "share", t, windows, lambda f, a, b: share_of(on[f], valid[f])
        ),
        *window_samples("attention.gaze_shifts_per_min", "per_min", t, windows, shifts_in),
        *window_samples(
            "attention.gaze_aversion_while_speaking_share",
            "share",
            t,
            windows,
            lambda f, a, b: share_of(~on[f], (valid & speaking)[f]),
        ),
    ]
    return MetricsReport(metrics={FAMILY: values}, samples=samples, events=events)


def _shift_events(
    runs: list[Run],
    on: np.ndarray,
    time_s: np.ndarray,
    *,
    period: float,
    target: GazeTarget,
    config: MetricsConfig,
) -> list[Event]:
    """A gaze_shift Event for each shift whose new state lasts >= gaze_event_min_hold_s,
    spanning that new state; confidence = share of its frames whose raw state agrees."""
    events = []
    for run in runs[1:]:
        held_s = (run.stop - run.start) * period
        if held_s < config.gaze_event_min_hold_s - 1e-9:
            continue
        agree = float(np.mean(on[run.start : run.stop] == run.state))
        events.append(
            Event(
                kind="gaze_shift",
                body_part="eyes",
                start_s=float(time_s[run.start]),
                end_s=float(time_s[run.stop - 1] + period),
                confidence=agree,
                attributes={
                    "direction": "toward" if run.state else "away",
                    "target": target.name,
                    "held_s": held_s,
                },
            )
        )
    return events

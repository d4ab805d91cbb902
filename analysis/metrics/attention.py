"""Attention: gaze on a target, gaze shifts, fixations and gaze aversion while speaking.

Eye contact follows the angular criterion of Chong et al. (Nat Commun 2020) with the
threshold of metrics.md (10 deg with eye gaze, 15 deg with head pose only); looks and shifts
must last >= 0.2 s. Fixations use the dispersion-threshold algorithm I-DT (Salvucci & Goldberg,
ETRA 2000). Gaze aversion while speaking follows Vail et al. (ACII 2017) and Choi et al.
(J Nerv Ment Dis 2010), with mouth movement standing in for voice activity.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from analysis.metrics.config import MetricsConfig
from analysis.metrics.fixations import fixation_durations_s, fixations_withheld
from analysis.metrics.segments import CALIBRATION, ProtocolSegment, mask_of, of_kind
from analysis.metrics.speech import speaking_frames
from analysis.metrics.windows import tiling_windows, window_samples
from analysis.results import Event, MetricsReport, MetricValue
from analysis.timeseries.noise import MAD_TO_SD, jitter_sd
from analysis.timeseries.preprocessing import (
    coverage_share,
    frame_period_s,
    interpolate_short_gaps,
    mask_low_confidence,
    per_minute,
    share_of,
    true_runs,
)
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


def calibrated_target(
    direction: np.ndarray, time_s: np.ndarray, target: GazeTarget, segments: list[ProtocolSegment] | None
) -> tuple[GazeTarget | None, float]:
    """The target with the patient's own offsets, and the SD (deg) of their gaze while looking at
    it, from the calibration segments; (None, NaN) without a calibration segment holding at least
    five directions.

    Uncalibrated landmark gaze is biased by 5-10 deg (eye shape, camera height), as large as the
    target itself, so "on target" means nothing without it. During calibration the patient looks
    at the target's centre (or the camera): the median direction there minus that centre is the
    offset, and the robust SD around it is the gaze noise the shifts must clear.
    """
    inside = mask_of(of_kind(segments, CALIBRATION), time_s) & np.isfinite(direction).all(axis=1)
    if inside.sum() < 5:
        return None, float("nan")
    if target.box_deg is not None:
        centre = (
            0.5 * (target.box_deg[0] + target.box_deg[1]),
            0.5 * (target.box_deg[2] + target.box_deg[3]),
        )
    else:
        centre = (target.yaw_deg, target.pitch_deg)
    median = np.median(direction[inside], axis=0)
    spread = MAD_TO_SD * np.median(np.abs(direction[inside] - median), axis=0)
    calibrated = replace(
        target, yaw_offset_deg=float(median[0] - centre[0]), pitch_offset_deg=float(median[1] - centre[1])
    )
    return calibrated, float(np.hypot(*spread))


def on_target_with_hysteresis(
    target: GazeTarget, direction: np.ndarray, from_eyes: np.ndarray, noise_deg: float
) -> np.ndarray:
    """Per-frame on-target state with hysteresis above the gaze noise: a look starts inside the
    target (its radius widened to 3 x noise when that is larger) and ends only beyond it by 2 x
    noise, so jitter at the edge does not count as shifts. False on NaN frames."""
    margin = 2.0 * noise_deg if np.isfinite(noise_deg) else 0.0
    widened = target
    if target.box_deg is None and np.isfinite(noise_deg):
        base = target.radius_deg
        radius = (
            np.where(from_eyes, GAZE_RADIUS_DEG, HEAD_RADIUS_DEG)
            if base is None
            else np.full(len(from_eyes), base)
        )
        widened = replace(target, radius_deg=None)
        inner = np.maximum(radius, 3.0 * noise_deg)
        enter = _within(widened, direction, inner)
        leave = ~_within(widened, direction, inner + margin)
    else:
        enter = target.contains(direction[:, 0], direction[:, 1], from_eyes)
        leave = ~target.contains(direction[:, 0], direction[:, 1], from_eyes)
    valid = np.isfinite(direction).all(axis=1)
    state = np.zeros(len(direction), dtype=bool)
    current = False
    for i in range(len(direction)):
        if not valid[i]:
            current = False
            continue
        current = True if enter[i] else (False if leave[i] else current)
        state[i] = current
    return state


def _within(target: GazeTarget, direction: np.ndarray, radius_deg: np.ndarray) -> np.ndarray:
    yaw = direction[:, 0] - target.yaw_offset_deg - target.yaw_deg
    pitch = direction[:, 1] - target.pitch_offset_deg - target.pitch_deg
    with np.errstate(invalid="ignore"):
        return np.hypot(yaw, pitch) <= radius_deg


def attention_report(
    tracks: Tracks,
    *,
    window_s: float,
    target: GazeTarget,
    config: MetricsConfig,
    segments: list[ProtocolSegment] | None = None,
) -> MetricsReport:
    """The "attention" family and its gaze_shift events (shifts held >= gaze_event_min_hold_s).

    Everything that compares the gaze with the target (on-target share, shifts, looks, aversion)
    needs a calibration segment and is NaN "needs calibration" without one; fixations need
    calibration too and a frame rate and gaze noise that let them be told from noise. Shares are
    over frames with a gaze direction; rates are per minute of such frames; both carry their
    analysable time.
    """
    t = np.asarray(tracks.time_s, dtype=np.float64)
    period = frame_period_s(t)
    direction, from_eyes = gaze_direction_deg(tracks, target, config)
    valid = np.isfinite(direction).all(axis=1)
    analysable_s = float(valid.sum() * period) if np.isfinite(period) else 0.0
    calibrated, calibration_sd = calibrated_target(direction, t, target, segments)
    jitter = jitter_sd(direction, t)
    noise = (
        np.nanmax([calibration_sd, jitter]) if np.isfinite([calibration_sd, jitter]).any() else float("nan")
    )
    speaking, mouth_measured, speech_reason = speaking_frames(tracks, config)
    values = {
        "attention.gaze_coverage": MetricValue(coverage_share(valid), "share"),
        "attention.eye_gaze_share": _share(from_eyes, valid, period),
        "attention.gaze_noise_deg": MetricValue(noise, "deg", "" if np.isfinite(noise) else NO_GAZE),
        "attention.speaking_share": _share(speaking, mouth_measured, period, speech_reason or NO_MOUTH),
    }
    if not valid.any():
        reason = NO_GAZE
    elif calibrated is None:
        reason = NEEDS_CALIBRATION
    else:
        reason = ""
    if reason:
        for key, unit in GAZE_TARGET_METRICS.items():
            values[key] = MetricValue.unknown(
                unit, reason, analysable_s if unit in ("share", "per_min") else None
            )
        return MetricsReport(metrics={FAMILY: values})

    on = on_target_with_hysteresis(calibrated, direction, from_eyes, noise)
    runs = stable_runs(on[valid], period, config.gaze_min_hold_s)
    valid_idx = np.flatnonzero(valid)
    shift_times = np.array([t[valid_idx[r.start]] for r in runs[1:]])
    looks = [r for r in runs if r.state]
    look_s = [(r.stop - r.start) * period for r in looks]
    withheld = fixations_withheld(period, noise, config)
    fixations = fixation_durations_s(direction, t, config) if not withheld else np.zeros(0)
    aversion_speaking = _share(~on, valid & speaking, period, speech_reason or "no speaking frame")
    aversion_listening = _share(
        ~on, valid & mouth_measured & ~speaking, period, speech_reason or "no listening frame"
    )
    difference = aversion_speaking.value - aversion_listening.value
    values.update(
        {
            "attention.gaze_on_target_share": _share(on, valid, period),
            "attention.gaze_shifts_per_min": _rate(shift_times.size, analysable_s),
            "attention.looks_per_min": _rate(len(looks), analysable_s),
            "attention.look_duration_mean_s": MetricValue(float(np.mean(look_s)), "s")
            if look_s
            else MetricValue.unknown("s", "no look at the target"),
            "attention.fixations_per_min": MetricValue.unknown("per_min", withheld, analysable_s)
            if withheld
            else _rate(fixations.size, analysable_s),
            "attention.fixation_duration_mean_s": MetricValue(float(fixations.mean()), "s")
            if fixations.size
            else MetricValue.unknown("s", withheld or "no fixation"),
            "attention.fixation_duration_median_s": MetricValue(float(np.median(fixations)), "s")
            if fixations.size
            else MetricValue.unknown("s", withheld or "no fixation"),
            "attention.gaze_aversion_while_speaking_share": aversion_speaking,
            "attention.gaze_aversion_while_listening_share": aversion_listening,
            "attention.gaze_aversion_speaking_minus_listening": MetricValue(
                difference,
                "share",
                analysable_s=min(aversion_speaking.analysable_s, aversion_listening.analysable_s),
            )
            if np.isfinite(difference)
            else MetricValue.unknown(
                "share",
                aversion_speaking.reason or aversion_listening.reason,
                min(aversion_speaking.analysable_s, aversion_listening.analysable_s),
            ),
        }
    )
    events = _shift_events(runs, on[valid], t[valid], period=period, target=calibrated, config=config)

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


NO_GAZE = "no gaze or head direction was measured"
NO_MOUTH = "the mouth was not seen"
NEEDS_CALIBRATION = "needs calibration"
GAZE_TARGET_METRICS = {
    "attention.gaze_on_target_share": "share",
    "attention.gaze_shifts_per_min": "per_min",
    "attention.looks_per_min": "per_min",
    "attention.look_duration_mean_s": "s",
    "attention.fixations_per_min": "per_min",
    "attention.fixation_duration_mean_s": "s",
    "attention.fixation_duration_median_s": "s",
    "attention.gaze_aversion_while_speaking_share": "share",
    "attention.gaze_aversion_while_listening_share": "share",
    "attention.gaze_aversion_speaking_minus_listening": "share",
}


def _share(condition: np.ndarray, valid: np.ndarray, period: float, reason: str = NO_GAZE) -> MetricValue:
    """Share of the valid frames where condition holds, with their time; NaN with the reason."""
    seconds = float(np.sum(valid) * period) if np.isfinite(period) else 0.0
    value = share_of(condition, valid)
    return (
        MetricValue(value, "share", analysable_s=seconds)
        if np.isfinite(value)
        else MetricValue.unknown("share", reason, seconds)
    )


def _rate(count: int, seconds: float) -> MetricValue:
    """count per minute of seconds of analysable time."""
    if seconds <= 0:
        return MetricValue.unknown("per_min", NO_GAZE, 0.0)
    return MetricValue(60.0 * count / seconds, "per_min", analysable_s=seconds)


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

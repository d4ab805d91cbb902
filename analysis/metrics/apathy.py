"""Apathy / emotional blunting: facial motion, facial expression and head motion.

Follows Happy et al. (IEEE FG 2019, hal-02379341), where facial local motion fused with
emotion gave the best apathy classifier, and Zeghari et al. (JMIR Form Res 2021;5:e24727),
where lower expressivity (intensity and frequency of facial action) went with higher apathy.
Head motion follows Kacem et al. (FG 2018). Every statistic is over the frames where the face
was seen; coverage says how many. Formulas and units: analysis/README.md.
"""

from __future__ import annotations

import numpy as np

from analysis.metrics.action_units import ACTION_UNITS, AU_LANDMARKS, action_unit_changes, action_unit_summary
from analysis.metrics.config import MetricsConfig
from analysis.metrics.expressions import (
    EMOTION_INDEX,
    POSITIVE_CLASSES,
    emotion_entropy_bits,
    expression_variety,
    held_expressions,
    stable_switch_times,
    story_metrics,
    valence,
)
from analysis.metrics.face_alignment import RIGID_ANCHORS, aligned_face_iod  # noqa: F401 (re-exported)
from analysis.metrics.face_depth import face_without_head_rotation
from analysis.metrics.segments import (
    ProtocolSegment,
)
from analysis.metrics.windows import tiling_windows, window_samples
from analysis.results import MetricsReport, MetricValue
from analysis.timeseries.body import torso_frame
from analysis.timeseries.noise import gated, jitter_sd, noise_speed_threshold, smoothed_speed_sd
from analysis.timeseries.preprocessing import (
    coverage_share,
    frame_period_s,
    inter_ocular_distance_px,
    interpolate_short_gaps,
    mask_low_confidence,
    nanmean,
    nanquantile,
    nanstd,
    pose_points,
    running_median,
    savgol_smooth,
    share_of,
    speed_per_s,
)
from analysis.tracks import (
    POSE_LEFT_SHOULDER,
    POSE_RIGHT_SHOULDER,
    Tracks,
)

FAMILY = "apathy"
# Window (s) of the running median of the shoulder line's roll (head_angles_relative_to_torso).
SHOULDER_ROLL_MEDIAN_S = 1.0
FACE_REGIONS: dict[str, tuple[int, ...]] = {
    "brows": (46, 53, 52, 65, 55, 70, 63, 105, 66, 107, 276, 283, 282, 295, 285, 300, 293, 334, 296, 336),
    "lids": (
        161, 160, 159, 158, 157, 163, 144, 145, 153, 154, 388, 387, 386, 385, 384, 390, 373, 374, 380, 381,
    ),
    "mouth": (
        61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185,
        78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191,
    ),
}  # fmt: skip


def confident_face(tracks: Tracks, config: MetricsConfig) -> np.ndarray:
    """Frames whose face detection is not below min_face_confidence, bool (n_frames,)."""
    return ~(np.asarray(tracks.face_confidence, dtype=np.float64) < config.min_face_confidence)


def rotation_free_face_iod(tracks: Tracks, landmarks: np.ndarray, config: MetricsConfig) -> np.ndarray:
    """The confident frames' landmarks (n_frames, k, 2) in IOD, head motion removed in 3-D on the
    mesh's depth where the tracks have it (face_depth.face_without_head_rotation)."""
    usable = confident_face(tracks, config)
    return face_without_head_rotation(tracks.face_xy, tracks.face_z, tracks.head_pose_deg, landmarks, usable)


def face_jitter_iod(tracks: Tracks, config: MetricsConfig) -> float:
    """Jitter SD (IOD) of the face landmarks, measured on the rigid anchors after alignment:
    expressions and speech do not move them, so a patient who talks or smiles all session does
    not raise their own noise floor."""
    anchors = rotation_free_face_iod(tracks, np.array(RIGID_ANCHORS), config)
    return jitter_sd(interpolate_short_gaps(anchors, tracks.time_s, config.max_gap_s), tracks.time_s)


def facial_region_speeds(
    tracks: Tracks, config: MetricsConfig
) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Per-frame mean landmark speed (IOD/s) of each face region, rigid head motion removed,
    and the landmarks' measured jitter.

    Landmarks with the head's translation, scale and rotation removed (rotation_free_face_iod)
    are gap-filled (<= max_gap_s), Savitzky-Golay smoothed, then differentiated frame to frame. Returns ({"brows"|"lids"|"mouth"|"all":
    array of shape (n_frames,)}, NaN where the face is missing in either frame; {"sigma": the
    aligned landmarks' jitter SD (IOD), "threshold": the speed (IOD/s) one landmark's jitter
    alone stays below 99 % of the time}).
    """
    landmarks = np.concatenate([np.array(v) for v in FACE_REGIONS.values()])
    aligned = rotation_free_face_iod(tracks, landmarks, config)
    aligned = interpolate_short_gaps(aligned, tracks.time_s, config.max_gap_s)
    sigma = face_jitter_iod(tracks, config)
    speed_sd = smoothed_speed_sd(sigma, tracks.time_s, config.smooth_window_s, config.smooth_order)
    aligned = savgol_smooth(aligned, tracks.time_s, config.smooth_window_s, config.smooth_order)
    speeds = speed_per_s(aligned, tracks.time_s)
    out: dict[str, np.ndarray] = {}
    start = 0
    for region, members in FACE_REGIONS.items():
        out[region] = speeds[:, start : start + len(members)].mean(axis=1)
        start += len(members)
    out["all"] = speeds.mean(axis=1)
    noise = {
        "sigma": sigma,
        "threshold": noise_speed_threshold(speed_sd, 2),
    }
    return out, noise


def head_angles_relative_to_torso(tracks: Tracks, config: MetricsConfig) -> np.ndarray:
    """Head yaw, pitch, roll (deg, n_frames x 3), masked by face confidence and gap-filled, with
    the roll taken relative to the shoulder line where the shoulders are seen: a person swaying
    as a whole, or a camera that rolls, tilts head and shoulders together. The shoulder line's
    roll is its running median over SHOULDER_ROLL_MEDIAN_S: a torso leans over seconds, and the
    pose model's frame-to-frame jitter of the shoulders would otherwise read as head motion."""
    head = mask_low_confidence(tracks.head_pose_deg, tracks.face_confidence, config.min_face_confidence)
    head = interpolate_short_gaps(head, tracks.time_s, config.max_gap_s)
    pose = pose_points(tracks.pose_xy, tracks.pose_visibility, config.min_pose_visibility)
    _, angle, _ = torso_frame(pose[:, POSE_LEFT_SHOULDER], pose[:, POSE_RIGHT_SHOULDER], tracks.time_s)
    shoulder_roll = running_median(np.rad2deg(angle), tracks.time_s, SHOULDER_ROLL_MEDIAN_S)
    seen = np.isfinite(shoulder_roll)
    if seen.any():
        head[seen, 2] -= shoulder_roll[seen] - np.median(shoulder_roll[seen])
    return head


def head_angular_speed_deg_s(tracks: Tracks, config: MetricsConfig) -> tuple[np.ndarray, float]:
    """Head angular speed (deg/s) per frame, relative to the torso: norm of the frame-to-frame
    change of (yaw, pitch, roll) over dt after Savitzky-Golay smoothing, shape (n_frames,); and
    the speeds (deg/s) the measured head-pose jitter alone stays below 99 % of the time and
    gives on average."""
    head = head_angles_relative_to_torso(tracks, config)
    sigma = jitter_sd(head, tracks.time_s)
    speed_sd = smoothed_speed_sd(sigma, tracks.time_s, config.smooth_window_s, config.smooth_order)
    head = savgol_smooth(head, tracks.time_s, config.smooth_window_s, config.smooth_order)
    speed = speed_per_s(head[:, None, :], tracks.time_s)[:, 0]
    return speed, noise_speed_threshold(speed_sd, 3)


def action_unit_metrics(
    tracks: Tracks,
    config: MetricsConfig,
    *,
    segments: list[ProtocolSegment] | None,
    face_jitter: float,
    size_reason: str,
    face_seconds: float,
) -> dict[str, MetricValue]:
    """Intensity (IOD) and frequency (share) of each landmark action-unit proxy (action_units.py)."""
    out: dict[str, MetricValue] = {}
    if size_reason:
        for name in ACTION_UNITS:
            out[f"apathy.au.{name}.intensity_iod"] = MetricValue.unknown("IOD", size_reason)
            out[f"apathy.au.{name}.frequency"] = MetricValue.unknown("share", size_reason, 0.0)
        return out
    aligned = rotation_free_face_iod(tracks, np.array(AU_LANDMARKS), config)
    aligned = interpolate_short_gaps(aligned, tracks.time_s, config.max_gap_s)
    aligned = savgol_smooth(aligned, tracks.time_s, config.smooth_window_s, config.smooth_order)
    for name, change in action_unit_changes(aligned, tracks.time_s, segments).items():
        intensity, frequency = action_unit_summary(change, face_jitter)
        out[f"apathy.au.{name}.intensity_iod"] = (
            MetricValue(intensity, "IOD")
            if np.isfinite(intensity)
            else MetricValue.unknown("IOD", "never active")
        )
        out[f"apathy.au.{name}.frequency"] = (
            MetricValue(frequency, "share", analysable_s=face_seconds)
            if np.isfinite(frequency)
            else MetricValue.unknown("share", NO_FACE, 0.0)
        )
    return out


def apathy_report(
    tracks: Tracks, *, window_s: float, config: MetricsConfig, segments: list[ProtocolSegment] | None = None
) -> MetricsReport:
    """The "apathy" family: facial motion, expressions and their variety, head motion, per story.

    See METRIC_DEFINITIONS for keys, units and ranges. Values are NaN with the reason (never 0)
    when the face was never seen or is too small; motion is measured above the session's own
    jitter (noise.py), so a still face reads still at any size. Window samples (window_s) are
    given for the main metrics.
    """
    t = np.asarray(tracks.time_s, dtype=np.float64)
    period = frame_period_s(t)
    values: dict[str, MetricValue] = {}
    face_seen = np.isfinite(tracks.face_xy).all(axis=(1, 2)) & confident_face(tracks, config)
    values["apathy.face_coverage"] = MetricValue(coverage_share(face_seen), "share")
    iod = nanquantile(inter_ocular_distance_px(tracks.face_xy)[face_seen], 0.5)
    values["apathy.inter_ocular_distance_px"] = (
        MetricValue(iod, "px") if np.isfinite(iod) else MetricValue.unknown("px", NO_FACE)
    )
    size_reason = NO_FACE if not np.isfinite(iod) else ""
    if np.isfinite(iod) and iod < config.min_inter_ocular_px:
        size_reason = (
            f"the face is too small in the image (inter-ocular distance {iod:.0f} px, below the "
            f"{config.min_inter_ocular_px:.0f} px minimum)"
        )

    speeds, face_noise = facial_region_speeds(tracks, config)
    values["apathy.face_jitter_iod"] = (
        MetricValue(face_noise["sigma"], "IOD")
        if np.isfinite(face_noise["sigma"])
        else MetricValue.unknown("IOD", size_reason or NO_FACE)
    )
    threshold = (
        max(config.face_active_speed_iod_s, face_noise["threshold"])
        if np.isfinite(face_noise["threshold"])
        else config.face_active_speed_iod_s
    )
    excess = {region: gated(speed, face_noise["threshold"]) for region, speed in speeds.items()}
    face_seconds = float(np.isfinite(speeds["all"]).sum() * period) if np.isfinite(period) else 0.0
    if size_reason:
        values["apathy.facial_motion_energy"] = MetricValue.unknown("IOD/s", size_reason)
    else:
        values["apathy.facial_motion_energy"] = MetricValue(nanmean(excess["all"]), "IOD/s")
    for region in FACE_REGIONS:
        speed = speeds[region]
        moving = np.isfinite(speed)
        if size_reason:
            values[f"apathy.facial_motion.{region}.mean"] = MetricValue.unknown("IOD/s", size_reason)
            values[f"apathy.facial_motion.{region}.p90"] = MetricValue.unknown("IOD/s", size_reason)
            values[f"apathy.facial_motion.{region}.active_share"] = MetricValue.unknown(
                "share", size_reason, 0.0
            )
            continue
        values[f"apathy.facial_motion.{region}.mean"] = MetricValue(nanmean(excess[region]), "IOD/s")
        values[f"apathy.facial_motion.{region}.p90"] = MetricValue(nanquantile(excess[region], 0.9), "IOD/s")
        active = share_of(speed > threshold, moving)
        values[f"apathy.facial_motion.{region}.active_share"] = (
            MetricValue(active, "share", analysable_s=face_seconds)
            if np.isfinite(active)
            else MetricValue.unknown("share", NO_FACE, 0.0)
        )

    values.update(
        action_unit_metrics(
            tracks,
            config,
            segments=segments,
            face_jitter=face_noise["sigma"],
            size_reason=size_reason,
            face_seconds=face_seconds,
        )
    )

    probs = mask_low_confidence(tracks.emotion_probs, tracks.face_confidence, config.min_face_confidence)
    has_emotion = np.isfinite(probs).all(axis=1)
    emotion_seconds = float(has_emotion.sum() * period) if np.isfinite(period) else 0.0
    top = np.where(has_emotion, np.argmax(np.nan_to_num(probs, nan=-1.0), axis=1), -1)
    entropy = emotion_entropy_bits(probs)
    held = held_expressions(probs, t, config)
    frame_valence = valence(probs)

    def share(condition: np.ndarray) -> MetricValue:
        value = share_of(condition, has_emotion)
        if not np.isfinite(value):
            return MetricValue.unknown("share", NO_EXPRESSION, 0.0)
        return MetricValue(value, "share", analysable_s=emotion_seconds)

    def mean(values_: np.ndarray, unit: str) -> MetricValue:
        value = nanmean(values_)
        return MetricValue(value, unit) if np.isfinite(value) else MetricValue.unknown(unit, NO_EXPRESSION)

    values["apathy.emotion_coverage"] = MetricValue(coverage_share(has_emotion), "share")
    for name, index in EMOTION_INDEX.items():
        values[f"apathy.emotion_share.{name}"] = share(top == index)
        values[f"apathy.emotion_mean_prob.{name}"] = mean(probs[:, index], "probability")
    positive_index = [EMOTION_INDEX[c] for c in POSITIVE_CLASSES]
    values["apathy.neutral_share"] = values["apathy.emotion_share.neutral"]
    values["apathy.positive_share"] = share(np.isin(top, positive_index))
    values["apathy.valence_mean"] = mean(frame_valence, "valence")
    values["apathy.expression_uncertainty_bits"] = mean(entropy, "bits")
    bits, count = expression_variety(held)
    values["apathy.expression_variety_bits"] = (
        MetricValue(bits, "bits")
        if np.isfinite(bits)
        else MetricValue.unknown("bits", NO_EXPRESSION if not has_emotion.any() else "no expression was held")
    )
    values["apathy.expressions_held_count"] = (
        MetricValue(float(count), "count")
        if has_emotion.any()
        else MetricValue.unknown("count", NO_EXPRESSION)
    )
    switches = stable_switch_times(top[has_emotion], t[has_emotion], config.emotion_min_hold_s)
    values["apathy.emotion_switches_per_min"] = (
        MetricValue(60.0 * switches.size / emotion_seconds, "per_min", analysable_s=emotion_seconds)
        if emotion_seconds > 0
        else MetricValue.unknown("per_min", NO_EXPRESSION, 0.0)
    )
    values.update(story_metrics(segments, t, frame_valence, excess["all"], held))

    head_speed, head_noise = head_angular_speed_deg_s(tracks, config)
    head_valid = np.isfinite(head_speed)
    head_seconds = float(head_valid.sum() * period) if np.isfinite(period) else 0.0
    still_threshold = (
        max(config.head_still_deg_s, head_noise) if np.isfinite(head_noise) else config.head_still_deg_s
    )
    head_excess = gated(head_speed, head_noise)
    if head_valid.any():
        values["apathy.head_pose_jitter_deg_s"] = MetricValue(head_noise, "deg/s")
        values["apathy.head_motion_deg_s"] = MetricValue(nanmean(head_excess), "deg/s")
        values["apathy.head_motion_std_deg_s"] = MetricValue(nanstd(head_speed), "deg/s")
        values["apathy.head_still_share"] = MetricValue(
            share_of(head_speed < still_threshold, head_valid), "share", analysable_s=head_seconds
        )
    else:
        values["apathy.head_pose_jitter_deg_s"] = MetricValue.unknown("deg/s", NO_HEAD)
        values["apathy.head_motion_deg_s"] = MetricValue.unknown("deg/s", NO_HEAD)
        values["apathy.head_motion_std_deg_s"] = MetricValue.unknown("deg/s", NO_HEAD)
        values["apathy.head_still_share"] = MetricValue.unknown("share", NO_HEAD, 0.0)

    windows = tiling_windows(t, window_s)
    samples = [
        *window_samples(
            "apathy.facial_motion_energy",
            "IOD/s",
            t,
            windows,
            lambda f, a, b: float("nan") if size_reason else nanmean(excess["all"][f]),
        ),
        *window_samples(
            "apathy.neutral_share",
            "share",
            t,
            windows,
            lambda f, a, b: share_of(top[f] == EMOTION_INDEX["neutral"], has_emotion[f]),
        ),
        *window_samples(
            "apathy.positive_share",
            "share",
            t,
            windows,
            lambda f, a, b: share_of(np.isin(top[f], positive_index), has_emotion[f]),
        ),
        *window_samples(
            "apathy.valence_mean", "valence", t, windows, lambda f, a, b: nanmean(frame_valence[f])
        ),
        *window_samples(
            "apathy.head_motion_deg_s", "deg/s", t, windows, lambda f, a, b: nanmean(head_excess[f])
        ),
    ]
    return MetricsReport(metrics={FAMILY: values}, samples=samples)


NO_FACE = "no face was seen"
NO_EXPRESSION = "no facial expression was measured"
NO_HEAD = "no head pose was measured"

"""Apathy / emotional blunting: facial motion, facial expression and head motion.

Follows Happy et al. (IEEE FG 2019, hal-02379341), where facial local motion fused with
emotion gave the best apathy classifier, and Zeghari et al. (JMIR Form Res 2021;5:e24727),
where lower expressivity (intensity and frequency of facial action) went with higher apathy.
Head motion follows Kacem et al. (FG 2018). Every statistic is over the frames where the face
was seen; coverage says how many. Formulas and units: analysis/README.md.
"""

from __future__ import annotations

import numpy as np

from analysis.metrics.config import MetricsConfig
from analysis.metrics.preprocessing import (
    coverage_share,
    frame_period_s,
    interpolate_short_gaps,
    mask_low_confidence,
    nanmean,
    nanquantile,
    nanstd,
    per_minute,
    savgol_smooth,
    share_of,
    speed_per_s,
)
from analysis.metrics.windows import tiling_windows, window_samples
from analysis.results import MetricsReport, MetricValue
from analysis.tracks import EMOTION_CLASSES, FACE_LEFT_EYE_OUTER, FACE_RIGHT_EYE_OUTER, Tracks

FAMILY = "apathy"
# Face Mesh landmarks that do not move with expressions (forehead, nose bridge and tip, eye
# corners, temples): the rigid head motion is estimated on them only, so that opening the mouth
# does not pull the alignment.
RIGID_ANCHORS = (10, 151, 9, 8, 168, 6, 197, 195, 5, 4, 1, 33, 133, 362, 263, 127, 356, 234, 454)
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
POSITIVE_CLASSES = ("happy",)
EMOTION_INDEX = {name: i for i, name in enumerate(EMOTION_CLASSES)}


def confident_face(tracks: Tracks, config: MetricsConfig) -> np.ndarray:
    """Frames whose face detection is not below min_face_confidence, bool (n_frames,)."""
    return ~(np.asarray(tracks.face_confidence, dtype=np.float64) < config.min_face_confidence)


def aligned_face_iod(
    face_xy: np.ndarray, landmarks: np.ndarray, usable: np.ndarray | None = None
) -> np.ndarray:
    """Face landmarks with rigid head motion removed, in IOD units.

    Each frame is mapped onto a reference face by the 2-D similarity (rotation, uniform
    scale, translation) that best fits the RIGID_ANCHORS in the least-squares sense
    (Procrustes / Umeyama, solved in closed form with complex numbers). The reference is the
    per-landmark median of the frames after normalising each by its own eye-corner frame
    (centre, eye axis horizontal, IOD = 1), so coordinates come out in inter-ocular distances.

    Parameters
    ----------
    face_xy : array of shape (n_frames, 478, 2), px, NaN where no face.
    landmarks : int array of shape (k,)
        Landmarks to return.
    usable : bool array of shape (n_frames,), optional
        Frames allowed in (for example confident detections); the others come out NaN.

    Returns
    -------
    array of shape (n_frames, k, 2) in IOD, NaN on frames without a complete face.
    """
    n = face_xy.shape[0]
    keep = np.unique(np.concatenate([landmarks, RIGID_ANCHORS, [FACE_RIGHT_EYE_OUTER, FACE_LEFT_EYE_OUTER]]))
    pts = np.asarray(face_xy[:, keep], dtype=np.float64)
    z = pts[..., 0] + 1j * pts[..., 1]
    out = np.full((n, len(landmarks), 2), np.nan)
    valid = np.isfinite(z).all(axis=1)
    if usable is not None:
        valid &= usable
    if not valid.any():
        return out
    col = {lm: i for i, lm in enumerate(keep.tolist())}
    anchors = np.array([col[a] for a in RIGID_ANCHORS])
    z = z[valid]
    eye_axis = z[:, col[FACE_LEFT_EYE_OUTER]] - z[:, col[FACE_RIGHT_EYE_OUTER]]
    eye_axis = np.where(np.abs(eye_axis) > 0, eye_axis, 1.0)
    centre = z[:, anchors].mean(axis=1, keepdims=True)
    normalised = (z - centre) / eye_axis[:, None]
    reference = np.median(normalised.real, axis=0) + 1j * np.median(normalised.imag, axis=0)
    src = z[:, anchors] - centre
    dst = reference[anchors] - reference[anchors].mean()
    gain = (np.conj(src) * dst).sum(axis=1) / np.maximum((np.abs(src) ** 2).sum(axis=1), 1e-12)
    aligned = gain[:, None] * (z - centre) + reference[anchors].mean()
    picked = aligned[:, [col[lm] for lm in np.asarray(landmarks).tolist()]]
    out[valid] = np.stack([picked.real, picked.imag], axis=-1)
    return out


def facial_region_speeds(tracks: Tracks, config: MetricsConfig) -> dict[str, np.ndarray]:
    """Per-frame mean landmark speed (IOD/s) of each face region, rigid head motion removed.

    Aligned landmarks (aligned_face_iod) are gap-filled (<= max_gap_s), Savitzky-Golay
    smoothed, then differentiated frame to frame. Returns {"brows"|"lids"|"mouth"|"all":
    array of shape (n_frames,)}, NaN where the face is missing in either frame.
    """
    landmarks = np.concatenate([np.array(v) for v in FACE_REGIONS.values()])
    aligned = aligned_face_iod(tracks.face_xy, landmarks, usable=confident_face(tracks, config))
    aligned = interpolate_short_gaps(aligned, tracks.time_s, config.max_gap_s)
    aligned = savgol_smooth(aligned, tracks.time_s, config.smooth_window_s, config.smooth_order)
    speeds = speed_per_s(aligned, tracks.time_s)
    out: dict[str, np.ndarray] = {}
    start = 0
    for region, members in FACE_REGIONS.items():
        out[region] = speeds[:, start : start + len(members)].mean(axis=1)
        start += len(members)
    out["all"] = speeds.mean(axis=1)
    return out


def emotion_entropy_bits(probs: np.ndarray) -> np.ndarray:
    """Shannon entropy (bits) of each row of probabilities, shape (n_frames, 7) -> (n_frames,).

    Rows are renormalised to sum to 1; 0 log 0 = 0; NaN rows give NaN. The maximum,
    for uniform probabilities, is log2(7) = 2.81 bits.
    """
    p = np.asarray(probs, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = p / p.sum(axis=1, keepdims=True)
        terms = np.where(p > 0, -p * np.log2(np.where(p > 0, p, 1.0)), 0.0)
    entropy = terms.sum(axis=1)
    entropy[~np.isfinite(p).all(axis=1)] = np.nan
    return entropy


def stable_switch_times(labels: np.ndarray, time_s: np.ndarray, min_hold_s: float) -> np.ndarray:
    """Times (s) at which a label changes to another one that then lasts >= min_hold_s.

    labels has shape (n_valid,) over valid frames only (time-ordered). Runs shorter than
    min_hold_s are ignored, so a one-frame flicker of the top class is not a switch.
    """
    if labels.size == 0:
        return np.zeros(0)
    period = frame_period_s(time_s)
    period = period if np.isfinite(period) else 0.0
    change = np.flatnonzero(np.diff(labels) != 0) + 1
    starts = np.concatenate(([0], change))
    stops = np.concatenate((change, [labels.size]))
    durations = time_s[stops - 1] - time_s[starts] + period
    held = durations >= min_hold_s - 1e-9
    kept_labels, kept_starts = labels[starts][held], starts[held]
    switched = np.flatnonzero(np.diff(kept_labels) != 0) + 1
    return time_s[kept_starts[switched]]


def head_angular_speed_deg_s(tracks: Tracks, config: MetricsConfig) -> np.ndarray:
    """Head angular speed (deg/s) per frame: norm of the frame-to-frame change of (yaw, pitch,
    roll) over dt, after gap filling and Savitzky-Golay smoothing. Shape (n_frames,)."""
    head = mask_low_confidence(tracks.head_pose_deg, tracks.face_confidence, config.min_face_confidence)
    head = interpolate_short_gaps(head, tracks.time_s, config.max_gap_s)
    head = savgol_smooth(head, tracks.time_s, config.smooth_window_s, config.smooth_order)
    return speed_per_s(head[:, None, :], tracks.time_s)[:, 0]


def apathy_report(tracks: Tracks, *, window_s: float, config: MetricsConfig) -> MetricsReport:
    """The "apathy" family: facial motion energy, emotion shares and dynamics, head motion.

    See METRIC_DEFINITIONS for keys and units. All values are NaN (never 0) when the face was
    never seen; window samples (window_s) are given for the main metrics.
    """
    t = np.asarray(tracks.time_s, dtype=np.float64)
    values: dict[str, MetricValue] = {}
    face_seen = np.isfinite(tracks.face_xy).all(axis=(1, 2)) & confident_face(tracks, config)
    values["apathy.face_coverage"] = MetricValue(coverage_share(face_seen), "share")

    speeds = facial_region_speeds(tracks, config)
    values["apathy.facial_motion_energy"] = MetricValue(nanmean(speeds["all"]), "IOD/s")
    for region in FACE_REGIONS:
        speed = speeds[region]
        moving = np.isfinite(speed)
        values[f"apathy.facial_motion.{region}.mean"] = MetricValue(nanmean(speed), "IOD/s")
        values[f"apathy.facial_motion.{region}.p90"] = MetricValue(nanquantile(speed, 0.9), "IOD/s")
        active = share_of(speed > config.face_active_speed_iod_s, moving)
        values[f"apathy.facial_motion.{region}.active_share"] = MetricValue(active, "share")

    probs = mask_low_confidence(tracks.emotion_probs, tracks.face_confidence, config.min_face_confidence)
    has_emotion = np.isfinite(probs).all(axis=1)
    top = np.where(has_emotion, np.argmax(np.nan_to_num(probs, nan=-1.0), axis=1), -1)
    entropy = emotion_entropy_bits(probs)
    values["apathy.emotion_coverage"] = MetricValue(coverage_share(has_emotion), "share")
    for name, index in EMOTION_INDEX.items():
        values[f"apathy.emotion_share.{name}"] = MetricValue(share_of(top == index, has_emotion), "share")
        values[f"apathy.emotion_mean_prob.{name}"] = MetricValue(nanmean(probs[:, index]), "probability")
    positive_index = [EMOTION_INDEX[c] for c in POSITIVE_CLASSES]
    values["apathy.neutral_share"] = values["apathy.emotion_share.neutral"]
    values["apathy.positive_share"] = MetricValue(
        share_of(np.isin(top, positive_index), has_emotion), "share"
    )
    valence = probs[:, EMOTION_INDEX["happy"]] - probs[:, EMOTION_INDEX["sad"]]
    values["apathy.valence_mean"] = MetricValue(nanmean(valence), "probability")
    values["apathy.emotion_entropy"] = MetricValue(nanmean(entropy), "bits")
    switches = stable_switch_times(top[has_emotion], t[has_emotion], config.emotion_min_hold_s)
    values["apathy.emotion_switches_per_min"] = MetricValue(
        per_minute(switches.size, has_emotion, t), "per_min"
    )

    head_speed = head_angular_speed_deg_s(tracks, config)
    head_valid = np.isfinite(head_speed)
    values["apathy.head_motion_deg_s"] = MetricValue(nanmean(head_speed), "deg/s")
    values["apathy.head_motion_std_deg_s"] = MetricValue(nanstd(head_speed), "deg/s")
    values["apathy.head_still_share"] = MetricValue(
        share_of(head_speed < config.head_still_deg_s, head_valid), "share"
    )

    windows = tiling_windows(t, window_s)
    samples = [
        *window_samples(
            "apathy.facial_motion_energy", "IOD/s", t, windows, lambda f, a, b: nanmean(speeds["all"][f])
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
        *window_samples("apathy.emotion_entropy", "bits", t, windows, lambda f, a, b: nanmean(entropy[f])),
        *window_samples(
            "apathy.head_motion_deg_s", "deg/s", t, windows, lambda f, a, b: nanmean(head_speed[f])
        ),
    ]
    return MetricsReport(metrics={FAMILY: values}, samples=samples)

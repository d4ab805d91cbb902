"""Eye contact with the other person in view, per analysed frame, and the interaction family's
eye-contact measures.

The test is angular and in the image plane (the people in a clinical video sit side by side
or across a table, at about the same depth): the patient's calibrated gaze direction, projected
on the image, must point from the patient's eyes to the other person's face within a tolerance
(the face's own angular half-size seen from the patient plus the gaze error: 10 deg with eye
gaze, 15 deg with head pose only, attention.GAZE_RADIUS_DEG / HEAD_RADIUS_DEG). A gaze within
MIN_OFF_AXIS_DEG of the camera axis has no reliable image direction: it looks at the camera,
not at a face beside the patient. Mutual gaze: the other person's head pose (their face mesh,
every OTHER_FACE_EVERY_S) passes the same test toward the patient's face, with the head-pose
tolerance. Thresholds and why: analysis/README.md, "Interaction: eye contact".
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from analysis.audio import STATUS_SPEECH, SpeechAnalysis
from analysis.metrics.attention import (
    GAZE_RADIUS_DEG,
    HEAD_RADIUS_DEG,
    NEEDS_CALIBRATION,
    NO_GAZE,
    GazeTarget,
    calibrated_target,
    gaze_direction_deg,
    stable_runs,
)
from analysis.metrics.config import MetricsConfig
from analysis.metrics.segments import ProtocolSegment
from analysis.results import MetricValue
from analysis.speaker_attribution import OTHER, PATIENT
from analysis.timeseries.preprocessing import frame_period_s, share_of
from analysis.tracks import FACE_LEFT_EYE_OUTER, FACE_RIGHT_EYE_OUTER, Tracks

# A gaze closer than this to the camera axis projects on the image as a short vector whose
# direction a 10 deg gaze error turns by 30 deg or more (asin(sin 10 / sin 20)): no image-plane
# direction can be read from it, and it points at the camera rather than at a face in view.
MIN_OFF_AXIS_DEG = 20.0
# The other person's head pose is interpolated between face-mesh samples at most this far apart
# (twice OTHER_FACE_EVERY_S, 0.5 s, in patient_pass.py): a longer gap means their face was lost.
OTHER_HEAD_MAX_GAP_S = 1.0

# Per-frame codes of the Parquet tracks' `eye_contact` and `mutual_gaze` columns.
NOT_MEASURED, NO_CONTACT, CONTACT = 0, 1, 2
CONTACT_CODES = {"not measured": NOT_MEASURED, "no": NO_CONTACT, "yes": CONTACT}
# The report's and the timeline's episode kinds: the patient looks at the other person's face,
# and both look at each other.
EYE_CONTACT, MUTUAL_GAZE = "eye_contact", "mutual_gaze"

NO_SECOND_PERSON = "no second person's face was in view"
NO_OTHER_HEAD_POSE = "the other person's head pose was never measured (their face mesh found no face)"

KEYS = {
    "interaction.eye_contact_share": "share",
    "interaction.eye_contact_while_patient_speaks_share": "share",
    "interaction.eye_contact_while_other_speaks_share": "share",
    "interaction.gaze_aversions_per_min_patient_speaking": "per_min",
    "interaction.mutual_gaze_episodes_per_min": "per_min",
}


@dataclass(frozen=True)
class EyeContactFrames:
    """Per-frame eye contact on the patient's rows (time_s). contact is meaningful where
    analysable (a calibrated gaze and another face in view), mutual where mutual_analysable
    (also the other's head pose). reason says why no frame is analysable ("" otherwise)."""

    time_s: np.ndarray
    contact: np.ndarray
    analysable: np.ndarray
    mutual: np.ndarray
    mutual_analysable: np.ndarray
    reason: str = ""


def image_plane_direction_deg(yaw_deg: np.ndarray, pitch_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The image-plane angle of a gaze (deg, atan2 of (dy, dx) with x right and y down: 0 toward
    the image right, 90 downward) and its angle from the camera axis (deg).

    yaw > 0 looks toward the image right, pitch > 0 upward (analysis/gaze.py); the direction's
    image components are (sin yaw cos pitch, -sin pitch)."""
    yaw, pitch = np.radians(np.asarray(yaw_deg, dtype=np.float64)), np.radians(np.asarray(pitch_deg, float))
    dx, dy = np.sin(yaw) * np.cos(pitch), -np.sin(pitch)
    toward_camera = np.cos(yaw) * np.cos(pitch)
    return np.degrees(np.arctan2(dy, dx)), np.degrees(np.arccos(np.clip(toward_camera, -1.0, 1.0)))


def looks_at(
    origin_xy: np.ndarray,
    yaw_deg: np.ndarray,
    pitch_deg: np.ndarray,
    target_xy: np.ndarray,
    target_radius_px: np.ndarray,
    *,
    tolerance_deg: np.ndarray | float,
) -> np.ndarray:
    """Whether each gaze from origin_xy (n, 2) px points at the disc target_xy (n, 2) of radius
    target_radius_px (n,): its image-plane angle is within tolerance_deg plus the disc's angular
    half-size (atan(radius / distance)) of the bearing to the disc's centre, and it is at least
    MIN_OFF_AXIS_DEG off the camera axis. False where any input is NaN."""
    angle, off_axis = image_plane_direction_deg(yaw_deg, pitch_deg)
    delta = np.asarray(target_xy, dtype=np.float64) - np.asarray(origin_xy, dtype=np.float64)
    bearing = np.degrees(np.arctan2(delta[..., 1], delta[..., 0]))
    half_size = np.degrees(
        np.arctan2(np.asarray(target_radius_px, float), np.hypot(*np.moveaxis(delta, -1, 0)))
    )
    difference = np.abs((angle - bearing + 180.0) % 360.0 - 180.0)
    with np.errstate(invalid="ignore"):
        return (off_axis >= MIN_OFF_AXIS_DEG) & (difference <= tolerance_deg + half_size)


def _centres(boxes_xywh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Face-box centres (n, 2) px and radii (half the longer side, n) px."""
    boxes = np.asarray(boxes_xywh, dtype=np.float64)
    return boxes[:, :2] + boxes[:, 2:] / 2.0, boxes[:, 2:].max(axis=1) / 2.0


def _on_times(rows: Tracks, values: np.ndarray, time_s: np.ndarray, max_gap_s: float) -> np.ndarray:
    """values of another person's rows (time_s of their rows, NaN where not measured) at time_s:
    linear between measured samples at most max_gap_s apart, NaN elsewhere. Shape (n, k)."""
    out = np.full((len(time_s), values.shape[1]), np.nan)
    finite = np.isfinite(values).all(axis=1)
    ts, vs = rows.time_s[finite].astype(np.float64), values[finite].astype(np.float64)
    if ts.size == 0:
        return out
    after = np.clip(np.searchsorted(ts, time_s, side="left"), 0, ts.size - 1)
    before = np.clip(np.searchsorted(ts, time_s, side="right") - 1, 0, ts.size - 1)
    exact = np.abs(ts[after] - time_s) < 1e-6
    between = (ts[before] <= time_s) & (ts[after] >= time_s) & (ts[after] - ts[before] <= max_gap_s)
    span = np.where(ts[after] > ts[before], ts[after] - ts[before], 1.0)
    weight = ((time_s - ts[before]) / span)[:, None]
    mixed = vs[before] * (1.0 - weight) + vs[after] * weight
    out[between] = mixed[between]
    out[exact] = vs[after][exact]
    return out


def eye_contact_frames(
    tracks: Tracks, config: MetricsConfig, segments: list[ProtocolSegment] | None
) -> EyeContactFrames:
    """Eye contact and mutual gaze at each of the patient's rows of tracks (every person's rows),
    under the calibration rule of attention.calibrated_target (the patient looks at the camera
    during the `calibration` segment): without it no frame is analysable, reason "needs
    calibration"."""
    patient = tracks.patient()
    t = np.asarray(patient.time_s, dtype=np.float64)
    n = len(t)
    none = np.zeros(n, dtype=bool)
    direction, from_eyes = gaze_direction_deg(patient, GazeTarget.camera(), config)
    valid = np.isfinite(direction).all(axis=1)
    calibrated, _ = calibrated_target(direction, t, GazeTarget.camera(), segments)
    others = [p for p in np.unique(tracks.person_id[~tracks.is_patient]) if p >= 0]
    other_rows = [tracks.select((tracks.person_id == p) & ~tracks.is_patient) for p in others]
    other_rows = [r.select(np.argsort(r.time_s, kind="stable")) for r in other_rows]
    centres = [_on_times(r, np.column_stack(_centres(r.bbox_xywh)), t, config.max_gap_s) for r in other_rows]
    present = [np.isfinite(c).all(axis=1) for c in centres]
    reason = ""
    if not any(p.any() for p in present):
        reason = NO_SECOND_PERSON
    elif not valid.any():
        reason = NO_GAZE
    elif calibrated is None:
        reason = NEEDS_CALIBRATION
    if reason:
        return EyeContactFrames(t, none, none, none, none, reason)
    yaw = direction[:, 0] - calibrated.yaw_offset_deg
    pitch = direction[:, 1] - calibrated.pitch_offset_deg
    eyes = patient.face_xy[:, [FACE_RIGHT_EYE_OUTER, FACE_LEFT_EYE_OUTER]].astype(np.float64).mean(axis=1)
    own_centre, own_radius = _centres(patient.bbox_xywh)
    origin = np.where(np.isfinite(eyes).all(axis=1)[:, None], eyes, own_centre)
    tolerance = np.where(from_eyes, GAZE_RADIUS_DEG, HEAD_RADIUS_DEG)
    contact, analysable, mutual, mutual_analysable = none.copy(), none.copy(), none.copy(), none.copy()
    for rows, centre, seen in zip(other_rows, centres, present, strict=True):
        hit = looks_at(origin, yaw, pitch, centre[:, :2], centre[:, 2], tolerance_deg=tolerance) & seen
        head = _on_times(rows, rows.head_pose_deg[:, :2], t, OTHER_HEAD_MAX_GAP_S)
        back = looks_at(
            centre[:, :2], head[:, 0], head[:, 1], own_centre, own_radius, tolerance_deg=HEAD_RADIUS_DEG
        )
        contact |= hit
        analysable |= seen
        mutual |= hit & back
        mutual_analysable |= seen & np.isfinite(head).all(axis=1) & np.isfinite(own_centre).all(axis=1)
    analysable &= valid
    mutual_analysable &= valid
    reason = "" if mutual_analysable.any() else NO_OTHER_HEAD_POSE
    return EyeContactFrames(
        t, contact & analysable, analysable, mutual & mutual_analysable, mutual_analysable, reason
    )


def write_frame_columns(tracks: Tracks, frames: EyeContactFrames) -> None:
    """The tracks' per-frame `eye_contact` and `mutual_gaze` columns (CONTACT_CODES) on the
    patient's rows, from frames computed on tracks.patient() (same rows, same order)."""
    rows = np.flatnonzero(tracks.is_patient)
    rows = rows[np.argsort(tracks.time_s[rows], kind="stable")]
    for name, decided, measured in (
        ("eye_contact", frames.contact, frames.analysable),
        ("mutual_gaze", frames.mutual, frames.mutual_analysable),
    ):
        column = np.full(len(tracks), NOT_MEASURED, dtype=np.int8)
        column[rows] = np.where(measured, np.where(decided, CONTACT, NO_CONTACT), NOT_MEASURED)
        setattr(tracks, name, column)


@dataclass(frozen=True)
class ContactEpisode:
    """A stretch of eye contact (kind EYE_CONTACT) or mutual gaze (MUTUAL_GAZE), in s."""

    kind: str
    start_s: float
    end_s: float

    def as_report(self) -> dict:
        """The report.json form (a `segments` entry)."""
        return {"kind": self.kind, "start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3)}


def contact_episodes(tracks: Tracks, min_hold_s: float | None = None) -> list[ContactEpisode]:
    """Eye-contact and mutual-gaze episodes from the patient's per-frame columns, in time order:
    within each stretch of measured frames, the runs of "yes" held at least min_hold_s (the
    metrics' gaze_min_hold_s, as the mutual-gaze episodes per minute), each from its first
    frame to one frame period after its last. An unmeasured frame ends an episode."""
    hold_s = MetricsConfig().gaze_min_hold_s if min_hold_s is None else min_hold_s
    patient = tracks.patient()
    t = np.asarray(patient.time_s, dtype=np.float64)
    period = frame_period_s(t)
    if not np.isfinite(period):
        return []
    episodes: list[ContactEpisode] = []
    for kind, codes in ((EYE_CONTACT, patient.eye_contact), (MUTUAL_GAZE, patient.mutual_gaze)):
        measured = np.flatnonzero(codes != NOT_MEASURED)
        for block in np.split(measured, np.flatnonzero(np.diff(measured) > 1) + 1):
            if block.size == 0:
                continue
            for run in stable_runs(codes[block] == CONTACT, period, hold_s):
                if run.state:
                    start, last = block[run.start], block[run.stop - 1]
                    episodes.append(ContactEpisode(kind, float(t[start]), float(t[last] + period)))
    return sorted(episodes, key=lambda e: (e.start_s, e.kind))


def _spans_mask(time_s: np.ndarray, spans: list[tuple[float, float]]) -> np.ndarray:
    inside = np.zeros(time_s.shape, dtype=bool)
    for start, end in spans:
        inside |= (time_s >= start) & (time_s < end)
    return inside


def _share(condition: np.ndarray, valid: np.ndarray, period: float, reason: str) -> MetricValue:
    seconds = float(valid.sum() * period)
    value = share_of(condition, valid)
    if not np.isfinite(value):
        return MetricValue.unknown("share", reason, seconds)
    return MetricValue(value, "share", analysable_s=seconds)


def eye_contact_values(
    frames: EyeContactFrames, speech: SpeechAnalysis, config: MetricsConfig
) -> dict[str, MetricValue]:
    """The eye-contact keys (KEYS) from per-frame eye contact and the attributed speech; NaN
    with the reason, never 0, where they cannot be measured."""
    t = frames.time_s
    if not frames.analysable.any():
        reason = frames.reason or NO_SECOND_PERSON
        return {key: MetricValue.unknown(unit, reason, 0.0) for key, unit in KEYS.items()}
    period = frame_period_s(t)
    period = period if np.isfinite(period) else 0.0
    values = {
        "interaction.eye_contact_share": _share(frames.contact, frames.analysable, period, NO_SECOND_PERSON)
    }
    heard = speech.status == STATUS_SPEECH
    spans = {
        who: [(s.start_s, s.end_s) for s in speech.segments if s.speaker == who] for who in (PATIENT, OTHER)
    }
    speaking = {who: _spans_mask(t, spans[who]) & frames.analysable for who in (PATIENT, OTHER)}
    for who, key in (
        (PATIENT, "interaction.eye_contact_while_patient_speaks_share"),
        (OTHER, "interaction.eye_contact_while_other_speaks_share"),
    ):
        if not heard:
            values[key] = MetricValue.unknown(
                "share", speech.reason or "the audio track was not analysed", 0.0
            )
        elif not spans[who]:
            values[key] = MetricValue.unknown("share", f"no speech was attributed to the {who}", 0.0)
        else:
            reason = f"the {who}'s speech had no frame with both the patient's gaze and the other's face"
            values[key] = _share(frames.contact, speaking[who], period, reason)
    rate_key = "interaction.gaze_aversions_per_min_patient_speaking"
    speaking_s = float(speaking[PATIENT].sum() * period)
    if not heard or not spans[PATIENT] or speaking_s <= 0:
        values[rate_key] = MetricValue.unknown(
            "per_min", values["interaction.eye_contact_while_patient_speaks_share"].reason, speaking_s
        )
    else:
        index = np.flatnonzero(frames.analysable)
        runs = stable_runs(frames.contact[index], period, config.gaze_min_hold_s)
        starts = [int(index[b.start]) for a, b in itertools.pairwise(runs) if a.state and not b.state]
        count = int(np.sum(speaking[PATIENT][starts])) if starts else 0
        values[rate_key] = MetricValue(60.0 * count / speaking_s, "per_min", analysable_s=speaking_s)
    mutual_s = float(frames.mutual_analysable.sum() * period)
    if mutual_s <= 0:
        values["interaction.mutual_gaze_episodes_per_min"] = MetricValue.unknown(
            "per_min", frames.reason or NO_OTHER_HEAD_POSE, 0.0
        )
    else:
        runs = stable_runs(frames.mutual[frames.mutual_analysable], period, config.gaze_min_hold_s)
        episodes = sum(1 for r in runs if r.state)
        values["interaction.mutual_gaze_episodes_per_min"] = MetricValue(
            60.0 * episodes / mutual_s, "per_min", analysable_s=mutual_s
        )
    return values

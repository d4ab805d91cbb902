"""A synthetic semi-guided task set made by code: kinematics of a person doing five daily-living
tasks in a random order, with frame labels, run through the same feature code as real tracks.

Why: a task segmenter must be trained and its evaluation checked before any clinician has marked
a session; the synthetic set says that the model and its measures work, not how well it does in
a clinic (that is the cross-validation over marked sessions).

Each subject has a body size (shoulder width 45-80 px at 1280 x 720), limb proportions, a
furnished room (a random position and camera distance for each task's station) and a walking
speed (0.8-2.5 SW/s: older adults walk slowly, about 0.3-1 m/s). A session is:
a lead-in, then the five tasks in a random order (one may be left out, one done again), separated
by idle gaps in which the person walks to the next station. Every performance draws its own
speed, amplitude and way of holding things (hand positions moved by 0.08 SW), and half of
them a pause of 2-5 s with the hands at rest; in 30 % the head stays level (not everyone looks at
their hands). Tasks last 8-50 s. The tasks are distinct movement patterns of the wrists relative to the
shoulders, the head and the hips (SW = shoulder width; x to the image's right, y down):

- pill_box: seated, both hands low in front (y about 1.1 SW), small quick alternating movements
  (1.2-2.4 Hz, 0.05-0.1 SW), head pitched down 25-35 degrees;
- phone_call: standing, one hand (either) at the ear, the other hanging, still; head rolled
  towards the phone, slow head turns while talking;
- water_plant: standing, walking between spots of the plant, one arm forward pouring (a slow
  0.2-0.4 Hz tilt), head down 15-25 degrees;
- read_article: seated, both hands at the chest holding the paper, still but for a page turn every
  6-14 s, slow reading head turns (0.1-0.25 Hz), head down 20-30 degrees;
- hot_drink: standing at a counter (hands at y 0.7-0.75 SW, above a table's), one hand stirring
  in circles (1-2 Hz, 0.06-0.12 SW), the other holding the cup, a reach to the side every 5-10 s;
- idle (background): standing with the arms hanging and a slight sway, or walking to the next
  station with swinging arms.

What the models report is then simulated from what a pose model does on room-scale video: each
subject's keypoints carry a bias (0.08 SW SD per point, 0.1 SW SD vertically for all: body shape,
clothes, the estimator) and Gaussian jitter (0.015-0.06 SW SD per subject); for half the subjects
seated legs read as standing (foreshortened or hidden thighs: knees placed as standing); pose
drop-outs (1.5 % of frames and short bursts) and
missing hands (10-40 % of frames, and for a quarter of the subjects never found, as often in
room-scale video); the wrist paths are smoothed over 0.4 s so that changes of
posture take time, as a body's do. The head pose carries a per-subject bias (SD yaw 10, pitch 20,
roll 5 degrees: a camera high in a corner sees everyone looking down; estimation bias); for a
quarter of the subjects it is one still estimate that does not follow the head's turns (a small
face), and the face is lost in bursts over 0-50 % of the session (the face mesh fails on small
or turned faces).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analysis.tasks.dataset import TaskSequence, write_dataset
from analysis.tasks.features import TaskFeatures, features_from_keypoints
from analysis.tracks import N_HAND_KEYPOINTS, N_POSE_KEYPOINTS

TASK_CODES: tuple[str, ...] = ("pill_box", "phone_call", "water_plant", "read_article", "hot_drink")
BACKGROUND = "idle"
SOURCE_FPS = 10.0
_SEATED = {"pill_box", "read_article"}
_SHOULDER = {"left": np.array([0.5, 0.0]), "right": np.array([-0.5, 0.0])}
_HANGING = {"left": np.array([0.6, 1.35]), "right": np.array([-0.6, 1.35])}


@dataclass(frozen=True)
class SyntheticSession:
    """One synthetic subject's session: features on the model's grid and one label per frame
    (index into (BACKGROUND, *task_codes))."""

    subject: str
    features: TaskFeatures
    labels: np.ndarray
    task_order: tuple[str, ...]


@dataclass
class _Body:
    """Per-frame kinematic targets of one session in torso units (SW) and room pixels."""

    left: np.ndarray
    right: np.ndarray
    head: np.ndarray
    hip_px: np.ndarray
    scale: np.ndarray
    seated: np.ndarray
    stride: np.ndarray  # px per SW at scale 1 (walking speeds are in SW/s)


def _plan(
    rng: np.random.Generator,
    task_codes: tuple[str, ...],
    task_s: tuple[float, float] = (8, 50),
    gap_s: tuple[float, float] = (4, 12),
) -> list[tuple[str, float]]:
    """(code or BACKGROUND, duration_s) in order: lead-in, tasks with idle gaps, lead-out."""
    order = list(rng.permutation(task_codes))
    if rng.random() < 0.15:
        order.pop(int(rng.integers(len(order))))
    if rng.random() < 0.15:
        order.append(order[int(rng.integers(len(order) - 1))])
    plan: list[tuple[str, float]] = [(BACKGROUND, float(rng.uniform(3, 8)))]
    for code in order:
        plan.append((code, float(rng.uniform(*task_s))))
        plan.append((BACKGROUND, float(rng.uniform(*gap_s))))
    return plan


def _osc(t: np.ndarray, hz: float, amplitude: float, phase: float) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * hz * t + phase)


def _task_motion(code: str, t: np.ndarray, rng: np.random.Generator, body: _Body, at: slice) -> None:
    """Fill body[at] with the movement pattern of one performance (t: seconds since its start)."""
    speed, amp = rng.uniform(0.75, 1.35), rng.uniform(0.7, 1.3)
    ph = rng.uniform(0, 2 * np.pi, 6)
    head = np.zeros((len(t), 3))
    side = "left" if rng.random() < 0.5 else "right"
    other = "right" if side == "left" else "left"
    sign = 1.0 if side == "left" else -1.0
    hands = {"left": np.zeros((len(t), 2)), "right": np.zeros((len(t), 2))}
    if code == "pill_box":
        hz = rng.uniform(1.2, 2.4) * speed
        for k, s in enumerate(("left", "right")):
            hands[s][:] = (0.3 if s == "left" else -0.3, 1.1)
            hands[s][:, 0] += _osc(t, hz, 0.08 * amp, ph[k])
            hands[s][:, 1] += _osc(t, hz * 0.8, 0.06 * amp, ph[k + 2])
        head[:, 1] = -rng.uniform(25, 35)
    elif code == "phone_call":
        hands[side][:] = (sign * 0.38, -0.5)
        hands[side] += _osc(t, 0.3 * speed, 0.02, ph[0])[:, None]
        hands[other][:] = _HANGING[other]
        head[:, 2] = sign * rng.uniform(6, 14)
        head[:, 0] = _osc(t, 0.15 * speed, 12 * amp, ph[1])
    elif code == "water_plant":
        hands[side][:] = (sign * 0.3, 0.55)
        hands[side][:, 1] += _osc(t, 0.3 * speed, 0.15 * amp, ph[0])
        hands[other][:] = (_HANGING[other][0] * 0.8, 1.2)
        head[:, 1] = -rng.uniform(15, 25)
        # walking between spots of the plant, from where the person stands (no jump at the start)
        spots = _osc(t, 0.08 * speed, 2.0 * amp, ph[2]) - _osc(t[:1], 0.08 * speed, 2.0 * amp, ph[2])
        body.hip_px[at, 0] += spots * body.scale[at] * body.stride[at]
    elif code == "read_article":
        hands["left"][:], hands["right"][:] = (0.28, 0.5), (-0.28, 0.5)
        period = rng.uniform(6, 14) / speed
        turn = np.clip(1 - np.abs(((t + ph[0]) % period) - 0.6) / 0.6, 0, 1)
        hands[side][:, 0] -= sign * 0.5 * turn
        head[:, 0] = _osc(t, rng.uniform(0.1, 0.25), 6, ph[1])
        head[:, 1] = -rng.uniform(20, 30)
    elif code == "hot_drink":
        hz = rng.uniform(1.0, 2.0) * speed
        r = rng.uniform(0.06, 0.12) * amp
        hands[side][:] = (sign * 0.15, 0.7)
        hands[side][:, 0] += _osc(t, hz, r, ph[0])
        hands[side][:, 1] += _osc(t, hz, r, ph[0] + np.pi / 2)
        hands[other][:] = (-sign * 0.25, 0.75)
        period = rng.uniform(5, 10) / speed
        reach = np.clip(1 - np.abs(((t + ph[1]) % period) - 1.0) / 1.0, 0, 1)
        hands[other][:, 0] += -sign * 0.9 * reach
        head[:, 1] = -rng.uniform(18, 30)
    if rng.random() < 0.3:  # not everyone looks at what their hands do
        head[:] = 0.0
    for s in ("left", "right"):  # each performance holds things a little differently
        hands[s] += rng.normal(0, 0.08, 2)
    if rng.random() < 0.5:  # a pause: the hands rest and the head rises, still inside the task
        first = int(rng.integers(0, max(1, len(t) - 50)))
        rest = slice(first, first + int(rng.uniform(2, 5) * SOURCE_FPS))
        for s in ("left", "right"):
            hands[s][rest] = _HANGING[s] * (0.8 if code in _SEATED else 1.0)
        head[rest] = 0.0
    body.left[at], body.right[at], body.head[at] = hands["left"], hands["right"], head
    body.seated[at] = code in _SEATED


def _idle_motion(
    t: np.ndarray,
    rng: np.random.Generator,
    body: _Body,
    at: slice,
    target: np.ndarray,
    *,
    walk_sw_s: tuple[float, float],
) -> None:
    """Stand, then walk to the next station's position (target, px) with swinging arms."""
    start = body.hip_px[at.start].copy()
    distance = float(np.linalg.norm(target - start))
    speed_px = rng.uniform(*walk_sw_s) * body.scale[at.start] * body.stride[at.start]
    walk_s = min(distance / max(speed_px, 1e-6), 0.8 * t[-1]) if len(t) else 0.0
    begin = rng.uniform(0, max(t[-1] - walk_s, 0)) if len(t) else 0.0
    progress = np.clip((t - begin) / max(walk_s, 1e-6), 0, 1)
    body.hip_px[at] = start + progress[:, None] * (target - start)
    walking = (progress > 0) & (progress < 1)
    swing = _osc(t, 0.9, 0.12, 0.0) * walking
    body.left[at] = _HANGING["left"] + np.stack([np.zeros_like(t), swing], axis=1)
    body.right[at] = _HANGING["right"] - np.stack([np.zeros_like(t), swing], axis=1)
    body.head[at] = np.stack([_osc(t, 0.1, 10, rng.uniform(0, 6)), np.zeros_like(t), np.zeros_like(t)], 1)
    body.seated[at] = False


def _smooth(values: np.ndarray, frames: int) -> np.ndarray:
    kernel = np.ones(frames) / frames
    padded = np.concatenate([np.repeat(values[:1], frames, 0), values, np.repeat(values[-1:], frames, 0)])
    out = np.stack([np.convolve(padded[:, j], kernel, mode="same") for j in range(values.shape[1])], 1)
    return out[frames:-frames]


def _skeleton(body: _Body, rng: np.random.Generator, sw_px: float) -> np.ndarray:
    """Noiseless pose keypoints (n, 33, 2) px from the kinematic targets: nose, shoulders, elbows
    (between shoulder and wrist, bent outwards), wrists, hips, knees and ankles; the rest NaN."""
    n = len(body.scale)
    sw = sw_px * body.scale[:, None]
    torso, thigh = rng.uniform(1.3, 1.6), rng.uniform(1.0, 1.2)
    seated = _smooth(body.seated[:, None].astype(float), 5)[:, 0]
    hip_c = body.hip_px - np.stack([np.zeros(n), seated * 0.5 * thigh * sw[:, 0]], 1)
    mid = hip_c - np.stack([np.zeros(n), torso * sw[:, 0]], 1)
    pose = np.full((n, N_POSE_KEYPOINTS, 2), np.nan)
    travelled = np.cumsum(np.linalg.norm(np.diff(body.hip_px, axis=0, prepend=body.hip_px[:1]), axis=1))
    step = np.sin(travelled / (0.6 * sw_px))

    def put(index: int, offset_sw: np.ndarray) -> None:
        pose[:, index] = mid + offset_sw * sw

    put(0, np.stack([body.head[:, 0] / 90, -0.6 - body.head[:, 1] / 300], 1))
    for name, (sh_i, el_i, wr_i, hip_i, kn_i, an_i), s in (
        ("left", (11, 13, 15, 23, 25, 27), 1.0),
        ("right", (12, 14, 16, 24, 26, 28), -1.0),
    ):
        wrist = getattr(body, name)
        put(sh_i, np.broadcast_to(_SHOULDER[name], (n, 2)))
        put(wr_i, wrist)
        put(el_i, 0.5 * (_SHOULDER[name] + wrist) + np.array([s * 0.15, 0.05]))
        put(hip_i, np.stack([np.full(n, s * 0.35), np.full(n, torso)], 1))
        knee = np.stack([s * (0.38 + 0.05 * seated), torso + thigh * (1 - 0.7 * seated) + 0.08 * s * step], 1)
        put(kn_i, knee)
        put(an_i, knee + np.stack([np.zeros(n), np.full(n, 1.05 * thigh)], 1))
    return pose


def _observe(
    pose: np.ndarray, rng: np.random.Generator, sw: np.ndarray, seated: np.ndarray
) -> tuple[np.ndarray, ...]:
    """What a pose and hand model would report (see the module): per-subject keypoint bias and
    noise, legs read as standing, drop-outs, and hands (n, 2, 21, 2) around the wrists."""
    n = len(pose)
    pose = pose.copy()
    if rng.random() < 0.5:  # foreshortened or hidden thighs: knees and ankles placed as standing
        for hip, knee, ankle in ((23, 25, 27), (24, 26, 28)):
            for point in (knee, ankle):
                standing = np.nanmedian((pose[~seated, point] - pose[~seated, hip]) / sw[~seated], axis=0)
                pose[seated, point] = pose[seated, hip] + standing * sw[seated]
    bias = rng.normal(0, 0.08, (N_POSE_KEYPOINTS, 2)) + np.array([0.0, rng.normal(0, 0.1)])
    pose += (bias[None] + rng.normal(0, rng.uniform(0.015, 0.06), pose.shape)) * sw[:, :, None]
    visibility = np.where(np.isfinite(pose[..., 0]), 0.95, np.nan)
    dropped = rng.random(n) < 0.015
    for _ in range(rng.integers(0, 4)):
        first = int(rng.integers(0, n))
        dropped[first : first + int(rng.integers(3, 15))] = True
    pose[dropped], visibility[dropped] = np.nan, np.nan
    shape = rng.normal(0, 0.12, (N_HAND_KEYPOINTS, 2))
    hands = np.full((n, 2, N_HAND_KEYPOINTS, 2), np.nan)
    never = rng.random() < 0.25
    for h, wr_i in ((0, 15), (1, 16)):
        reach = pose[:, wr_i] + np.array([0.0, 0.12]) * sw
        noise = rng.normal(0, 0.02, (n, N_HAND_KEYPOINTS, 2))
        hands[:, h] = reach[:, None, :] + (shape[None] + noise) * sw[:, None]
        hands[(rng.random(n) < rng.uniform(0.1, 0.4)) | never, h] = np.nan
    return pose, visibility, hands


def _observe_head(head_deg: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """What a face model reports of the head pose (n, 3) deg: a per-subject bias (the camera's
    height and angle), noise; for a quarter of the subjects one still estimate that does not
    follow the head's turns (a small or blurred face); and the face lost in bursts of 1-8 s
    over 0-50 % of the session (NaN)."""
    n = len(head_deg)
    bias = rng.normal(0, (10.0, 20.0, 5.0))  # yaw, pitch, roll
    turns = np.zeros_like(head_deg) if rng.random() < 0.25 else head_deg
    head = turns + bias + rng.normal(0, 2.0, (n, 3))
    lost = np.zeros(n, dtype=bool)
    share = rng.uniform(0, 0.5)
    while lost.mean() < share:
        first = int(rng.integers(0, n))
        lost[first : first + int(rng.uniform(1, 8) * SOURCE_FPS)] = True
    head[lost] = np.nan
    return head


@dataclass(frozen=True)
class Kinematics:
    """A session's plan, its frame classes (index into (BACKGROUND, *task_codes)) and the
    noiseless skeleton (n, 33, 2) px and head pose (n, 3) deg at SOURCE_FPS."""

    plan: list[tuple[str, float]]
    frame_class: np.ndarray
    pose_px: np.ndarray
    head_deg: np.ndarray
    sw_px: np.ndarray
    seated: np.ndarray


def session_kinematics(
    rng: np.random.Generator,
    task_codes: tuple[str, ...] = TASK_CODES,
    *,
    room_px: tuple[int, int] = (1280, 720),
    sw_px: float | None = None,
    task_s: tuple[float, float] = (8, 50),
    gap_s: tuple[float, float] = (4, 12),
    walk_sw_s: tuple[float, float] = (0.8, 2.5),
    station_x: tuple[float, float] = (0.2, 0.8),
) -> Kinematics:
    """The movements of one subject's session in a room_px picture (width, height); the body's
    shoulder width is sw_px (default: random, 45-80 px at 1280 x 720, so the feet stay in view).
    Tasks last task_s seconds, idle gaps gap_s, the person walks at walk_sw_s between stations
    placed across station_x of the picture's width (a gap too short for the walk hurries it)."""
    width, height = room_px
    plan = _plan(rng, task_codes, task_s, gap_s)
    bounds = np.round(np.cumsum([0.0] + [d for _, d in plan]) * SOURCE_FPS).astype(int)
    n = int(bounds[-1])
    sw_px = rng.uniform(45, 80) * height / 720 if sw_px is None else sw_px
    stations = {c: (rng.uniform(*station_x) * width, rng.uniform(0.5, 0.6) * height) for c in task_codes}
    depth = {c: rng.uniform(0.8, 1.2) for c in task_codes}
    body = _Body(
        left=np.zeros((n, 2)),
        right=np.zeros((n, 2)),
        head=np.zeros((n, 3)),
        hip_px=np.zeros((n, 2)),
        scale=np.ones(n),
        seated=np.zeros(n, bool),
        stride=np.full(n, sw_px * rng.uniform(0.9, 1.1)),
    )
    body.hip_px[:] = (width / 2, 0.55 * height)
    for k, (code, _) in enumerate(plan):
        at = slice(int(bounds[k]), int(bounds[k + 1]))
        t = np.arange(at.stop - at.start) / SOURCE_FPS
        before = max(at.start - 1, 0)
        if code == BACKGROUND:
            upcoming = next((c for c, _ in plan[k + 1 :] if c != BACKGROUND), None)
            target = np.array(stations[upcoming]) if upcoming else body.hip_px[before]
            body.hip_px[at.start] = body.hip_px[before]
            body.scale[at] = (
                body.scale[before]
                if upcoming is None
                else np.linspace(body.scale[before], depth[upcoming], len(t))
            )
            _idle_motion(t, rng, body, at, target, walk_sw_s=walk_sw_s)
        else:
            body.hip_px[at] = stations[code]
            body.scale[at] = depth[code]
            _task_motion(code, t, rng, body, at)
    body.left, body.right = _smooth(body.left, 4), _smooth(body.right, 4)
    classes = (BACKGROUND, *task_codes)
    frame_class = np.zeros(n, dtype=np.int64)
    for k, (code, _) in enumerate(plan):
        frame_class[bounds[k] : bounds[k + 1]] = classes.index(code)
    pose = _skeleton(body, rng, sw_px)
    return Kinematics(plan, frame_class, pose, body.head, sw_px * body.scale, body.seated.copy())


def synthetic_session(
    seed: int, task_codes: tuple[str, ...] = TASK_CODES, rate_hz: float = 5.0, subject: str | None = None
) -> SyntheticSession:
    """One synthetic subject's session (everything random follows seed)."""
    rng = np.random.default_rng(seed)
    kinematics = session_kinematics(rng, task_codes)
    n = len(kinematics.frame_class)
    pose, visibility, hands = _observe(kinematics.pose_px, rng, kinematics.sw_px[:, None], kinematics.seated)
    head = _observe_head(kinematics.head_deg, rng)
    time_s = np.arange(n) / SOURCE_FPS
    features = features_from_keypoints(time_s, pose, visibility, hands, head, rate_hz)
    source = np.clip(np.round(features.time_s * SOURCE_FPS).astype(int), 0, n - 1)
    order = tuple(c for c, _ in kinematics.plan if c != BACKGROUND)
    return SyntheticSession(subject or f"synthetic-{seed}", features, kinematics.frame_class[source], order)


def synthetic_set(n_subjects: int, seed: int, rate_hz: float = 5.0, first: int = 0) -> list[SyntheticSession]:
    """n_subjects sessions, subject i (from first) drawn with seed (seed * 1000 + i)."""
    return [synthetic_session(seed * 1000 + i, rate_hz=rate_hz) for i in range(first, first + n_subjects)]


def synthetic_sequences(n_train: int, n_test: int, seed: int, rate_hz: float = 5.0) -> list[TaskSequence]:
    """n_train training subjects then n_test held-out subjects (other people: other bodies, rooms,
    orders and ways of moving), as labelled sequences for training and evaluation."""
    sessions = synthetic_set(n_train + n_test, seed, rate_hz)
    return [
        TaskSequence(
            s.subject, s.features.values, s.labels, s.features.time_s, "train" if i < n_train else "test"
        )
        for i, s in enumerate(sessions)
    ]


def write_synthetic_dataset(
    directory: str | Path, n_train: int = 24, n_test: int = 8, seed: int = 0, rate_hz: float = 5.0
) -> str:
    """Write the synthetic task set (classes: BACKGROUND, then TASK_CODES); returns its sha256."""
    sequences = synthetic_sequences(n_train, n_test, seed, rate_hz)
    return write_dataset(directory, sequences, [BACKGROUND, *TASK_CODES], rate_hz)

"""Synthetic upper-body gestures with known answers, for tests, benchmarks and demo data sets.

A seated person faces the camera. Each gesture is written in a body frame (shoulder widths,
"lateral" pointing away from the body's midline, y down) as a path of the wrist plus a hand shape
(per-finger openness and the hand's direction); analysis.gestures.skeleton draws the elbow (by
two-link inverse kinematics) and a 21-point hand around the wrist. That is rendered into MediaPipe Pose (33) and
Hands (2 x 21) pixel keypoints with per-sample variation in speed (including a non-linear time
warp), size, position, handedness, body size and place in the image, tilt, and pixel noise.

Every gesture starts and ends with the hands at rest (hanging by the hips), as in a clinical
imitation test: reach (25 % of the duration), perform (50 %), return (25 %).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analysis.gestures.dataset import GestureSample, write_dataset
from analysis.gestures.normalise import gesture_keypoints
from analysis.gestures.skeleton import ArmPath, Body, render_keypoints
from analysis.tracks import Tracks

GESTURES = ("wave", "circle", "point", "grasp", "tap", "salute", "beckon", "clap", "drink", "stop")
TWO_HANDED = frozenset({"clap"})
IMAGE_SIZE_PX = (640, 480)

_REST_WRIST = np.array([0.12, 1.38])  # lateral, down; from the arm's own shoulder
_REST_OPEN = np.full(5, 0.6)
_REST_ANGLE_DEG = 180.0  # hand direction: 0 up, 90 lateral (away from the body), 180 down
_MIDLINE = -0.5  # lateral coordinate of the body's midline, seen from either shoulder


def _path(wrist: np.ndarray, openness: np.ndarray | tuple, angle: np.ndarray | float) -> ArmPath:
    n = wrist.shape[0]
    return ArmPath(
        wrist=wrist,
        openness=np.broadcast_to(np.asarray(openness, dtype=float), (n, 5)).copy(),
        angle_deg=np.broadcast_to(np.asarray(angle, dtype=float), (n,)).copy(),
    )


def _xy(lateral: np.ndarray | float, down: np.ndarray | float, n: int) -> np.ndarray:
    return np.stack(np.broadcast_arrays(np.broadcast_to(lateral, (n,)), np.broadcast_to(down, (n,))), axis=1)


def _wave(s: np.ndarray) -> ArmPath:
    sway = np.sin(2 * np.pi * 2.5 * s)
    return _path(_xy(0.45 + 0.22 * sway, -0.55, s.size), 1.0, 15.0 * sway)


def _circle(s: np.ndarray) -> ArmPath:
    phase = -np.pi / 2 + 2 * np.pi * s
    return _path(
        _xy(0.35 + 0.3 * np.cos(phase), 0.45 + 0.3 * np.sin(phase), s.size), (0.3, 1, 0.2, 0.2, 0.2), 0.0
    )


def _point(s: np.ndarray) -> ArmPath:
    return _path(_xy(1.25 + 0.03 * s, -0.05, s.size), (0.3, 1, 0, 0, 0), 90.0)


def _grasp(s: np.ndarray) -> ArmPath:
    close = np.clip((s - 0.35) / 0.25, 0, 1)
    openness = (1 - close)[:, None] * np.ones(5)
    return _path(_xy(0.45 + 0.1 * s, 0.55 - 0.05 * s, s.size), openness, 30.0)


def _tap(s: np.ndarray) -> ArmPath:
    return _path(
        _xy(0.35, 0.95 - 0.14 * np.abs(np.sin(np.pi * 4 * s)), s.size), (0.3, 1, 0.1, 0.1, 0.1), 150.0
    )


def _salute(s: np.ndarray) -> ArmPath:
    return _path(_xy(-0.3 + 0.02 * s, -0.85, s.size), 1.0, -60.0)


def _beckon(s: np.ndarray) -> ArmPath:
    curl = 0.5 + 0.5 * np.cos(2 * np.pi * 3 * s)
    openness = np.stack([np.full(s.size, 0.5), *(0.15 + 0.85 * curl for _ in range(4))], axis=1)
    return _path(_xy(0.45, 0.35 + 0.04 * np.sin(2 * np.pi * 3 * s), s.size), openness, 20.0)


def _clap(s: np.ndarray) -> ArmPath:
    gap = 0.5 + 0.5 * np.cos(2 * np.pi * 4 * s)
    return _path(_xy(_MIDLINE + 0.06 + 0.3 * gap, 0.55, s.size), 1.0, -45.0)


def _drink(s: np.ndarray) -> ArmPath:
    return _path(_xy(-0.3, -0.35 - 0.03 * s, s.size), 0.4, -30.0 - 30.0 * s)


def _stop(s: np.ndarray) -> ArmPath:
    return _path(_xy(0.3, -0.15, s.size), 1.0, 0.0)


_PATHS: dict[str, Callable[[np.ndarray], ArmPath]] = {
    "wave": _wave,
    "circle": _circle,
    "point": _point,
    "grasp": _grasp,
    "tap": _tap,
    "salute": _salute,
    "beckon": _beckon,
    "clap": _clap,
    "drink": _drink,
    "stop": _stop,
}


@dataclass(frozen=True)
class GestureStyle:
    """How one performance varies from the template (all randomised by random_style).

    duration_s: whole gesture, rest to rest. amplitude: scale of the path around its centre.
    offset_sw: (lateral, down) shift of the path. warp: non-linear time warp strength in
    [-0.3, 0.3] (0 = constant speed). hand: "left", "right" (ignored for two-handed gestures).
    """

    duration_s: float = 2.4
    amplitude: float = 1.0
    offset_sw: tuple[float, float] = (0.0, 0.0)
    warp: float = 0.0
    hand: str = "right"


@dataclass(frozen=True)
class SyntheticEvent:
    """The truth about one gesture placed in a synthetic session."""

    gesture: str
    start_s: float
    end_s: float
    body_part: str


def random_style(rng: np.random.Generator, *, hand: str | None = None) -> GestureStyle:
    """A plausible performance: 1.6-3.2 s, size +-20 %, position +-0.08 sw, warp +-0.3."""
    return GestureStyle(
        duration_s=float(rng.uniform(1.6, 3.2)),
        amplitude=float(rng.uniform(0.8, 1.2)),
        offset_sw=(float(rng.uniform(-0.08, 0.08)), float(rng.uniform(-0.08, 0.08))),
        warp=float(rng.uniform(-0.3, 0.3)),
        hand=hand if hand is not None else str(rng.choice(["left", "right"])),
    )


def random_body(rng: np.random.Generator) -> Body:
    """A person somewhere in a 640 x 480 image, 90-160 px shoulder width, tilted up to 6 deg."""
    return Body(
        centre_px=(float(rng.uniform(220, 420)), float(rng.uniform(160, 240))),
        shoulder_width_px=float(rng.uniform(90, 160)),
        tilt_deg=float(rng.uniform(-6, 6)),
    )


def _ease(x: np.ndarray) -> np.ndarray:
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(x, 0.0, 1.0))


def _active_arm(name: str, u: np.ndarray, style: GestureStyle) -> ArmPath:
    """The active arm over the gesture's normalised time u in [0, 1] (reach, perform, return)."""
    warped = np.clip(u + style.warp / np.pi * np.sin(np.pi * u), 0.0, 1.0)
    s = np.clip((warped - 0.25) / 0.5, 0.0, 1.0)
    path = _PATHS[name](s)
    centre = path.wrist.mean(axis=0)
    wrist = centre + style.amplitude * (path.wrist - centre) + np.asarray(style.offset_sw)
    reach = _ease(warped / 0.25)[:, None]
    back = _ease((warped - 0.75) / 0.25)[:, None]
    blend = np.where(warped[:, None] < 0.5, reach, 1.0 - back)  # 0 at rest, 1 on the path
    return ArmPath(
        wrist=_REST_WRIST + blend * (wrist - _REST_WRIST),
        openness=_REST_OPEN + blend * (path.openness - _REST_OPEN),
        angle_deg=_REST_ANGLE_DEG + blend[:, 0] * (path.angle_deg - _REST_ANGLE_DEG),
    )


def _rest_arm(n: int) -> ArmPath:
    return _path(np.tile(_REST_WRIST, (n, 1)), _REST_OPEN, _REST_ANGLE_DEG)


def _arms_for(name: str, u: np.ndarray, style: GestureStyle) -> tuple[ArmPath, ArmPath]:
    """(left, right) arms during gesture name at normalised times u."""
    if name not in _PATHS:
        raise ValueError(f"unknown synthetic gesture {name!r}; choose one of {GESTURES}.")
    active = _active_arm(name, u, style)
    if name in TWO_HANDED:
        return active, active
    if style.hand not in ("left", "right"):
        raise ValueError(f"hand must be 'left' or 'right'; got {style.hand!r}.")
    rest = _rest_arm(u.size)
    return (active, rest) if style.hand == "left" else (rest, active)


def body_part(name: str, hand: str) -> str:
    """The Event body_part of a synthetic gesture: both_hands, left_hand or right_hand."""
    return "both_hands" if name in TWO_HANDED else f"{hand}_hand"


def synth_gesture(
    name: str,
    *,
    seed: int = 0,
    fps: float = 15.0,
    style: GestureStyle | None = None,
    body: Body | None = None,
    noise_px: float = 1.0,
    rest_s: float = 0.0,
) -> Tracks:
    """One performance of gesture name as Tracks (pose and hands filled, one person, is_patient).

    Parameters
    ----------
    style, body : None draws them at random from seed (random_style, random_body).
    noise_px : standard deviation of the Gaussian noise added to every keypoint, in px.
    rest_s : seconds of rest added before and after the gesture.
    """
    rng = np.random.default_rng(seed)
    style = style if style is not None else random_style(rng)
    body = body if body is not None else random_body(rng)
    return synth_session(
        [(name, rest_s, style)],
        duration_s=style.duration_s + 2 * rest_s,
        fps=fps,
        body=body,
        noise_px=noise_px,
        seed=seed,
    )[0]


def synth_session(
    plan: list[tuple[str, float, GestureStyle]],
    *,
    duration_s: float,
    fps: float = 15.0,
    body: Body | None = None,
    noise_px: float = 1.0,
    fidget_sw: float = 0.0,
    seed: int = 0,
) -> tuple[Tracks, list[SyntheticEvent]]:
    """A recording of gestures separated by rest, and the truth about each gesture.

    Parameters
    ----------
    plan : list of (gesture name, start time in s, style)
        Gestures in time order; each lasts style.duration_s and must end before the next starts.
    duration_s : length of the recording in s.
    fidget_sw : amplitude (sw) of slow, small hand drift at rest, the kind of movement that must
        not count as a gesture.

    Returns
    -------
    (Tracks of round(duration_s * fps) rows, list of SyntheticEvent)
    """
    rng = np.random.default_rng(seed)
    body = body if body is not None else Body()
    n = round(duration_s * fps)
    time_s = np.arange(n) / fps
    arms = [_rest_arm(n), _rest_arm(n)]
    events: list[SyntheticEvent] = []
    previous_end = -np.inf
    for name, start_s, style in plan:
        end_s = start_s + style.duration_s
        if start_s < previous_end or end_s > duration_s + 1e-6:
            raise ValueError(f"gesture {name!r} at {start_s:.2f}-{end_s:.2f} s overlaps another or the end.")
        previous_end = end_s
        rows = (time_s >= start_s) & (time_s <= end_s)
        u = (time_s[rows] - start_s) / style.duration_s
        for side, arm in enumerate(_arms_for(name, u, style)):
            arms[side].wrist[rows] = arm.wrist
            arms[side].openness[rows] = arm.openness
            arms[side].angle_deg[rows] = arm.angle_deg
        events.append(SyntheticEvent(name, float(start_s), float(end_s), body_part(name, style.hand)))
    if fidget_sw > 0:
        for arm in arms:
            phases = rng.uniform(0, 2 * np.pi, 2)
            arm.wrist[:] += fidget_sw * np.stack(
                [np.sin(0.7 * time_s + phases[0]), np.sin(0.5 * time_s + phases[1])], 1
            )
    pose_xy, hands_xy = render_keypoints(arms[0], arms[1], body, noise_px, rng)
    tracks = Tracks.empty(n)
    tracks.frame[:] = np.arange(n)
    tracks.time_s[:] = time_s
    tracks.person_id[:] = 0
    tracks.is_patient[:] = True
    tracks.pose_xy[:] = pose_xy
    tracks.pose_visibility[:] = 1.0
    tracks.pose_confidence[:] = 1.0
    tracks.hands_xy[:] = hands_xy
    tracks.hands_confidence[:] = 1.0
    tracks.metadata["source"] = "analysis.gestures.synthetic"
    return tracks, events


def synth_samples(
    per_class: int, *, seed: int = 0, fps: float = 15.0, gestures: tuple[str, ...] = GESTURES
) -> list[tuple[str, np.ndarray]]:
    """per_class random performances of each gesture as (label, normalised keypoints) pairs.

    Keypoints have shape (n_frames, N_GESTURE_KEYPOINTS, 2) in shoulder widths (see normalise);
    noise is 0.5-2 px and 0-0.3 s of rest pads each side, as around a clinician's marked event.
    """
    rng = np.random.default_rng(seed)
    samples = []
    for repeat in range(per_class):
        for name in gestures:
            style = random_style(rng)
            rest_s = float(rng.uniform(0.0, 0.3))
            plan = [(name, rest_s, style)]
            tracks, _ = synth_session(
                plan,
                duration_s=style.duration_s + 2 * rest_s,
                fps=fps,
                body=random_body(rng),
                noise_px=float(rng.uniform(0.5, 2.0)),
                seed=int(rng.integers(2**31)) + repeat,
            )
            samples.append((name, gesture_keypoints(tracks)))
    return samples


def write_synthetic_dataset(
    directory: str | Path,
    *,
    per_class: int,
    seed: int = 0,
    test_fraction: float = 0.25,
    fps: float = 15.0,
    gestures: tuple[str, ...] = GESTURES,
) -> str:
    """Write a synthetic training set (dataset.py format) and return its sha256.

    Of the per_class samples of each gesture, round(per_class * test_fraction) get split "test"
    and the rest "train".
    """
    if per_class < 2:
        raise ValueError(f"per_class must be at least 2 (one to train, one to test); got {per_class}.")
    n_test = round(per_class * test_fraction)
    samples = [
        GestureSample(
            label=label,
            keypoints=keypoints,
            fps=fps,
            sample_id=f"synthetic-{seed}-{index:05d}",
            split="test" if index // len(gestures) < n_test else "train",
            source={"generator": "analysis.gestures.synthetic", "seed": seed},
        )
        for index, (label, keypoints) in enumerate(
            synth_samples(per_class, seed=seed, fps=fps, gestures=gestures)
        )
    ]
    return write_dataset(
        directory,
        samples,
        labels=list(gestures),
        description=f"synthetic gestures, seed {seed}, {per_class} per class",
    )

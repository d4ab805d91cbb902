"""Landmark proxies of facial action units (FACS), for expressivity (Zeghari et al. 2021).

Zeghari et al. (JMIR Form Res 2021;5:e24727) related the mean intensity and the activation
frequency of action units to apathy. Without an AU detector, each AU here is a distance between
Face Mesh landmarks after rigid head motion is removed (apathy.aligned_face_iod), in IOD, compared
with the patient's own neutral face: the median over the protocol's neutral segment when it is
marked, else over the session (so a patient who smiles all session shows a low lip-corner puller:
the proxies measure change, not a static face).

| AU | proxy (IOD) | sign |
|---|---|---|
| AU1 inner brow raiser | inner brow (55, 285) to inner eye corner (133, 362), mean of sides | + |
| AU2 outer brow raiser | outer brow (46, 276) to outer eye corner (33, 263), mean of sides | + |
| AU4 brow lowerer | inner brow to inner eye corner, as AU1 | - (lowering) |
| AU12 lip corner puller | lip corners (61, 291) apart | + |
| AU25 lips part | inner lips (13, 14) apart | + |
| AU26 jaw drop | chin (152) to nose tip (1) | + |

An AU is active in a frame when its signed change from neutral exceeds AU_ACTIVE_IOD, or 3 x the
jitter of a landmark distance (sqrt 2 x the face's jitter) when that is larger. Frequency is the
share of face frames where it is active; intensity the mean change over the active frames.
"""

from __future__ import annotations

import numpy as np

from analysis.metrics.segments import NEUTRAL, ProtocolSegment, mask_of, of_kind

# 0.05 IOD, about 3 mm on an adult face: the smallest landmark change an observer codes as an
# action (FACS trace level), and above 3 x the jitter of a 60 px IOD face (0.5 px, 0.008 IOD).
AU_ACTIVE_IOD = 0.05
_PAIRS: dict[str, tuple[tuple[tuple[int, int], ...], float]] = {
    "inner_brow_raiser": (((55, 133), (285, 362)), 1.0),
    "outer_brow_raiser": (((46, 33), (276, 263)), 1.0),
    "brow_lowerer": (((55, 133), (285, 362)), -1.0),
    "lip_corner_puller": (((61, 291),), 1.0),
    "lips_part": (((13, 14),), 1.0),
    "jaw_drop": (((152, 1),), 1.0),
}
ACTION_UNITS = tuple(_PAIRS)
AU_LANDMARKS = tuple(sorted({i for pairs, _ in _PAIRS.values() for pair in pairs for i in pair}))


def action_unit_changes(
    aligned: np.ndarray, time_s: np.ndarray, segments: list[ProtocolSegment] | None
) -> dict:
    """Per-frame signed change from the neutral face of each AU proxy (IOD), NaN without a face.

    aligned has shape (n_frames, len(AU_LANDMARKS), 2): AU_LANDMARKS in IOD, head motion removed.
    """
    column = {landmark: i for i, landmark in enumerate(AU_LANDMARKS)}
    neutral = mask_of(of_kind(segments, NEUTRAL), time_s)
    changes = {}
    for name, (pairs, sign) in _PAIRS.items():
        distance = np.mean(
            [np.linalg.norm(aligned[:, column[a]] - aligned[:, column[b]], axis=-1) for a, b in pairs], axis=0
        )
        seen = np.isfinite(distance)
        reference_frames = seen & neutral if (seen & neutral).any() else seen
        reference = float(np.median(distance[reference_frames])) if reference_frames.any() else np.nan
        changes[name] = sign * (distance - reference)
    return changes


def action_unit_summary(changes: np.ndarray, face_jitter_iod: float) -> tuple[float, float]:
    """(intensity in IOD, frequency share) of one AU from its per-frame changes; NaN, NaN when
    no face frame; intensity NaN when it is never active."""
    seen = np.isfinite(changes)
    if not seen.any():
        return float("nan"), float("nan")
    threshold = (
        max(AU_ACTIVE_IOD, 3.0 * np.sqrt(2.0) * face_jitter_iod)
        if np.isfinite(face_jitter_iod)
        else AU_ACTIVE_IOD
    )
    active = seen & (np.nan_to_num(changes, nan=-np.inf) > threshold)
    intensity = float(np.mean(changes[active])) if active.any() else float("nan")
    return intensity, float(active.sum() / seen.sum())

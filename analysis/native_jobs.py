"""The native-rate pass's jobs (plain data: this module imports no model, so the orchestrating
process builds them without loading MediaPipe), and its results as tracks for the metrics.

The sampled analysis flags candidate windows of fast hand movement (metrics/native_rate.py);
each window is decoded again at every frame of the video and the body-pose model runs on the
patient's crop there (analysis/native_pass.py), so that hand flapping is measured at the video's
native frame rate, only where it may be.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from analysis.metrics import MetricsConfig
from analysis.metrics.native_rate import NativeWindow, candidate_windows
from analysis.runner import Runner
from analysis.segment_jobs import PatientJob
from analysis.tracks import Tracks
from analysis.video import VideoInfo

if TYPE_CHECKING:
    from analysis.pose import PoseBackend

# The patient's body crop is 4 face widths wide (people.body_crop); a flapping hand, forearm
# raised outwards, reaches beyond it, so each side is widened by half the crop's width.
CROP_WIDEN_SHARE = 0.5
NATIVE_JOB = "analysis.native_pass:pose_at_native_rate"


@dataclass(frozen=True)
class NativeJob:
    """Decode [start_s, end_s) of a video at every frame and run the body-pose model on the
    crop (x0, y0, x1, y1) px: the patient's crops of the sampled analysis in that window, joined."""

    path: Path
    start_s: float
    end_s: float
    crop_xyxy: tuple[int, int, int, int]
    pose_model: Callable[[], PoseBackend] | None = None


def native_jobs(
    path: Path,
    windows: list[tuple[float, float]],
    times_s: np.ndarray,
    crops_xyxy: np.ndarray,
    *,
    frame_width_px: int,
    pose_model: Callable[[], PoseBackend] | None = None,
) -> list[NativeJob]:
    """One job per candidate window, on the union of the patient's crops (n, 4) at the sampled
    frames times_s (n,) within it, widened by CROP_WIDEN_SHARE of its width on each side."""
    jobs = []
    for start, end in windows:
        inside = (times_s >= start) & (times_s < end)
        if not inside.any():
            continue
        box = crops_xyxy[inside]
        x0, x1 = int(box[:, 0].min()), int(box[:, 2].max())
        margin = round(CROP_WIDEN_SHARE * (x1 - x0))
        x0, x1 = max(0, x0 - margin), min(frame_width_px, x1 + margin)
        crop = (x0, int(box[:, 1].min()), x1, int(box[:, 3].max()))
        jobs.append(NativeJob(Path(path), float(start), float(end), crop, pose_model))
    return jobs


def native_windows(jobs: list[NativeJob], results: list[dict[str, Any]]) -> list[NativeWindow]:
    """The jobs' pose rows as NativeWindow tracks (the patient's rows, pose fields only)."""
    windows = []
    for job, result in zip(jobs, results, strict=True):
        n = len(result["time_s"])
        rows = Tracks.with_columns(
            n,
            time_s=np.asarray(result["time_s"], dtype=np.float64),
            frame=np.asarray(result["frame"], dtype=np.int64),
            is_patient=np.ones(n, dtype=bool),
            pose_xy=result["pose_xy"],
            pose_visibility=result["pose_visibility"],
            pose_confidence=result["pose_confidence"],
        )
        windows.append(NativeWindow(job.start_s, job.end_s, rows))
    return windows


def native_pass(
    runner: Runner,
    path: Path,
    info: VideoInfo,
    patient_rows: Tracks,
    patient_jobs: list[PatientJob],
    *,
    pose_model: Callable[[], PoseBackend] | None,
) -> tuple[list[NativeWindow], list[dict[str, Any]]]:
    """The candidate windows of the patient's sampled rows decoded again at every frame, the
    body-pose model run there (stage "native"; nothing runs when no hand moved fast). Returns the
    windows' rows and the jobs' results (their CPU times)."""
    windows = candidate_windows(patient_rows, MetricsConfig())
    times_s = np.concatenate([j.times_s for j in patient_jobs])
    crops = np.concatenate([j.crops for j in patient_jobs])
    jobs = native_jobs(path, windows, times_s, crops, frame_width_px=info.width, pose_model=pose_model)
    if not jobs:
        return [], []
    fps = info.fps if math.isfinite(info.fps) else 30.0
    runner.expected_frames = max(1, round(sum(j.end_s - j.start_s for j in jobs) * fps))
    results = runner.run("native", NATIVE_JOB, jobs)
    return native_windows(jobs, results), results

"""The native-rate pass, run in a worker process on one candidate window: every frame of the
window decoded, the body-pose model on the patient's crop (see analysis/native_jobs.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from analysis.native_jobs import NativeJob
from analysis.pose import PoseModel
from analysis.runner import PartClock
from analysis.tracks import N_POSE_KEYPOINTS
from analysis.video import iter_frames

# Above any camera's frame rate: iter_frames then keeps every frame (a frame is never kept twice).
EVERY_FRAME_FPS = 1000.0
# As the patient pass: the pose model's input is 256 px, so a larger crop only costs resizing.
MODEL_LONG_SIDE_PX = 640
BATCH_FRAMES = 16


def pose_at_native_rate(job: NativeJob, tick: Callable[[int], None]) -> dict[str, Any]:
    """Body pose at every frame of the job's window, in full-frame px. Returns frame (n,),
    time_s (n,), pose_xy (n, 33, 2), pose_visibility (n, 33), pose_confidence (n,) (NaN where no
    body was found) and part_s (seconds decoding, in pose)."""
    clock = PartClock()
    x0, y0, x1, y1 = job.crop_xyxy
    frames, times, xy, visibility, confidence = [], [], [], [], []
    model = (job.pose_model or PoseModel)()
    try:
        for count, frame in enumerate(
            iter_frames(job.path, EVERY_FRAME_FPS, start_s=job.start_s, end_s=job.end_s, threads=1)
        ):
            region = frame.image_rgb[y0:y1, x0:x1]
            scale = min(1.0, MODEL_LONG_SIDE_PX / max(region.shape[:2]))
            if scale < 1.0:
                size = (max(1, round(region.shape[1] * scale)), max(1, round(region.shape[0] * scale)))
                region = cv2.resize(region, size, interpolation=cv2.INTER_AREA)
            clock.lap("decoding and crops")
            body = model.process(np.ascontiguousarray(region))
            clock.lap("pose")
            frames.append(frame.index)
            times.append(frame.time_s)
            if body is None:
                xy.append(np.full((N_POSE_KEYPOINTS, 2), np.nan, dtype=np.float32))
                visibility.append(np.full(N_POSE_KEYPOINTS, np.nan, dtype=np.float32))
                confidence.append(np.nan)
            else:
                xy.append((body.keypoints_xy / scale + np.array([x0, y0])).astype(np.float32))
                visibility.append(body.visibility.astype(np.float32))
                confidence.append(body.confidence)
            if (count + 1) % BATCH_FRAMES == 0:
                tick(BATCH_FRAMES)
    finally:
        model.close()
    tick(len(times) % BATCH_FRAMES)
    return {
        "frame": np.asarray(frames, dtype=np.int64),
        "time_s": np.asarray(times, dtype=np.float64),
        "pose_xy": np.asarray(xy, dtype=np.float32).reshape(-1, N_POSE_KEYPOINTS, 2),
        "pose_visibility": np.asarray(visibility, dtype=np.float32).reshape(-1, N_POSE_KEYPOINTS),
        "pose_confidence": np.asarray(confidence, dtype=np.float32),
        "part_s": clock.total("results"),
    }

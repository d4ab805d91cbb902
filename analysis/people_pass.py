"""Pass 1, run in a worker process on one time segment: every person's face, where it moved.

Faces are looked for at every MIN_SKIPPED + 1 frames where the picture changes (anywhere in
the frame, or in a known person's body region) and every MAX_SKIPPED + 1 frames in still
stretches: a face track is smooth, and the tracker and the crops interpolate between
detections (a 1 Hz sway of 30 px sampled at 3.3 per second is interpolated within about 13 px,
a fraction of the crop's margin of 2 face widths each side of the face). Small faces (analysis/face_detection.py) are found by a tiled look every
TILES_EVERY_S, which only adds faces the other looks miss, and followed by a zoom window at
every run, which stays put while the face does: a still face keeps one box.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from analysis.face_detection import (
    FaceDetector,
    add_new_faces,
    is_small,
    merge_detections,
    zoom_anchor,
    zoom_window,
)
from analysis.people import body_crop
from analysis.runner import CpuClock
from analysis.sampling import MotionGate
from analysis.segment_jobs import PeopleJob

# Frames between two progress reports / cancellation checks.
BATCH_FRAMES = 16
# The tiled look for small faces (four detector calls) runs at the first detection run of a
# segment and then at most once per this many seconds: a new small face is found within 2 s.
TILES_EVERY_S = 2.0
# Analysed frames skipped after each detection run, and at most in a row (at 10 fps: faces
# looked for 3.3 times a second where the picture changes, once a second where it does not).
MIN_SKIPPED = 2
MAX_SKIPPED = 9
# Thumbnail long sides (px) of the motion measure: the whole frame, and each person's body.
FRAME_THUMBNAIL_PX = 160
BODY_THUMBNAIL_PX = 64


def detect_people(job: PeopleJob, tick: Callable[[int], None]) -> dict[str, Any]:
    """Face boxes (n_faces, 5) per analysed frame (empty where the detector did not run), and
    where it ran."""
    frames, times, faces, ran = [], [], [], []
    gate = MotionGate(MAX_SKIPPED, min_skipped=MIN_SKIPPED, full_rate=job.full_rate)
    last = np.empty((0, 5), dtype=np.float32)
    last_tiles_s = -np.inf
    anchors: list[np.ndarray] = []
    clock = CpuClock()
    with FaceDetector() as detector:
        for frame in job.segment.frames():
            gray = frame.image_gray
            height, width = gray.shape
            regions = [((0, 0, width, height), FRAME_THUMBNAIL_PX)]
            regions += [(body_crop(face[:4], (width, height)), BODY_THUMBNAIL_PX) for face in last]
            found = np.empty((0, 5), dtype=np.float32)
            ran.append(gate.should_run(gray, regions))
            if ran[-1]:
                clock.lap("decoding and motion")
                image = frame.image_rgb
                looks = [detector.process(image)]
                anchors = [zoom_anchor(face, anchors) for face in last if is_small(face, height)]
                looks += [
                    detector.process_window(image, zoom_window(anchor, (width, height))) for anchor in anchors
                ]
                found = merge_detections(*looks)
                if frame.time_s - last_tiles_s >= TILES_EVERY_S:
                    found = add_new_faces(found, detector.process_tiles(image))
                    last_tiles_s = frame.time_s
                last = found
                clock.lap("face detection")
            frames.append(frame.index)
            times.append(frame.time_s)
            faces.append(found)
            if len(frames) % BATCH_FRAMES == 0:
                tick(BATCH_FRAMES)
    tick(len(frames) % BATCH_FRAMES)
    return {
        "frames": np.asarray(frames, dtype=np.int64),
        "times_s": np.asarray(times, dtype=np.float64),
        "faces": faces,
        "ran": np.asarray(ran, dtype=bool),
        "cpu_s": clock.total("decoding and motion"),
    }

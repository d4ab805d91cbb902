"""Pass 1, run in a worker process on one time segment: every person's face, where it moved.

Faces are looked for at every analysed frame where the picture changes (anywhere in the frame,
or in a known person's body region), every MAX_SKIPPED + 1 frames in still stretches and at the
segment's last frame (a track spans its first to its last detection: so it reaches the end of
the video): a still face's track is flat, and the tracker and the crops interpolate between
detections. Where
the picture changes every frame is looked at: the patient's crop then follows the face as in a
full-rate run (interpolated boxes of a 1 Hz sway of 30 px sampled at 3.3 per second lag the face
by up to 13 px, and the face models, which see every frame, read the face sliding in the crop as
head motion: 40 % more head speed on the benchmark session). Small faces
(analysis/face_detection.py) are found by a tiled look every TILES_EVERY_S, which only adds
faces the other looks miss, and followed by a zoom window at every run, which stays put while
the face does: a still face keeps one box.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
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
from analysis.runner import PartClock
from analysis.sampling import MotionGate
from analysis.segment_jobs import PeopleJob
from analysis.video import Frame

# Frames between two progress reports / cancellation checks.
BATCH_FRAMES = 16
# The tiled look for small faces (four detector calls) runs at the first detection run of a
# segment and then at most once per this many seconds: a new small face is found within 2 s.
TILES_EVERY_S = 2.0
# Analysed frames skipped in a row at most where the picture does not change (at 10 fps: faces
# looked for once a second there, and at every frame where it changes).
MAX_SKIPPED = 9
# Thumbnail long sides (px) of the motion measure: the whole frame, and each person's body.
FRAME_THUMBNAIL_PX = 160
BODY_THUMBNAIL_PX = 64


def _with_last(frames: Iterator[Frame]) -> Iterator[tuple[Frame, bool]]:
    """Each frame, and whether it is the last one (one frame of look-ahead)."""
    previous = None
    for frame in frames:
        if previous is not None:
            yield previous, False
        previous = frame
    if previous is not None:
        yield previous, True


def detect_people(job: PeopleJob, tick: Callable[[int], None]) -> dict[str, Any]:
    """Face boxes (n_faces, 5) per analysed frame (empty where the detector did not run), and
    where it ran."""
    frames, times, faces, ran = [], [], [], []
    gate = MotionGate(MAX_SKIPPED, full_rate=job.full_rate)
    last = np.empty((0, 5), dtype=np.float32)
    last_tiles_s = -np.inf
    anchors: list[np.ndarray] = []
    clock = PartClock()
    with FaceDetector() as detector:
        for frame, final in _with_last(job.segment.frames()):
            gray = frame.image_gray
            height, width = gray.shape
            regions = [((0, 0, width, height), FRAME_THUMBNAIL_PX)]
            regions += [(body_crop(face[:4], (width, height)), BODY_THUMBNAIL_PX) for face in last]
            found = np.empty((0, 5), dtype=np.float32)
            ran.append(gate.should_run(gray, regions) or final)
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
        "part_s": clock.total("decoding and motion"),
    }

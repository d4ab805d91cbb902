"""From a video file to per-frame tracks and the session's metrics.

Two passes over the video, each split into time segments processed in parallel by worker
processes (analysis/docs/pipeline.md explains why):

1. people: every face in every analysed frame (cheap); the faces are linked into tracks over
   the whole video in this process, and the patient's track is chosen;
2. patient: body pose, hands, face mesh (head pose, gaze) and facial expression on a crop
   around the patient's face track, mapped back to full-frame px.

Then the metrics (analysis.metrics) are computed on the patient's rows.
"""

from __future__ import annotations

import json
import multiprocessing
import queue
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from analysis import PIPELINE_VERSION
from analysis.emotion import EmotionClassifier
from analysis.errors import AnalysisCancelled
from analysis.face import FaceMeshModel
from analysis.gaze import eye_in_head_deg, gaze_deg, head_pose_deg
from analysis.hands import HandsModel
from analysis.metrics import ProtocolSegment, compute_all
from analysis.metrics.praxis import compute_praxis
from analysis.people import FaceDetector, FaceTrack, PatientPoint, body_crop, choose_patient, track_faces
from analysis.pose import PoseBackend, PoseModel, PoseObservation
from analysis.results import MetricsReport
from analysis.tracks import HANDS, POSE_LEFT_WRIST, POSE_RIGHT_WRIST, Tracks
from analysis.video import Frame, VideoInfo, analysis_ticks, iter_frames, probe, split_segments

STATUS_OK = "ok"
STATUS_NO_PERSON = "no_person_found"
# Frames between two progress reports / cancellation checks.
BATCH_FRAMES = 16
# Patient crops are shrunk to this long side before the models: their inputs are 256 px
# (pose), 192 px (face mesh, palm detector) and 224 px (hand landmarks), so more pixels only
# cost copying and resizing time.
MODEL_LONG_SIDE_PX = 640
# MediaPipe visibility above which a wrist counts as in view (hands are then looked for).
WRIST_VISIBLE = 0.3
# Share of the progress bar given to each stage.
_STAGE_SPANS = {"people": (0.0, 0.2), "patient": (0.2, 0.95), "metrics": (0.95, 1.0)}

ProgressCallback = Callable[[str, float], None]


@dataclass(frozen=True)
class ModelInfo:
    """A model that produced part of the tracks: its name and version (recorded with results)."""

    name: str
    version: str


@dataclass
class AnalysisResult:
    """Everything one analysis produced.

    Attributes
    ----------
    video : VideoInfo
    tracks : Tracks
        One row per analysed frame for the patient (NaN where a model found nothing) plus one
        row per analysed frame in which another tracked person's face was detected (only
        person_id, bbox_xywh and face_confidence filled). With status "no_person_found": one
        all-NaN row per analysed frame with person_id -1.
    models : list of ModelInfo
    status : "ok" or "no_person_found"
    report : MetricsReport
        Computed on the patient's rows (on the all-NaN rows when no person was found, so
        that every metric is present, NaN or a coverage of 0).
    message : str
        A sentence for a person when status is not "ok", else "".
    """

    video: VideoInfo
    tracks: Tracks
    models: list[ModelInfo]
    status: str
    report: MetricsReport
    message: str = ""


def analyse_video(
    path: str | Path,
    *,
    target_fps: float = 10.0,
    device: str | None = None,
    progress: ProgressCallback | None = None,
    should_continue: Callable[[], bool] | None = None,
    patient_point: PatientPoint | tuple[float, float, float] | None = None,
    workers: int = 2,
    pose_model: Callable[[], PoseBackend] = PoseModel,
    praxis_references: dict[str, np.ndarray] | None = None,
    expected_gestures: list[str] | None = None,
    protocol_segments: list[ProtocolSegment] | None = None,
) -> AnalysisResult:
    """Analyse one session video.

    Parameters
    ----------
    path : the video file.
    target_fps : analysis rate in frames per second (frames are picked by timestamp).
    device : "cpu" or "cuda" for the facial-expression model (None: CUDA when available); the
        MediaPipe models run on the CPU.
    progress : called as progress(stage, fraction) after every batch of frames; stage is
        "people", "patient" or "metrics", fraction the overall progress in [0, 1].
    should_continue : called after every batch; when it returns False the analysis stops and
        AnalysisCancelled is raised.
    patient_point : (x px, y px, time s) on the patient, to override the automatic choice.
    workers : worker processes (one time segment each); 1 runs everything in this process.
    pose_model : makes the body-pose model in each worker process (picklable: a class or a
        functools.partial, e.g. of analysis.pose_mmpose.MMPoseModel on a GPU worker).
    praxis_references, expected_gestures : a praxis protocol's reference trajectories and
        expected gestures, so that each performed gesture is scored (see compute_praxis).
    protocol_segments : the protocol's marked segments (baseline, gaze calibration, stories, cues;
        analysis.metrics.ProtocolSegment), which the metrics that need a reference use.

    Raises
    ------
    VideoError (NotAVideoError, NoVideoStreamError, TruncatedVideoError, CorruptVideoError)
        The file is not a decodable video.
    PatientPointError
        patient_point is not on a tracked person.
    AnalysisCancelled
        should_continue() returned False.
    """
    path = Path(path)
    point = PatientPoint(*patient_point) if patient_point is not None else None
    info = probe(path)
    segments = split_segments(info.duration_s, target_fps, workers)
    expected_frames = analysis_ticks(info.duration_s, target_fps)
    with _Runner(workers, progress, should_continue, expected_frames) as runner:
        people = runner.run("people", _detect_faces, [_Segment(path, target_fps, s, e) for s, e in segments])
        frames = np.concatenate([p["frames"] for p in people])
        times_s = np.concatenate([p["times_s"] for p in people])
        detections = [d for p in people for d in p["faces"]]
        face_tracks = track_faces(times_s, detections)
        patient = choose_patient(face_tracks, times_s, (info.width, info.height), point)
        detector = ModelInfo(FaceDetector.name, FaceDetector.version)
        if patient is None:
            tracks = Tracks.empty(len(frames))
            tracks.frame, tracks.time_s = frames, times_s
            tracks.metadata = _metadata(path, target_fps, [detector], None)
            report = _session_report(tracks, praxis_references, expected_gestures, protocol_segments)
            _report(progress, "metrics", 1.0)
            return AnalysisResult(
                video=info,
                tracks=tracks,
                models=[detector],
                status=STATUS_NO_PERSON,
                report=report,
                message=(
                    f"No person was found in {path.name}: no face was detected for long enough "
                    "to be tracked. Check that the patient's face is visible to the camera."
                ),
            )
        crops = np.array(
            [body_crop(patient.box_at(i), (info.width, info.height)) for i in range(len(times_s))]
        )
        bounds = np.cumsum([0] + [len(p["times_s"]) for p in people])
        jobs = [
            _PatientJob(_Segment(path, target_fps, s, e), times_s[a:b], crops[a:b], device, pose_model)
            for (s, e), a, b in zip(segments, bounds[:-1], bounds[1:], strict=True)
        ]
        parts = runner.run("patient", _analyse_patient, jobs)
    models = [detector, *(ModelInfo(*m) for m in parts[0]["models"])]
    tracks = _assemble(frames, times_s, face_tracks, patient, parts)
    tracks.metadata = _metadata(path, target_fps, models, patient.track_id)
    _report(progress, "metrics", 0.0)
    report = _session_report(tracks.patient(), praxis_references, expected_gestures, protocol_segments)
    _report(progress, "metrics", 1.0)
    return AnalysisResult(video=info, tracks=tracks, models=models, status=STATUS_OK, report=report)


def _session_report(
    rows: Tracks,
    references: dict[str, np.ndarray] | None,
    expected_gestures: list[str] | None,
    protocol_segments: list[ProtocolSegment] | None = None,
) -> MetricsReport:
    """Every metric family on one person's rows (time-ordered): apathy, stereotypy, attention
    (analysis.metrics.compute_all) and praxis (gestures found and timed, and scored when the
    protocol gives reference gestures)."""
    report = compute_all(rows, segments=protocol_segments)
    report.merge(
        compute_praxis(
            rows, references=references, expected_gestures=expected_gestures, segments=protocol_segments
        )
    )
    return report


def _metadata(
    path: Path, target_fps: float, models: list[ModelInfo], patient_id: int | None
) -> dict[str, str]:
    return {
        "pipeline_version": PIPELINE_VERSION,
        "source": path.name,
        "target_fps": f"{target_fps:g}",
        "patient_person_id": "" if patient_id is None else str(patient_id),
        "models": json.dumps([{"name": m.name, "version": m.version} for m in models]),
    }


def _assemble(
    frames: np.ndarray,
    times_s: np.ndarray,
    face_tracks: list[FaceTrack],
    patient: FaceTrack,
    parts: list[dict[str, Any]],
) -> Tracks:
    """Patient rows (one per analysed frame, all models) and other people's rows (face box
    only), sorted by time then person."""
    rows = Tracks.empty(len(frames))
    rows.frame, rows.time_s = frames, times_s
    rows.person_id[:] = patient.track_id
    rows.is_patient[:] = True
    rows.bbox_xywh[patient.rows] = patient.boxes_xywh
    for name in _PATIENT_FIELDS:
        setattr(rows, name, np.concatenate([p[name] for p in parts]))
    everyone = [rows]
    for track in face_tracks:
        if track.track_id == patient.track_id:
            continue
        other = Tracks.empty(len(track.rows))
        other.frame, other.time_s = frames[track.rows], times_s[track.rows]
        other.person_id[:] = track.track_id
        other.bbox_xywh, other.face_confidence = track.boxes_xywh, track.scores
        everyone.append(other)
    tracks = Tracks.concatenate(everyone)
    return tracks.select(np.lexsort((tracks.person_id, tracks.time_s)))


_PATIENT_FIELDS = (
    "pose_xy",
    "pose_visibility",
    "pose_confidence",
    "face_xy",
    "face_confidence",
    "head_pose_deg",
    "gaze_deg",
    "emotion_probs",
    "hands_xy",
    "hands_confidence",
)


# --- the two passes' segment jobs (run in a worker process, or in this one) -----------------


@dataclass(frozen=True)
class _Segment:
    """One time segment [start_s, end_s) of the video (end_s None: to the end)."""

    path: Path
    target_fps: float
    start_s: float
    end_s: float | None

    def frames(self) -> Iterator[Frame]:
        return iter_frames(self.path, self.target_fps, start_s=self.start_s, end_s=self.end_s)


@dataclass(frozen=True)
class _PatientJob:
    """Pass 2 on one segment: times_s (n,) are the frame times pass 1 found in it, crops (n, 4)
    the patient's crop (x0, y0, x1, y1) px in each of those frames."""

    segment: _Segment
    times_s: np.ndarray
    crops: np.ndarray
    device: str | None
    pose_model: Callable[[], PoseBackend]


def _detect_faces(segment: _Segment, tick: Callable[[int], None]) -> dict[str, Any]:
    """Pass 1 on one time segment: face boxes (n_faces, 5) per analysed frame."""
    frames, times, faces = [], [], []
    with FaceDetector() as detector:
        for frame in segment.frames():
            frames.append(frame.index)
            times.append(frame.time_s)
            faces.append(detector.process(frame.image_rgb))
            if len(frames) % BATCH_FRAMES == 0:
                tick(BATCH_FRAMES)
    tick(len(frames) % BATCH_FRAMES)
    return {
        "frames": np.asarray(frames, dtype=np.int64),
        "times_s": np.asarray(times, dtype=np.float64),
        "faces": faces,
    }


def _analyse_patient(job: _PatientJob, tick: Callable[[int], None]) -> dict[str, Any]:
    """Pass 2 on one time segment: every model on the patient's crop of each analysed frame.
    Returns the _PATIENT_FIELDS arrays (n, ...) in full-frame px and the models' (name, version)."""
    n = len(job.times_s)
    out = Tracks.empty(n)
    with _PatientModels(job.device, job.pose_model) as models:
        i = 0
        for frame in job.segment.frames():
            if i >= n or abs(frame.time_s - job.times_s[i]) > 1e-6:
                raise RuntimeError(
                    f"Decoding {job.segment.path.name} gave a frame at {frame.time_s:.3f} s where "
                    "the first pass had another; the video cannot be decoded reproducibly."
                )
            models.process(frame.image_rgb, job.crops[i], out, i)
            i += 1
            if i % BATCH_FRAMES == 0:
                tick(BATCH_FRAMES)
        tick(i % BATCH_FRAMES)
    return {"models": models.infos(), **{name: getattr(out, name) for name in _PATIENT_FIELDS}}


def _hands_may_be_visible(body: PoseObservation | None) -> bool:
    """Whether to run the hand model: not when the body model sees the person but neither wrist
    (visibility below WRIST_VISIBLE). Its palm detector is the costliest model and finds nothing
    then; when no body was found at all, the hands still get their chance."""
    if body is None:
        return True
    return bool(np.nanmax(body.visibility[[POSE_LEFT_WRIST, POSE_RIGHT_WRIST]]) >= WRIST_VISIBLE)


class _PatientModels:
    """The single-person models, run on the patient's crop of each frame."""

    def __init__(self, device: str | None, pose_model: Callable[[], PoseBackend]) -> None:
        self.pose = pose_model()
        self.hands = HandsModel()
        self.mesh = FaceMeshModel(max_faces=1)
        self.emotion = EmotionClassifier(device=device)

    def infos(self) -> list[tuple[str, str]]:
        return [(m.name, m.version) for m in (self.pose, self.mesh, self.hands, self.emotion)]

    def __enter__(self) -> _PatientModels:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.pose.close()
        self.hands.close()
        self.mesh.close()

    def process(self, image: np.ndarray, crop: np.ndarray, out: Tracks, i: int) -> None:
        """Run the models on one frame's patient crop and write row i of out in full-frame px."""
        height, width = image.shape[:2]
        x0, y0, x1, y1 = (int(v) for v in crop)
        region = image[y0:y1, x0:x1]
        scale = min(1.0, MODEL_LONG_SIDE_PX / max(region.shape[:2]))
        if scale < 1.0:
            size = (max(1, round(region.shape[1] * scale)), max(1, round(region.shape[0] * scale)))
            region = cv2.resize(region, size, interpolation=cv2.INTER_AREA)
        offset = np.array([x0, y0], dtype=np.float32)

        def to_frame(xy: np.ndarray) -> np.ndarray:
            return xy / scale + offset

        body = self.pose.process(region)
        if body is not None:
            out.pose_xy[i] = to_frame(body.keypoints_xy)
            out.pose_visibility[i] = body.visibility
            out.pose_confidence[i] = body.confidence
        for hand in self.hands.process(region) if _hands_may_be_visible(body) else ():
            side = HANDS.index(hand.handedness)
            out.hands_xy[i, side] = to_frame(hand.keypoints_xy)
            out.hands_confidence[i, side] = hand.confidence
        faces = self.mesh.process(region)
        if faces:
            landmarks = to_frame(faces[0].landmarks_xy)
            out.face_xy[i] = landmarks
            out.face_confidence[i] = faces[0].confidence
            # Head pose depends on the camera model, so it is solved again in the full frame's
            # geometry (the crop has another principal point and focal length).
            head = head_pose_deg(landmarks, (width, height))
            out.head_pose_deg[i] = head
            out.gaze_deg[i] = gaze_deg(head, eye_in_head_deg(landmarks, self.mesh.gaze_offsets))
            out.emotion_probs[i] = self.emotion.predict(region, faces[:1])[0]


# --- running segment jobs with progress and cancellation -----------------------------------


def _report(progress: ProgressCallback | None, stage: str, stage_fraction: float) -> None:
    if progress is not None:
        low, high = _STAGE_SPANS[stage]
        progress(stage, low + (high - low) * min(1.0, stage_fraction))


_worker_queue: Any = None
_worker_cancel: Any = None


def _init_worker(progress_queue: Any, cancel_event: Any) -> None:
    """Worker process set-up: where to send progress, and the shared cancellation flag. Torch
    gets one thread: the parallelism is one process per core."""
    import torch

    global _worker_queue, _worker_cancel
    _worker_queue, _worker_cancel = progress_queue, cancel_event
    torch.set_num_threads(1)


def _in_worker(job: Callable[..., dict[str, Any]], spec: object) -> dict[str, Any]:
    def tick(n_frames: int) -> None:
        _worker_queue.put((job.__name__, n_frames))
        if _worker_cancel.is_set():
            raise AnalysisCancelled("The analysis was cancelled.")

    return job(spec, tick)


class _Runner:
    """Runs a stage's segment jobs, in this process (workers == 1) or in a pool of spawned
    worker processes (MediaPipe graphs are not fork-safe), and turns the jobs' frame counts
    into progress calls and cancellation checks."""

    def __init__(
        self,
        workers: int,
        progress: ProgressCallback | None,
        should_continue: Callable[[], bool] | None,
        expected_frames: int,
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        self.workers = workers
        self.progress = progress
        self.should_continue = should_continue
        self.expected_frames = expected_frames
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> _Runner:
        if self.workers > 1:
            context = multiprocessing.get_context("spawn")
            self.queue = context.Queue()
            self.cancel = context.Event()
            self.pool = ProcessPoolExecutor(
                self.workers, mp_context=context, initializer=_init_worker, initargs=(self.queue, self.cancel)
            )
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.pool is not None:
            self.cancel.set()
            self.pool.shutdown(wait=True, cancel_futures=True)

    def _check(self, stage: str, done: int) -> None:
        _report(self.progress, stage, done / self.expected_frames)
        if self.should_continue is not None and not self.should_continue():
            raise AnalysisCancelled("The analysis was cancelled before it finished; nothing was saved.")

    def run(
        self, stage: str, job: Callable[..., dict[str, Any]], specs: Sequence[object]
    ) -> list[dict[str, Any]]:
        """Results of job(spec, tick) for each spec, in order."""
        done = 0
        self._check(stage, done)
        if self.pool is None:

            def tick(n_frames: int) -> None:
                nonlocal done
                done += n_frames
                self._check(stage, done)

            return [job(spec, tick) for spec in specs]
        futures: list[Future] = [self.pool.submit(_in_worker, job, spec) for spec in specs]
        while not all(f.done() for f in futures):
            try:
                name, n_frames = self.queue.get(timeout=0.2)
            except queue.Empty:
                continue
            if name == job.__name__:
                done += n_frames
                self._check(stage, done)
        return [f.result() for f in futures]


__all__ = ["STATUS_NO_PERSON", "STATUS_OK", "AnalysisResult", "ModelInfo", "analyse_video"]

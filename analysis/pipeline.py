"""From a video file to per-frame tracks and the session's metrics.

Two passes over the video, each split into time segments processed in parallel by worker
processes (analysis/docs/pipeline.md explains why and what each costs):

1. people (analysis/people_pass.py): every face, small ones included, where the picture
   changes and at a lower rate in still stretches; the faces are linked into tracks over the
   whole video in this process, and the patient's track is chosen;
2. patient (analysis/patient_pass.py): face mesh (head pose, gaze) and facial expression on
   every analysed frame, body pose and hands where the patient's body moved (motion-adaptive
   sampling, analysis/sampling.py), on a crop around the patient's face track in which the
   other people are blanked, mapped back to full-frame px; the other people's faces;
3. native rate (analysis/native_pass.py): where the sampled rows show fast hand movement
   (metrics/native_rate.py, candidate_windows), every frame of the video decoded again and the
   body-pose model run, so that hand flapping is measured at the video's own frame rate.

The audio's speech segments are found in a thread meanwhile. Then the metrics (analysis.metrics)
are computed on the patient's rows. This process imports neither MediaPipe nor torch.
"""

from __future__ import annotations

import importlib.metadata
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from analysis import PIPELINE_VERSION
from analysis.assembly import assemble, pose_rows
from analysis.audio import SpeechAnalysis, SpeechInBackground
from analysis.metrics import NativeWindow, ProtocolSegment, compute_all
from analysis.metrics.interaction import interaction_report
from analysis.metrics.praxis import compute_praxis
from analysis.native_jobs import native_pass
from analysis.people import PatientPoint, choose_patient, track_faces
from analysis.results import MetricsReport
from analysis.runner import ProgressCallback, Runner, StageClock, WorkerPool, part_sums, report_progress
from analysis.segment_jobs import PeopleJob, patient_jobs
from analysis.speaker_attribution import attribute_speech
from analysis.tracks import Tracks
from analysis.video import VideoInfo, VideoSegment, analysis_ticks, probe, split_segments

if TYPE_CHECKING:
    from analysis.pose import PoseBackend

STATUS_OK = "ok"
STATUS_NO_PERSON = "no_person_found"
# The face detector's name, as recorded with results (analysis/face_detection.py holds the
# model; importing it here would import MediaPipe into this process).
FACE_DETECTOR = "mediapipe-face-detection-full-range"
# The passes' jobs, imported by the worker processes only.
PEOPLE_JOB = "analysis.people_pass:detect_people"
PATIENT_JOB = "analysis.patient_pass:analyse_patient"


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
        One row per analysed frame for the patient (NaN where a model found nothing; `measured`
        False where the body fields were filled from their neighbours) plus, for each other
        tracked person, one row per analysed frame their track spans (person_id, bbox_xywh and
        face_confidence from the face detector, interpolated where it did not look, `measured`
        False there; face_xy and head_pose_deg where their face mesh ran). With status
        "no_person_found": one all-NaN row per analysed frame with person_id -1.
    models : list of ModelInfo
    status : "ok" or "no_person_found"
    report : MetricsReport
        Computed on the patient's rows (on the all-NaN rows when no person was found, so
        that every metric is present, NaN or a coverage of 0).
    message : str
        A sentence for a person when status is not "ok", else "".
    stage_s : dict
        Wall time (s) of each stage, the jobs' seconds per part summed over the worker processes
        ("<stage>: <part>"; "worker start-up (CPU)" is CPU seconds) and the speech thread's CPU
        seconds ("cpu speech: ...").
    speech : SpeechAnalysis
        Speech segments of the audio track, or the status saying why there are none.
    """

    video: VideoInfo
    tracks: Tracks
    models: list[ModelInfo]
    status: str
    report: MetricsReport
    message: str = ""
    stage_s: dict[str, float] = field(default_factory=dict)
    speech: SpeechAnalysis | None = None


def analyse_video(
    path: str | Path,
    *,
    target_fps: float = 10.0,
    device: str | None = None,
    progress: ProgressCallback | None = None,
    should_continue: Callable[[], bool] | None = None,
    patient_point: PatientPoint | tuple[float, float, float] | None = None,
    workers: int = 2,
    pool: WorkerPool | None = None,
    close_pool: bool = False,
    pose_model: Callable[[], PoseBackend] | None = None,
    praxis_references: dict[str, np.ndarray] | None = None,
    expected_gestures: list[str] | None = None,
    full_rate: bool = False,
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
    pool : warm worker processes to use (analysis.runner.shared_pool; a Celery worker keeps
        one), instead of starting workers processes for this video only.
    close_pool : close pool once the video passes are done, before the tracks are assembled and
        the metrics run (a caller that analyses one video: its idle processes would hold their
        models' memory meanwhile).
    pose_model : makes the body-pose model in each worker process (picklable: a class or a
        functools.partial, e.g. of analysis.pose_mmpose.MMPoseModel on a GPU worker); default
        MediaPipe Pose (analysis.pose.PoseModel).
    praxis_references, expected_gestures : a praxis protocol's reference trajectories and
        expected gestures, so that each performed gesture is scored (see compute_praxis).
    full_rate : True runs every model on every analysed frame (the reference); False (the
        default) runs the body models where the patient's body moved and the people pass at a
        lower rate (motion-adaptive sampling; tolerances in analysis/docs/pipeline.md, Speed).
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
    clock, path = StageClock(), Path(path)
    point = PatientPoint(*patient_point) if patient_point is not None else None
    info = probe(path)
    speech_job = SpeechInBackground(path)  # beside the video passes
    n_segments = pool.workers if pool is not None else workers
    video_segments = [
        VideoSegment(path, target_fps, s, e)
        for s, e in split_segments(info.duration_s, target_fps, n_segments)
    ]
    expected_frames = analysis_ticks(info.duration_s, target_fps)
    own_pool = WorkerPool(workers) if pool is None and workers > 1 else None
    # The folder outlives the runner and the pool: on the way out the runner first waits for the
    # jobs that write there, and the tracks are assembled from its files once the pool is closed.
    with tempfile.TemporaryDirectory(prefix="analysis-rows-") as rows_folder:
        try:
            with Runner(pool or own_pool, progress, should_continue, expected_frames) as runner:
                clock.lap("start")
                people = runner.run("people", PEOPLE_JOB, [PeopleJob(s, full_rate) for s in video_segments])
                clock.lap("people")
                frames = np.concatenate([p["frames"] for p in people])
                times_s = np.concatenate([p["times_s"] for p in people])
                face_tracks = track_faces(times_s, [d for p in people for d in p["faces"]])
                patient = choose_patient(face_tracks, times_s, (info.width, info.height), point)
                if patient is None:
                    return _no_person(
                        path=path,
                        info=info,
                        speech=speech_job,
                        frames=frames,
                        times_s=times_s,
                        target_fps=target_fps,
                        progress=progress,
                        references=praxis_references,
                        expected_gestures=expected_gestures,
                        protocol_segments=protocol_segments,
                    )
                others = [t for t in face_tracks if t.track_id != patient.track_id]
                jobs = patient_jobs(
                    video_segments=video_segments,
                    people=people,
                    times_s=times_s,
                    patient=patient,
                    others=others,
                    size_wh=(info.width, info.height),
                    device=device,
                    pose_model=pose_model,
                    full_rate=full_rate,
                    rows_folder=Path(rows_folder),
                )
                clock.lap("tracking")
                parts = runner.run("patient", PATIENT_JOB, jobs)
                clock.lap("patient")
                bounds = np.cumsum([0] + [len(p["times_s"]) for p in people])
                body = pose_rows(frames=frames, times_s=times_s, patient=patient, parts=parts, bounds=bounds)
                native, native_parts = native_pass(runner, path, info, body, jobs, pose_model=pose_model)
                del body
                clock.lap("native")
        finally:
            # Before the tracks are assembled: idle processes would hold their models' memory
            # beside them.
            for done in (own_pool, pool if close_pool else None):
                if done is not None:
                    done.close()
        tracks = assemble(
            frames=frames,
            times_s=times_s,
            detector_ran=np.concatenate([p["ran"] for p in people]),
            patient=patient,
            others=others,
            parts=parts,
            bounds=bounds,
        )
        clock.lap("assembly")
    models = [_detector_info(), *(ModelInfo(*m) for m in parts[0]["models"])]
    tracks.metadata = _metadata(path, target_fps, models, patient.track_id, full_rate)
    report_progress(progress, "metrics", 0.0)
    report = _session_report(
        tracks.patient(), praxis_references, expected_gestures, protocol_segments, native
    )
    report_progress(progress, "metrics", 1.0)
    clock.lap("metrics")
    speech = attribute_speech(speech_job.result(), tracks)
    clock.lap("speech")  # waiting for the speech thread, and the speakers
    report.merge(interaction_report(speech, tracks, protocol_segments))
    clock.lap("interaction")
    return AnalysisResult(
        video=info,
        tracks=tracks,
        models=models,
        status=STATUS_OK,
        report=report,
        stage_s={
            **clock.laps,
            **part_sums("people", people),
            **part_sums("patient", parts),
            **part_sums("native", native_parts),
            "cpu speech: decoding and voice activity": speech_job.cpu_s,
        },
        speech=speech,
    )


def _detector_info() -> ModelInfo:
    return ModelInfo(FACE_DETECTOR, importlib.metadata.version("mediapipe"))


def _no_person(
    *,
    path: Path,
    info: VideoInfo,
    speech: SpeechInBackground,
    frames: np.ndarray,
    times_s: np.ndarray,
    target_fps: float,
    progress: ProgressCallback | None,
    references: dict[str, np.ndarray] | None,
    expected_gestures: list[str] | None,
    protocol_segments: list[ProtocolSegment] | None,
) -> AnalysisResult:
    tracks = Tracks.empty(len(frames))
    tracks.frame, tracks.time_s = frames, times_s
    detector = _detector_info()
    tracks.metadata = _metadata(path, target_fps, [detector], None, False)
    report = _session_report(tracks, references, expected_gestures, protocol_segments)
    attributed = attribute_speech(speech.result(), tracks)
    report.merge(interaction_report(attributed, tracks, protocol_segments))
    report_progress(progress, "metrics", 1.0)
    return AnalysisResult(
        video=info,
        tracks=tracks,
        models=[detector],
        status=STATUS_NO_PERSON,
        report=report,
        speech=attributed,
        message=(
            f"No person was found in {path.name}: no face was detected for long enough "
            "to be tracked. Check that the patient's face is visible to the camera."
        ),
    )


def _session_report(
    rows: Tracks,
    references: dict[str, np.ndarray] | None,
    expected_gestures: list[str] | None,
    protocol_segments: list[ProtocolSegment] | None = None,
    native: list[NativeWindow] | None = None,
) -> MetricsReport:
    """Every metric family on one person's rows (time-ordered): apathy, stereotypy, attention
    (analysis.metrics.compute_all, hand flapping in the native-rate windows) and praxis (gestures
    found and timed, and scored when the protocol gives reference gestures)."""
    report = compute_all(rows, segments=protocol_segments, native=native)
    report.merge(
        compute_praxis(
            rows, references=references, expected_gestures=expected_gestures, segments=protocol_segments
        )
    )
    return report


def _metadata(
    path: Path, target_fps: float, models: list[ModelInfo], patient_id: int | None, full_rate: bool
) -> dict[str, str]:
    return {
        "pipeline_version": PIPELINE_VERSION,
        "source": path.name,
        "target_fps": f"{target_fps:g}",
        "sampling": "full-rate" if full_rate else "motion-adaptive",
        "patient_person_id": "" if patient_id is None else str(patient_id),
        "models": json.dumps([{"name": m.name, "version": m.version} for m in models]),
    }


__all__ = ["STATUS_NO_PERSON", "STATUS_OK", "AnalysisResult", "ModelInfo", "analyse_video"]

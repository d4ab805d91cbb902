"""Throughput of the analysis pipeline (a script, not a test: pytest does not collect tests/bench).

    python tests/bench/analysis_throughput.py [--duration 60] [--model-frames 100] [--workers 2]

Generates a 1280 x 720, 25 fps video of the astronaut photo rocking sideways, then prints:
decode frames/s; per-model analysed frames/s (on the first --model-frames analysed frames, run
as the pipeline runs them: face detection on the frame, the others on the patient's crop);
end-to-end analysed frames/s and real-time factor at 10 fps; peak memory (maxrss of this
process and of its children); and the ratio of the end-to-end time to calling the bare
MediaPipe solutions (face detection, pose, hands, face mesh on the full frame, one process, no
decoding counted) on the same frames in the same run.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import av  # noqa: E402
import cv2  # noqa: E402
import mediapipe as mp  # noqa: E402
import numpy as np  # noqa: E402

from analysis.emotion import EmotionClassifier  # noqa: E402
from analysis.face import FaceMeshModel  # noqa: E402
from analysis.hands import HandsModel  # noqa: E402
from analysis.people import FaceDetector, body_crop  # noqa: E402
from analysis.pipeline import MODEL_LONG_SIDE_PX, analyse_video  # noqa: E402
from analysis.pose import PoseModel  # noqa: E402
from analysis.video import iter_frames, probe  # noqa: E402
from tests.media import make_person_video  # noqa: E402

TARGET_FPS = 10.0


def _decode_rates(path: Path) -> tuple[float, float]:
    """(all source frames decoded per s, analysed frames per s from iter_frames)."""
    start = time.perf_counter()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        n = sum(1 for _ in container.decode(stream))
    source_rate = n / (time.perf_counter() - start)
    start = time.perf_counter()
    m = sum(1 for _ in iter_frames(path, TARGET_FPS))
    return source_rate, m / (time.perf_counter() - start)


def _crop(image: np.ndarray, box: np.ndarray) -> np.ndarray:
    x0, y0, x1, y1 = body_crop(box, (image.shape[1], image.shape[0]))
    region = image[y0:y1, x0:x1]
    scale = min(1.0, MODEL_LONG_SIDE_PX / max(region.shape[:2]))
    if scale < 1.0:
        region = cv2.resize(region, (round(region.shape[1] * scale), round(region.shape[0] * scale)))
    return region


def _per_model_rates(path: Path, n_frames: int, device: str | None) -> dict[str, float]:
    frames = [f.image_rgb for _, f in zip(range(n_frames), iter_frames(path, TARGET_FPS), strict=False)]
    rates: dict[str, float] = {}
    with FaceDetector() as detector:
        start = time.perf_counter()
        boxes = [detector.process(image) for image in frames]
        rates["face detection (full frame)"] = len(frames) / (time.perf_counter() - start)
    last = next(b[0, :4] for b in boxes if len(b))
    crops = []
    for image, found in zip(frames, boxes, strict=True):
        last = found[0, :4] if len(found) else last
        crops.append(_crop(image, last))
    for name, model in (
        ("pose", PoseModel()),
        ("hands", HandsModel()),
        ("face mesh", FaceMeshModel(max_faces=1)),
    ):
        start = time.perf_counter()
        outputs = [model.process(c) for c in crops]
        rates[f"{name} (patient crop)"] = len(crops) / (time.perf_counter() - start)
        model.close()
        if name == "face mesh":
            faces = outputs
    emotion = EmotionClassifier(device=device)
    pairs = [(c, f[:1]) for c, f in zip(crops, faces, strict=True) if f]
    start = time.perf_counter()
    for crop, face in pairs:
        emotion.predict(crop, face)
    rates["emotion (patient crop)"] = len(pairs) / (time.perf_counter() - start) if pairs else float("nan")
    return rates


def _bare_mediapipe_s(path: Path) -> tuple[float, int]:
    """Seconds spent in the bare MediaPipe solutions on every analysed full frame."""
    solutions = mp.solutions
    models = [
        solutions.face_detection.FaceDetection(model_selection=1),
        solutions.pose.Pose(model_complexity=1),
        solutions.hands.Hands(max_num_hands=2),
        solutions.face_mesh.FaceMesh(max_num_faces=1, refine_landmarks=True),
    ]
    spent, n = 0.0, 0
    for frame in iter_frames(path, TARGET_FPS):
        start = time.perf_counter()
        for model in models:
            model.process(frame.image_rgb)
        spent += time.perf_counter() - start
        n += 1
    for model in models:
        model.close()
    return spent, n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="video length in seconds")
    parser.add_argument("--model-frames", type=int, default=100, help="analysed frames per model timing")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--device", default=None)
    args = parser.parse_args()
    print(f"cpu cores: {os.cpu_count()}, load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as folder:
        video = Path(folder) / "bench.mp4"
        start = time.perf_counter()
        make_person_video(
            video, duration_s=args.duration, fps=25, size=(1280, 720), motion="rock", amplitude_px=40
        )
        info = probe(video)
        print(
            f"video: {info.width}x{info.height} {info.fps:g} fps {info.duration_s:.1f} s {info.codec}"
            f" (generated in {time.perf_counter() - start:.1f} s)"
        )
        source_rate, analysed_rate = _decode_rates(video)
        print(
            f"decode: {source_rate:.0f} source frames/s; {analysed_rate:.0f} analysed frames/s at {TARGET_FPS:g} fps"
            " (decode + pick + RGB + rotate)"
        )
        for name, rate in _per_model_rates(video, args.model_frames, args.device).items():
            print(f"model {name}: {rate:.1f} frames/s ({1000 / rate:.1f} ms/frame)")
        start = time.perf_counter()
        result = analyse_video(video, target_fps=TARGET_FPS, device=args.device, workers=args.workers)
        elapsed = time.perf_counter() - start
        n = len(result.tracks.patient())
        print(
            f"end to end (workers={args.workers}): {n} analysed frames in {elapsed:.1f} s = {n / elapsed:.1f} frames/s;"
            f" real-time factor {info.duration_s / elapsed:.2f}x at {TARGET_FPS:g} fps"
        )
        bare_s, bare_n = _bare_mediapipe_s(video)
        print(
            f"bare MediaPipe (face detection + pose + hands + face mesh, full frames, 1 process): "
            f"{bare_n} frames in {bare_s:.1f} s = {bare_n / bare_s:.1f} frames/s"
        )
        print(f"ratio end-to-end / bare MediaPipe time: {elapsed / bare_s:.2f}")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory (maxrss): this process {own:.0f} MiB, largest child {children:.0f} MiB")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()

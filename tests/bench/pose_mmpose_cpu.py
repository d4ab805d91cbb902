"""Speed of the MMPose pose backend on the CPU, per crop, against MediaPipe Pose (not collected).

Run: .venv/bin/python -m tests.bench.pose_mmpose_cpu [--crops 40]

RTMPose-s and RTMPose-m (mmpose's packaged COCO 256x192 configs; weights initialised here and
saved as a checkpoint, so nothing is downloaded: the speed does not depend on the weights) run
through analysis.pose_mmpose.MMPoseModel on a 360 x 480 crop of a person, with torch on 1 thread
(as the pipeline's worker processes run it) and on all cores; the baseline is MediaPipe Pose full,
the CPU workers' model, in video mode (as the pipeline runs it) on the same crops, in the same run.
Prints milliseconds per crop and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import skimage.data
import torch

from analysis.pose import PoseModel
from analysis.pose_mmpose import MMPoseModel, build_pose_network

CONFIGS = {
    "RTMPose-s": "body_2d_keypoint/rtmpose/coco/rtmpose-s_8xb256-420e_coco-256x192.py",
    "RTMPose-m": "body_2d_keypoint/rtmpose/coco/rtmpose-m_8xb256-420e_coco-256x192.py",
}


def _ms_per_crop(model, crops: list[np.ndarray]) -> float:
    model.process(crops[0])  # warm-up
    started = time.perf_counter()
    for crop in crops:
        model.process(crop)
    return (time.perf_counter() - started) * 1000 / len(crops)


def _checkpoint(config: Path, folder: Path) -> Path:
    torch.manual_seed(0)
    model = build_pose_network(config, device="cpu")
    model.init_weights()
    path = folder / f"{config.stem}.pth"
    torch.save({"state_dict": model.state_dict()}, path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--crops", type=int, default=40, help="crops timed per model")
    args = parser.parse_args()
    import mmpose

    photo = skimage.data.astronaut()
    # The same person, shifted by a few pixels from crop to crop as in a video.
    crops = [np.ascontiguousarray(photo[20 + i % 5 : 500 + i % 5, 60:420]) for i in range(args.crops)]
    cores = torch.get_num_threads()

    with PoseModel(video_mode=True) as mediapipe:
        baseline_ms = _ms_per_crop(mediapipe, crops)
    print(
        f"crop {crops[0].shape[1]} x {crops[0].shape[0]} px, {args.crops} crops, mmpose {mmpose.__version__}"
    )
    print(f"{'MediaPipe Pose full (video mode)':<36} {baseline_ms:7.1f} ms per crop  1.00x")
    with tempfile.TemporaryDirectory() as folder:
        for name, relative in CONFIGS.items():
            config = Path(mmpose.__file__).parent / ".mim/configs" / relative
            checkpoint = _checkpoint(config, Path(folder))
            for threads in (1, cores):
                torch.set_num_threads(threads)
                with MMPoseModel(config, checkpoint, device="cpu") as model:
                    ms = _ms_per_crop(model, crops)
                label = f"{name}, torch on {threads} thread{'s' if threads > 1 else ''}"
                print(f"{label:<36} {ms:7.1f} ms per crop  {ms / baseline_ms:.2f}x")
            torch.set_num_threads(cores)


if __name__ == "__main__":
    main()

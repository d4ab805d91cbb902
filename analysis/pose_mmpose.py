"""Body pose on GPU workers: MMPose's RTMPose (top-down, COCO 17 keypoints) behind the same
interface as analysis/pose.py's PoseModel, its keypoints mapped to our 33-keypoint MediaPipe
layout (the 16 MediaPipe points COCO lacks, such as the eye corners, fingers and feet, are NaN).

The site provides the model: an MMPose config file and its RTMPose checkpoint (settings
MMPOSE_CONFIG and MMPOSE_CHECKPOINT; deploy/workers.md says where to put them). Nothing is
downloaded. mmcv must be compiled (against the host's CUDA on a GPU worker; with its CPU operators
for the tests, which run RTMPose on the CPU), so mmpose is not in the default install:
deploy/install_gpu.sh installs it. Each missing piece (the files, CUDA, mmpose) raises
PoseBackendError with a sentence naming it; there is no silent fallback to another model.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from analysis.errors import AnalysisError
from analysis.lifecycle import ClosesOnExit
from analysis.pose import PoseObservation
from analysis.tracks import N_POSE_KEYPOINTS

# COCO-17 keypoint i is MediaPipe Pose keypoint COCO_TO_MEDIAPIPE[i] (left/right are the
# person's own in both): nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles.
COCO_TO_MEDIAPIPE = np.array([0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28])
N_COCO_KEYPOINTS = 17
# A top-down model always returns a pose for the box it is given; below this mean keypoint
# score there is no body in the image (MediaPipe's detector threshold plays the same role).
MIN_POSE_SCORE = 0.3


class PoseBackendError(AnalysisError):
    """The MMPose backend cannot run on this host: the message names what is missing."""


def _check_file(path: str | Path, what: str, setting: str) -> Path:
    if not str(path):
        raise PoseBackendError(
            f"{setting} is not set. Put the {what} on the GPU worker and set {setting} to its path "
            "(deploy/workers.md)."
        )
    path = Path(path)
    if not path.is_file():
        raise PoseBackendError(
            f"{what} not found at {path}. Copy it there, or set {setting} to where it is (deploy/workers.md)."
        )
    return path


def _check_cuda(device: str) -> None:
    if not device.startswith("cuda"):
        return
    import torch  # noqa: PLC0415 (loads in seconds; only a CUDA device needs it here)

    if not torch.cuda.is_available():
        raise PoseBackendError(
            "The MMPose pose backend needs CUDA, and this host has no usable CUDA device. Run GPU "
            "workers on a host with an NVIDIA GPU and driver, or set POSE_BACKEND=mediapipe."
        )


def _import_mmpose() -> SimpleNamespace:
    """mmpose's model builder and data pipeline, and mmengine's checkpoint loader.

    Not `mmpose.apis` (init_model, inference_topdown): it imports every inferencer and visualiser,
    and those import torchvision, whose PyPI wheels load only with the CUDA build of torch.
    """
    try:
        import mmpose  # noqa: PLC0415 (optional GPU dependency: absent on CPU workers)
        import torch  # noqa: PLC0415 (loads in seconds; only this backend needs it here)
        from mmengine.config import Config  # noqa: PLC0415 (as mmpose)
        from mmengine.dataset import Compose, pseudo_collate  # noqa: PLC0415 (as mmpose)
        from mmengine.model.utils import revert_sync_batchnorm  # noqa: PLC0415 (as mmpose)
        from mmengine.registry import init_default_scope  # noqa: PLC0415 (as mmpose)
        from mmengine.runner import load_checkpoint  # noqa: PLC0415 (as mmpose)
        from mmpose.datasets.datasets.utils import parse_pose_metainfo  # noqa: PLC0415 (as mmpose)
        from mmpose.models import build_pose_estimator  # noqa: PLC0415 (as mmpose)
    except ImportError as error:
        if error.name and error.name.split(".")[0] in {"mmpose", "mmcv", "mmengine", "mmdet"}:
            raise PoseBackendError(
                f"mmpose is not installed: run deploy/install_gpu.sh (missing module {error.name})."
            ) from error
        raise PoseBackendError(
            f"mmpose is installed but cannot be imported ({error}). Run deploy/install_gpu.sh again; it "
            "installs the versions that work together."
        ) from error
    return SimpleNamespace(
        version=mmpose.__version__,
        configs=Path(mmpose.__file__).parent / ".mim" / "configs",
        torch=torch,
        Config=Config,
        Compose=Compose,
        pseudo_collate=pseudo_collate,
        revert_sync_batchnorm=revert_sync_batchnorm,
        init_default_scope=init_default_scope,
        load_checkpoint=load_checkpoint,
        parse_pose_metainfo=parse_pose_metainfo,
        build_pose_estimator=build_pose_estimator,
    )


def build_pose_network(config_path: str | Path, device: str):
    """The network of an MMPose top-down config, with the initial weights of its layers (nothing is
    downloaded: a pretrained backbone named in the config is not fetched), in eval mode on `device`.
    MMPoseModel then loads the site's checkpoint into it."""
    mm = _import_mmpose()
    config = mm.Config.fromfile(str(config_path))
    config.model.train_cfg = None
    config.model.backbone.init_cfg = None
    mm.init_default_scope(config.get("default_scope", "mmpose"))
    network = mm.revert_sync_batchnorm(mm.build_pose_estimator(config.model))
    network.cfg = config
    # COCO-17, the layout this backend maps (a checkpoint's own metadata replaces it when loaded).
    network.dataset_meta = mm.parse_pose_metainfo({"from_file": str(mm.configs / "_base_/datasets/coco.py")})
    return network.to(device).eval()


def coco_to_mediapipe(keypoints_xy: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Place COCO-17 keypoints in the 33-keypoint MediaPipe layout.

    Parameters
    ----------
    keypoints_xy : float array of shape (17, 2), px
    scores : float array of shape (17,), model confidence

    Returns
    -------
    xy : float32 array of shape (33, 2), px; NaN where COCO has no such keypoint
    visibility : float32 array of shape (33,), scores clipped to [0, 1]; NaN likewise
    """
    if keypoints_xy.shape != (N_COCO_KEYPOINTS, 2) or scores.shape != (N_COCO_KEYPOINTS,):
        raise ValueError(
            f"expected COCO keypoints of shape (17, 2) and scores (17,), got {keypoints_xy.shape} and {scores.shape}"
        )
    xy = np.full((N_POSE_KEYPOINTS, 2), np.nan, dtype=np.float32)
    visibility = np.full(N_POSE_KEYPOINTS, np.nan, dtype=np.float32)
    xy[COCO_TO_MEDIAPIPE] = keypoints_xy
    visibility[COCO_TO_MEDIAPIPE] = np.clip(scores, 0.0, 1.0)
    return xy, visibility


def _sha256_prefix(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:12]


def check_mmpose_ready(config_path: str | Path, checkpoint_path: str | Path, device: str = "cuda") -> None:
    """Raise PoseBackendError naming what is missing (config, checkpoint, CUDA, mmpose) without
    loading the model: a worker says so before it spends time decoding a video."""
    _check_file(config_path, "RTMPose config", "MMPOSE_CONFIG")
    _check_file(checkpoint_path, "RTMPose checkpoint", "MMPOSE_CHECKPOINT")
    _check_cuda(device)
    _import_mmpose()


class MMPoseModel(ClosesOnExit):
    """RTMPose through MMPose, on one image (the patient's crop) at a time.

    Parameters
    ----------
    config_path : MMPose config file of a COCO-17 top-down model (e.g. RTMPose-m 256x192)
    checkpoint_path : its weights (.pth)
    device : "cuda", "cuda:N", or "cpu" (tests with random weights; not a fallback: the caller
        asks for it)

    `version` names mmpose's version and the checkpoint's sha256 prefix, so that results record
    exactly which weights produced them.
    """

    name = "mmpose-rtmpose"

    def __init__(self, config_path: str | Path, checkpoint_path: str | Path, device: str = "cuda") -> None:
        config = _check_file(config_path, "RTMPose config", "MMPOSE_CONFIG")
        checkpoint = _check_file(checkpoint_path, "RTMPose checkpoint", "MMPOSE_CHECKPOINT")
        _check_cuda(device)
        self._mm = _import_mmpose()
        self._model = build_pose_network(config, device)
        loaded = self._mm.load_checkpoint(self._model, str(checkpoint), map_location="cpu")
        self._model.dataset_meta = loaded.get("meta", {}).get("dataset_meta", self._model.dataset_meta)
        self._pipeline = self._mm.Compose(self._model.cfg.test_dataloader.dataset.pipeline)
        self.version = f"mmpose-{self._mm.version}+sha256.{_sha256_prefix(checkpoint)}"

    def process(self, image_rgb: np.ndarray) -> PoseObservation | None:
        """The body in one image (the whole image is the person's box), or None when the model's
        mean keypoint score is below MIN_POSE_SCORE.

        Parameters
        ----------
        image_rgb : uint8 array of shape (height, width, 3)
        """
        # MMPose's data preprocessors expect OpenCV's BGR order.
        image_bgr = np.ascontiguousarray(image_rgb[..., ::-1])
        height, width = image_bgr.shape[:2]
        sample = self._pipeline(
            {
                "img": image_bgr,
                "bbox": np.array([[0, 0, width, height]], dtype=np.float32),
                "bbox_score": np.ones(1, dtype=np.float32),
                **self._model.dataset_meta,
            }
        )
        with self._mm.torch.no_grad():
            instances = self._model.test_step(self._mm.pseudo_collate([sample]))[0].pred_instances
        keypoints = np.asarray(instances.keypoints, dtype=np.float32)[0]
        scores = np.asarray(instances.keypoint_scores, dtype=np.float32)[0]
        if keypoints.shape[0] != N_COCO_KEYPOINTS:
            raise PoseBackendError(
                f"The RTMPose model returned {keypoints.shape[0]} keypoints instead of COCO's 17. Set "
                "MMPOSE_CONFIG to a COCO-17 body model (for example RTMPose-m 256x192)."
            )
        if float(np.mean(scores)) < MIN_POSE_SCORE:
            return None
        xy, visibility = coco_to_mediapipe(keypoints, scores)
        return PoseObservation(
            keypoints_xy=xy, visibility=visibility, confidence=float(np.nanmean(visibility))
        )

    def close(self) -> None:
        """Free the model (and its GPU memory)."""
        self._model = None

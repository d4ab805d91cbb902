"""The GPU pose backend (MMPose RTMPose): its keypoint mapping, the errors that name what a host
lacks, and RTMPose-s itself on the CPU: mmpose's packaged config with weights initialised here and
saved as a checkpoint, loaded through the backend and run on crops (bin/test installs mmpose with
mmcv's CPU operators, deploy/install_gpu.sh). Only the CUDA test may skip."""

import hashlib
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import skimage.data
import torch

from analysis.pose_mmpose import (
    COCO_TO_MEDIAPIPE,
    MIN_POSE_SCORE,
    MMPoseModel,
    PoseBackendError,
    build_pose_network,
    coco_to_mediapipe,
)
from analysis.tracks import N_POSE_KEYPOINTS, POSE_LEFT_SHOULDER, POSE_LEFT_WRIST, POSE_NOSE, POSE_RIGHT_HIP

RTMPOSE_S_CONFIG = "body_2d_keypoint/rtmpose/coco/rtmpose-s_8xb256-420e_coco-256x192.py"
# RTMPose's keypoint scores are the SimCC classifiers' largest logits. Scaling both classifiers'
# weights scales every logit, so each keypoint keeps its position and its score is multiplied:
# x100 gives a confident model, x0.001 one whose scores say "no body", from the same random weights.
CONFIDENT_SCALE = 100.0
NO_BODY_SCALE = 0.001


@pytest.fixture
def model_files(tmp_path) -> tuple[Path, Path]:
    config = tmp_path / "rtmpose-m_coco-256x192.py"
    checkpoint = tmp_path / "rtmpose-m_coco-256x192.pth"
    config.write_text("# placeholder config\n")
    checkpoint.write_bytes(b"placeholder weights")
    return config, checkpoint


def test_coco_keypoints_land_on_the_same_body_parts_of_the_mediapipe_layout():
    coco_xy = np.arange(34, dtype=np.float32).reshape(17, 2)
    scores = np.linspace(0.0, 1.6, 17, dtype=np.float32)

    xy, visibility = coco_to_mediapipe(coco_xy, scores)

    assert xy.shape == (N_POSE_KEYPOINTS, 2) and visibility.shape == (N_POSE_KEYPOINTS,)
    assert xy.dtype == np.float32
    # COCO: 0 nose, 5 left shoulder, 9 left wrist, 12 right hip.
    np.testing.assert_array_equal(xy[POSE_NOSE], coco_xy[0])
    np.testing.assert_array_equal(xy[POSE_LEFT_SHOULDER], coco_xy[5])
    np.testing.assert_array_equal(xy[POSE_LEFT_WRIST], coco_xy[9])
    np.testing.assert_array_equal(xy[POSE_RIGHT_HIP], coco_xy[12])
    # The 16 points COCO lacks (eye corners, mouth, hands, heels, toes) are missing, not zero.
    missing = np.setdiff1d(np.arange(N_POSE_KEYPOINTS), COCO_TO_MEDIAPIPE)
    assert len(missing) == 16
    assert np.isnan(xy[missing]).all() and np.isnan(visibility[missing]).all()
    # Scores above 1 (RTMPose's SimCC confidences can exceed it) are clipped to MediaPipe's [0, 1].
    assert visibility[COCO_TO_MEDIAPIPE].max() == 1.0


def test_it_names_the_missing_checkpoint(model_files):
    config, checkpoint = model_files
    checkpoint.unlink()

    with pytest.raises(PoseBackendError, match=f"RTMPose checkpoint not found at {checkpoint}"):
        MMPoseModel(config, checkpoint, device="cpu")


def test_it_says_which_setting_is_empty(model_files):
    _, checkpoint = model_files

    with pytest.raises(PoseBackendError, match="MMPOSE_CONFIG is not set"):
        MMPoseModel("", checkpoint, device="cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this host has CUDA")
def test_it_needs_cuda_when_asked_for_the_gpu(model_files):
    with pytest.raises(PoseBackendError, match="needs CUDA"):
        MMPoseModel(*model_files, device="cuda")


def test_it_says_how_to_install_mmpose_on_a_host_without_it(model_files, monkeypatch):
    # A None entry in sys.modules makes `import mmpose` fail as on a host where it is not installed.
    monkeypatch.setitem(sys.modules, "mmpose", None)

    with pytest.raises(PoseBackendError, match=r"mmpose is not installed: run deploy/install_gpu\.sh"):
        MMPoseModel(*model_files, device="cpu")


@dataclass(frozen=True)
class RTMPoseFiles:
    config: Path
    confident: Path  # checkpoint of the confident model
    no_body: Path  # checkpoint of the same model with scores below MIN_POSE_SCORE
    confident_model: torch.nn.Module  # the model the confident checkpoint was saved from


@pytest.fixture(scope="module")
def rtmpose(tmp_path_factory) -> RTMPoseFiles:
    """RTMPose-s from mmpose's packaged config, its weights initialised here and saved as two
    checkpoints (confident, and no body) that differ only in the scale of the SimCC classifiers."""
    import mmpose  # noqa: PLC0415 (loads mmcv, mmdet and mmpose's models: only for these tests)

    config = Path(mmpose.__file__).parent / ".mim/configs" / RTMPOSE_S_CONFIG
    assert config.is_file(), f"mmpose {mmpose.__version__} has no packaged config {RTMPOSE_S_CONFIG}"
    torch.manual_seed(0)
    model = build_pose_network(config, device="cpu")
    model.init_weights()
    folder = tmp_path_factory.mktemp("rtmpose")
    checkpoints = {}
    for name, scale in (("confident", CONFIDENT_SCALE), ("no_body", NO_BODY_SCALE)):
        state = {key: value.clone() for key, value in model.state_dict().items()}
        state["head.cls_x.weight"] *= scale
        state["head.cls_y.weight"] *= scale
        checkpoints[name] = folder / f"rtmpose-s-{name}.pth"
        torch.save({"state_dict": state}, checkpoints[name])
    model.load_state_dict(torch.load(checkpoints["confident"])["state_dict"])
    return RTMPoseFiles(config, checkpoints["confident"], checkpoints["no_body"], model)


def _mmpose_prediction(model: torch.nn.Module, image_rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """COCO keypoints (17, 2) and scores (17,) straight from mmpose (its test pipeline and the
    network's test step, as mmpose.apis.inference_topdown runs them), the whole image as the box."""
    from mmengine.dataset import Compose, pseudo_collate  # noqa: PLC0415 (optional GPU dependency)

    height, width = image_rgb.shape[:2]
    sample = Compose(model.cfg.test_dataloader.dataset.pipeline)(
        {
            "img": np.ascontiguousarray(image_rgb[..., ::-1]),  # mmpose reads OpenCV's BGR order
            "bbox": np.array([[0, 0, width, height]], dtype=np.float32),
            "bbox_score": np.ones(1, dtype=np.float32),
            **model.dataset_meta,
        }
    )
    with torch.no_grad():
        instances = model.test_step(pseudo_collate([sample]))[0].pred_instances
    return np.asarray(instances.keypoints)[0], np.asarray(instances.keypoint_scores)[0]


def _patient_crops() -> list[np.ndarray]:
    """Crops of a real photo of a person, of the sizes the people pass cuts (portrait and square)."""
    photo = skimage.data.astronaut()
    return [photo, photo[20:500, 60:420], photo[0:300, 100:325], photo[100:340, 150:330]]


def test_rtmpose_loads_its_checkpoint_and_places_coco_keypoints_in_our_layout(rtmpose):
    torch.manual_seed(1)  # a model built without loading the checkpoint would now differ

    with MMPoseModel(rtmpose.config, rtmpose.confident, device="cpu") as model:
        for crop in _patient_crops():
            observation = model.process(crop)
            coco_xy, coco_scores = _mmpose_prediction(rtmpose.confident_model, crop)

            assert coco_scores.mean() >= MIN_POSE_SCORE
            assert observation is not None
            assert observation.keypoints_xy.shape == (N_POSE_KEYPOINTS, 2)
            assert observation.visibility.shape == (N_POSE_KEYPOINTS,)
            assert observation.keypoints_xy.dtype == np.float32
            # The weights are the checkpoint's (same keypoints as the model it was saved from, to
            # float32 precision in px of the crop), each COCO keypoint on its MediaPipe index.
            np.testing.assert_allclose(observation.keypoints_xy[COCO_TO_MEDIAPIPE], coco_xy, atol=1e-3)
            np.testing.assert_allclose(
                observation.visibility[COCO_TO_MEDIAPIPE], np.clip(coco_scores, 0, 1), atol=1e-6
            )
            missing = np.setdiff1d(np.arange(N_POSE_KEYPOINTS), COCO_TO_MEDIAPIPE)
            assert np.isnan(observation.keypoints_xy[missing]).all()
            assert np.isnan(observation.visibility[missing]).all()
            assert observation.confidence == pytest.approx(np.clip(coco_scores, 0, 1).mean())
        digest = hashlib.sha256(rtmpose.confident.read_bytes()).hexdigest()[:12]
        assert model.version.endswith(f"+sha256.{digest}") and model.version.startswith("mmpose-1.")


def test_rtmpose_finds_no_body_when_its_scores_are_below_the_threshold(rtmpose):
    with MMPoseModel(rtmpose.config, rtmpose.no_body, device="cpu") as model:
        assert all(model.process(crop) is None for crop in _patient_crops())


def test_rtmpose_speed_per_crop_on_the_cpu(rtmpose):
    """A figure, not a limit (tests/bench/pose_mmpose_cpu.py compares it with MediaPipe Pose):
    printed with `pytest -s`, after one warm-up crop, with torch on one thread as the pipeline's
    worker processes run it."""
    crops = _patient_crops()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with MMPoseModel(rtmpose.config, rtmpose.confident, device="cpu") as model:
            model.process(crops[0])
            started = time.perf_counter()
            observations = [model.process(crop) for crop in crops * 2]
            per_crop_ms = (time.perf_counter() - started) * 1000 / len(observations)
    finally:
        torch.set_num_threads(threads)

    assert all(o is not None and o.keypoints_xy.shape == (N_POSE_KEYPOINTS, 2) for o in observations)
    print(f"RTMPose-s on the CPU (torch on 1 thread): {per_crop_ms:.1f} ms per crop")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_rtmpose_on_the_gpu_finds_what_it_finds_on_the_cpu(rtmpose):
    crop = _patient_crops()[1]
    with MMPoseModel(rtmpose.config, rtmpose.confident, device="cpu") as model:
        on_cpu = model.process(crop)
    with MMPoseModel(rtmpose.config, rtmpose.confident, device="cuda") as model:
        on_gpu = model.process(crop)

    assert on_cpu is not None and on_gpu is not None
    # Within one SimCC bin (half a pixel of the 192 x 256 input) in px of the crop.
    bin_px = 0.5 * 1.25 * max(crop.shape[0] / 256, crop.shape[1] / 192)
    np.testing.assert_allclose(
        on_gpu.keypoints_xy[COCO_TO_MEDIAPIPE], on_cpu.keypoints_xy[COCO_TO_MEDIAPIPE], atol=bin_px
    )

"""The GPU pose backend (MMPose RTMPose): its keypoint mapping, the errors that name what a host
lacks (tested without mmpose), and, where mmpose is installed, inference with random weights."""

from pathlib import Path

import numpy as np
import pytest
import skimage.data
import torch

from analysis.pose_mmpose import COCO_TO_MEDIAPIPE, MMPoseModel, PoseBackendError, coco_to_mediapipe
from analysis.tracks import N_POSE_KEYPOINTS, POSE_LEFT_SHOULDER, POSE_LEFT_WRIST, POSE_NOSE, POSE_RIGHT_HIP


def _cuda_available() -> bool:
    return torch.cuda.is_available()


def _mmpose_installed() -> bool:
    try:
        import mmpose  # noqa: F401, PLC0415 (optional GPU dependency)
    except ImportError:
        return False
    return True


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


@pytest.mark.skipif(_cuda_available(), reason="this host has CUDA")
def test_it_needs_cuda_when_asked_for_the_gpu(model_files):
    with pytest.raises(PoseBackendError, match="needs CUDA"):
        MMPoseModel(*model_files, device="cuda")


@pytest.mark.skipif(_mmpose_installed(), reason="mmpose is installed here")
def test_it_says_how_to_install_mmpose(model_files):
    with pytest.raises(PoseBackendError, match=r"mmpose is not installed: run deploy/install_gpu\.sh"):
        MMPoseModel(*model_files, device="cpu")


@pytest.fixture(scope="module")
def random_rtmpose(tmp_path_factory) -> tuple[Path, Path]:
    """RTMPose-s from mmpose's packaged config, with random weights saved as a checkpoint."""
    pytest.importorskip(
        "mmpose", reason="mmpose needs mmcv compiled against CUDA (deploy/install_gpu.sh): GPU hosts only"
    )
    import mmpose  # noqa: PLC0415 (optional GPU dependency)
    from mmpose.apis import init_model  # noqa: PLC0415 (optional GPU dependency)

    config = (
        Path(mmpose.__file__).parent
        / ".mim/configs/body_2d_keypoint/rtmpose/coco/rtmpose-s_8xb256-420e_coco-256x192.py"
    )
    if not config.is_file():
        pytest.skip(f"mmpose's packaged RTMPose config is not at {config}")
    torch.manual_seed(0)
    model = init_model(str(config), None, device="cpu")
    checkpoint = tmp_path_factory.mktemp("rtmpose") / "random.pth"
    torch.save({"state_dict": model.state_dict()}, checkpoint)
    return config, checkpoint


def _astronaut_rgb() -> np.ndarray:
    return skimage.data.astronaut()


def _assert_pose_or_no_body(model: MMPoseModel) -> None:
    assert model.version.startswith("mmpose-") and "+sha256." in model.version
    observation = model.process(_astronaut_rgb())
    # Random weights give low scores: either no body (None) or an observation in our layout.
    if observation is not None:
        assert observation.keypoints_xy.shape == (N_POSE_KEYPOINTS, 2)
        assert np.isfinite(observation.keypoints_xy[COCO_TO_MEDIAPIPE]).all()
        assert 0.0 <= observation.confidence <= 1.0


def test_random_weights_run_on_the_cpu(random_rtmpose):
    with MMPoseModel(*random_rtmpose, device="cpu") as model:
        _assert_pose_or_no_body(model)


@pytest.mark.gpu
@pytest.mark.skipif(not _cuda_available(), reason="needs CUDA")
def test_random_weights_run_on_the_gpu(random_rtmpose):
    with MMPoseModel(*random_rtmpose, device="cuda") as model:
        _assert_pose_or_no_body(model)

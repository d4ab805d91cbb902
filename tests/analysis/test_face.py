"""MediaPipe Face Mesh adapter on real photos: landmarks, head pose and gaze sign conventions.

Known answers come from camera geometry. Warping a photo by the homography K R K^-1 shows the
scene as a pinhole camera (K: focal = image width, centre in the middle, as head_pose_deg
assumes) rotated by R would see it, so the measured head rotation changes by exactly R; an
in-plane rotation about the image centre is a camera roll; a mirror flips yaw and roll.
Tolerance: 3 degrees. Face Mesh landmarks move by 1-2 px between such warped images of a
~100 px face, which moves a 6-point PnP by 1-2 degrees (measured: at most 1.5 degrees off the
applied yaw or roll, 2 degrees between a mirrored pair's gaze yaws).
"""

from __future__ import annotations

import cv2
import mediapipe
import numpy as np
import pytest
import skimage.data

from analysis.face import FaceMeshModel, FaceObservation
from analysis.gaze import euler_deg_to_rotation
from analysis.synthetic_video import ASTRONAUT_FACE_BOX
from analysis.tracks import N_FACE_LANDMARKS

SIZE = 512
K = np.array([[SIZE, 0.0, SIZE / 2], [0.0, SIZE, SIZE / 2], [0.0, 0.0, 1.0]])
GREY = (128, 128, 128)
TOLERANCE_DEG = 3.0


@pytest.fixture(scope="module")
def model() -> FaceMeshModel:
    with FaceMeshModel(max_faces=2, video_mode=False) as face_model:
        yield face_model


@pytest.fixture(scope="module")
def centred() -> np.ndarray:
    """The astronaut photo shifted so that her face is at the image centre (on the optical
    axis, where a rotation about the centre is a pure camera roll)."""
    photo = skimage.data.astronaut()
    x, y, w, h = ASTRONAUT_FACE_BOX
    cx, cy = (x + w / 2) * photo.shape[1], (y + h / 2) * photo.shape[0]
    shift = np.float32([[1, 0, SIZE / 2 - cx], [0, 1, SIZE / 2 - cy]])
    return cv2.warpAffine(photo, shift, (SIZE, SIZE), borderValue=GREY)


def _camera_rotated(image: np.ndarray, yaw_pitch_roll_deg: tuple[float, float, float]) -> np.ndarray:
    homography = K @ euler_deg_to_rotation(np.array(yaw_pitch_roll_deg)) @ np.linalg.inv(K)
    return cv2.warpPerspective(image, homography, (SIZE, SIZE), borderValue=GREY)


def _one_face(model: FaceMeshModel, image: np.ndarray) -> FaceObservation:
    faces = model.process(image)
    assert len(faces) == 1
    return faces[0]


def test_it_finds_478_landmarks_on_the_astronauts_face(model: FaceMeshModel) -> None:
    photo = skimage.data.astronaut()
    face = _one_face(model, photo)
    assert face.landmarks_xy.shape == (N_FACE_LANDMARKS, 2)
    assert face.landmarks_xy.dtype == np.float32
    # Every landmark inside the image, and the box centre inside the known face box.
    assert np.all((face.landmarks_xy >= 0) & (face.landmarks_xy < SIZE))
    x, y, w, h = face.bbox_xywh
    fx, fy, fw, fh = np.array(ASTRONAUT_FACE_BOX) * SIZE
    assert fx < x + w / 2 < fx + fw
    assert fy < y + h / 2 < fy + fh
    assert face.confidence == 1.0
    assert face.head_pose_deg.shape == (3,)
    assert face.gaze_deg.shape == (2,)
    assert np.all(np.isfinite(face.head_pose_deg)) and np.all(np.isfinite(face.gaze_deg))
    # She faces the camera: yaw and roll within 10 degrees.
    assert abs(face.head_pose_deg[0]) < 10 and abs(face.head_pose_deg[2]) < 10


def test_the_mesh_depth_puts_the_nose_tip_nearer_than_the_eye_corners(model: FaceMeshModel) -> None:
    # The mesh's depth (px, smaller is nearer) is what removes head rotation in 3-D: on a face
    # looking at the camera the nose tip (1) stands out by a fraction of the inter-ocular
    # distance, and the two outer eye corners (33, 263) lie at nearly the same depth.
    face = _one_face(model, skimage.data.astronaut())
    assert face.landmarks_z.shape == (N_FACE_LANDMARKS,)
    iod = float(np.linalg.norm(face.landmarks_xy[263] - face.landmarks_xy[33]))
    corners = face.landmarks_z[[33, 263]]
    assert 0.2 * iod < corners.mean() - face.landmarks_z[1] < 1.5 * iod
    assert abs(corners[0] - corners[1]) < 0.2 * iod


def test_a_blank_image_has_no_face(model: FaceMeshModel) -> None:
    assert model.process(np.full((240, 320, 3), 128, dtype=np.uint8)) == []


def test_it_rejects_a_frame_that_is_not_rgb_uint8(model: FaceMeshModel) -> None:
    with pytest.raises(ValueError, match="uint8 RGB"):
        model.process(np.zeros((64, 64), dtype=np.uint8))


def test_it_reports_name_and_version() -> None:
    assert FaceMeshModel.name == "mediapipe-face-mesh-iris"
    assert FaceMeshModel.version == mediapipe.__version__ == "0.10.14"


@pytest.mark.parametrize("turn_deg", [15.0, -15.0])
def test_a_head_turn_changes_yaw_by_the_turn(
    model: FaceMeshModel, centred: np.ndarray, turn_deg: float
) -> None:
    before = _one_face(model, centred)
    after = _one_face(model, _camera_rotated(centred, (turn_deg, 0.0, 0.0)))
    assert after.head_pose_deg[0] - before.head_pose_deg[0] == pytest.approx(turn_deg, abs=TOLERANCE_DEG)
    # Pitch is the least constrained angle of a 6-point PnP (it trades off against depth), and
    # a turn moves it by up to ~4 degrees on this photo: a looser bound.
    assert after.head_pose_deg[1] == pytest.approx(before.head_pose_deg[1], abs=2 * TOLERANCE_DEG)
    # The eyes keep their place in the head, so gaze turns with it.
    assert after.gaze_deg[0] - before.gaze_deg[0] == pytest.approx(turn_deg, abs=TOLERANCE_DEG)


def test_a_mirror_flips_the_sign_of_head_yaw_and_gaze_yaw(model: FaceMeshModel, centred: np.ndarray) -> None:
    turned = _camera_rotated(centred, (15.0, 0.0, 0.0))
    face = _one_face(model, turned)
    mirrored = _one_face(model, np.ascontiguousarray(turned[:, ::-1]))
    assert face.head_pose_deg[0] > 10.0
    assert mirrored.head_pose_deg[0] == pytest.approx(-face.head_pose_deg[0], abs=TOLERANCE_DEG)
    assert face.gaze_deg[0] > 10.0
    assert mirrored.gaze_deg[0] == pytest.approx(-face.gaze_deg[0], abs=TOLERANCE_DEG)


def test_looking_up_is_positive_pitch(model: FaceMeshModel, centred: np.ndarray) -> None:
    before = _one_face(model, centred)
    after = _one_face(model, _camera_rotated(centred, (0.0, 10.0, 0.0)))
    # Pitch is the least constrained angle of the 6-point PnP on this smiling face (raised mouth
    # corners, 6 px reprojection error): measured +6.7 instead of +10, hence twice the tolerance.
    assert after.head_pose_deg[1] - before.head_pose_deg[1] == pytest.approx(10.0, abs=2 * TOLERANCE_DEG)


@pytest.mark.parametrize("angle_deg", [15.0, -15.0])
def test_an_in_plane_rotation_is_a_roll(model: FaceMeshModel, centred: np.ndarray, angle_deg: float) -> None:
    # cv2's positive angle turns the image counter-clockwise on screen: positive roll.
    rotation = cv2.getRotationMatrix2D((SIZE / 2, SIZE / 2), angle_deg, 1.0)
    rotated = cv2.warpAffine(centred, rotation, (SIZE, SIZE), borderValue=GREY)
    before, after = _one_face(model, centred), _one_face(model, rotated)
    assert after.head_pose_deg[2] - before.head_pose_deg[2] == pytest.approx(angle_deg, abs=TOLERANCE_DEG)


def test_video_mode_tracks_the_face_over_frames(centred: np.ndarray) -> None:
    with FaceMeshModel(max_faces=1, video_mode=True) as video_model:
        boxes = [_one_face(video_model, np.roll(centred, 4 * i, axis=1)).bbox_xywh for i in range(3)]
    # The face moves 4 px per frame to the right.
    np.testing.assert_allclose(np.diff([b[0] for b in boxes]), [4.0, 4.0], atol=1.5)

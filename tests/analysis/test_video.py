"""Video probing and decoding on generated videos with known timestamps and content."""

from __future__ import annotations

import math
from pathlib import Path

import av
import numpy as np
import pytest

from analysis import synthetic_video
from analysis.errors import (
    AnalysisError,
    CorruptVideoError,
    NotAVideoError,
    NoVideoStreamError,
    TruncatedVideoError,
    VideoError,
)
from analysis.video import _luma, iter_frames, probe, split_segments


def test_probe_reports_the_generated_video(person_video: Path) -> None:
    info = probe(person_video)
    assert (info.width, info.height) == (640, 480)
    assert info.fps == pytest.approx(25.0)
    # 150 frames at 25 fps; the container may round the last frame's duration.
    assert info.duration_s == pytest.approx(6.0, abs=0.05)
    assert info.n_frames_estimate == 150
    assert info.rotation_deg == 0
    assert info.codec in ("h264", "mpeg4")


def test_frames_are_taken_every_tick_at_or_after_it(person_video: Path) -> None:
    frames = list(iter_frames(person_video, target_fps=10.0))
    times = np.array([f.time_s for f in frames])
    # 6 s at 10 fps: one frame per 0.1 s tick; at 25 fps the first frame at/after tick k is
    # at most one source frame period (0.04 s) late.
    assert len(frames) == 60
    ticks = np.arange(60) / 10.0
    assert np.all(times >= ticks - 1e-9)
    assert np.all(times - ticks < 0.04 + 1e-9)
    assert [f.index for f in frames] == [round(t * 25) for t in times]
    assert frames[0].image_rgb.shape == (480, 640, 3)
    assert frames[0].image_rgb.dtype == np.uint8


def test_variable_frame_rate_uses_the_timestamps(tmp_path: Path) -> None:
    path, pts_s = synthetic_video.make_vfr_video(tmp_path / "vfr.mp4", duration_s=4.0)
    frames = list(iter_frames(path, target_fps=10.0))
    got = np.array([f.time_s for f in frames])
    # Reference: for each tick, the first pts at or after it, each frame at most once.
    expected, next_tick = [], 0
    for t in pts_s:
        if t >= next_tick / 10.0 - 1e-9:
            expected.append(t)
            next_tick = math.floor(t * 10.0 + 1e-9) + 1
    np.testing.assert_allclose(got, expected, atol=1e-3)  # pts are stored in ms
    # The gray level encodes the source frame number: the right pictures were decoded.
    source = np.searchsorted(pts_s, got - 5e-4)
    assert [int(f.image_rgb[10, 10, 0]) for f in frames] == pytest.approx(
        list((source * 2) % 256), abs=3
    )  # H.264 rounding of a flat gray


def test_segments_reproduce_one_whole_pass(tmp_path: Path) -> None:
    path, _ = synthetic_video.make_vfr_video(tmp_path / "vfr.mp4", duration_s=4.0)
    whole = [(f.time_s, int(f.image_rgb[5, 5, 0])) for f in iter_frames(path, 10.0)]
    segments = split_segments(probe(path).duration_s, 10.0, 3)
    assert len(segments) == 3
    assert segments[-1][1] is None
    parts = [
        (f.time_s, int(f.image_rgb[5, 5, 0]))
        for start_s, end_s in segments
        for f in iter_frames(path, 10.0, start_s=start_s, end_s=end_s)
    ]
    assert parts == whole


def test_rotation_metadata_gives_upright_frames(tmp_path: Path) -> None:
    upright = synthetic_video.make_person_video(tmp_path / "upright.mp4", duration_s=1.0, size=(320, 240))
    rotated = synthetic_video.make_person_video(
        tmp_path / "rotated.mp4", duration_s=1.0, size=(320, 240), rotation_deg=90
    )
    info = probe(rotated)
    assert info.rotation_deg == 90
    assert (info.width, info.height) == (320, 240)
    a = next(iter_frames(upright)).image_rgb
    b = next(iter_frames(rotated)).image_rgb
    assert b.shape == a.shape == (240, 320, 3)
    # Same picture once rotated back (H.264 loses a little: mean absolute error of a few levels).
    assert np.abs(a.astype(int) - b.astype(int)).mean() < 3.0


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("empty", NotAVideoError),
        ("text", NotAVideoError),
        ("image", NotAVideoError),
        ("truncated", TruncatedVideoError),
        ("audio_only", NoVideoStreamError),
        ("zero_frames", NoVideoStreamError),
        ("corrupt", CorruptVideoError),
    ],
)
def test_bad_files_raise_a_specific_readable_error(
    corrupt_files: dict[str, Path], kind: str, error: type[VideoError]
) -> None:
    path = corrupt_files[kind]
    with pytest.raises(error) as probed:
        probe(path)
    message = str(probed.value)
    assert path.name in message
    assert message.endswith(".")
    assert len(message.split(". ")) >= 2  # what happened, then what to do
    assert isinstance(probed.value, AnalysisError)
    with pytest.raises(error):
        list(iter_frames(path))


def test_a_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(NotAVideoError, match="does not exist"):
        probe(tmp_path / "nowhere.mp4")


@pytest.mark.parametrize(
    "pixel_format", ["yuv420p", "yuvj420p", "yuv422p", "yuv444p", "nv12", "nv21", "rgb24"]
)
@pytest.mark.parametrize("full_range", [False, True])
def test_the_gray_picture_is_swscales_gray_conversion(pixel_format: str, full_range: bool) -> None:
    """Gray read from the luma plane (analysis.video._luma) gives swscale's pixels exactly, in
    limited and full range and for a width whose rows are padded (638 px)."""
    rgb = np.random.default_rng(3).integers(0, 256, size=(120, 638, 3), dtype=np.uint8)
    rgb[:, :40] = 0  # the darkest and brightest levels, where limited range clips
    rgb[:, 40:80] = 255
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format=pixel_format)
    if full_range:
        frame.color_range = 2  # AVCOL_RANGE_JPEG
    np.testing.assert_array_equal(_luma(frame), frame.to_ndarray(format="gray"))

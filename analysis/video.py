"""Video probing and lazy, rotation-corrected frame decoding at a target analysis rate (PyAV).

Frames are chosen from presentation timestamps (pts), not by counting, so that variable frame
rate recordings (phones, screen recorders) are analysed at the requested rate: for each target
tick k / target_fps the first frame whose time is at or after the tick is kept, and a frame is
never kept twice. Decoding is a generator: memory stays flat whatever the video's length.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from analysis.errors import (
    CorruptVideoError,
    NotAVideoError,
    NoVideoStreamError,
    TruncatedVideoError,
    VideoError,
)

# Container formats that hold a single picture, not a video.
_IMAGE_FORMATS = ("image2", "png_pipe", "jpeg_pipe", "bmp_pipe", "gif", "webp_pipe", "tiff_pipe")
# Decoding stops with CorruptVideoError after this many packets in a row fail to decode
# (isolated damaged packets are skipped, as players do).
_MAX_CONSECUTIVE_DECODE_ERRORS = 25
# 8-bit pixel formats whose first plane is the luma (Y) plane, and swscale's stretch of
# limited-range luma to gray (its gray conversion; AVCOL_RANGE_JPEG marks full range).
_LUMA_FIRST_FORMATS = ("yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12", "nv21")
_FULL_RANGE = 2
_LIMITED_TO_FULL = np.clip(np.round((np.arange(256) - 16) * 255 / 219), 0, 255).astype(np.uint8)
# Tolerance on tick comparisons: pts are rationals, ticks are floats.
_TICK_EPS_S = 1e-6


@dataclass(frozen=True)
class VideoInfo:
    """What probe() learns about a video.

    width, height are those of the upright frames (after rotation), in px. rotation_deg is the
    counter-clockwise rotation (0, 90, 180 or 270) applied to the coded pictures to show them
    upright, read from the display matrix. fps is the stream's average frame rate.
    """

    duration_s: float
    fps: float
    width: int
    height: int
    codec: str
    rotation_deg: int
    n_frames_estimate: int


class Frame:
    """One analysed frame.

    index is the source frame number on the stream's nominal frame-rate grid,
    round((time_s - start) * fps): exact for constant frame rate, an estimate for variable
    frame rate (decoding may start at a seek point, where counting is impossible).
    time_s is the presentation time in seconds, from the pts. image_rgb (uint8 of shape
    (height, width, 3), upright) and image_gray (uint8 (height, width), the luma plane, upright)
    are converted from the decoded picture when first read, so a frame that only a cheap
    motion measure looks at never pays the colour conversion; the gray picture is read from the
    luma plane (_luma).
    """

    def __init__(self, index: int, time_s: float, picture: av.VideoFrame) -> None:
        self.index = index
        self.time_s = time_s
        self._picture = picture

    @functools.cached_property
    def image_rgb(self) -> np.ndarray:
        return _upright(self._picture, "rgb24")

    @functools.cached_property
    def image_gray(self) -> np.ndarray:
        return _rotated(_luma(self._picture), self._picture)


def _open(path: Path) -> av.container.InputContainer:
    if not path.is_file():
        raise NotAVideoError(f"The file {path} does not exist. Check the path and try again.")
    if path.stat().st_size == 0:
        raise NotAVideoError(f"The file {path.name} is empty (0 bytes). Upload the session recording again.")
    try:
        container = av.open(str(path), mode="r")
    except av.error.FFmpegError as error:
        if _looks_truncated_mp4(path):
            raise TruncatedVideoError(
                f"The video {path.name} is incomplete: the file ends before the end of its "
                "data, as after an interrupted upload or copy. Upload the complete recording again."
            ) from error
        raise NotAVideoError(
            f"The file {path.name} is not a video that can be decoded ({error.strerror}). "
            "Check that you uploaded the session recording, not another document."
        ) from error
    if container.format.name in _IMAGE_FORMATS or container.format.name.endswith("_pipe"):
        container.close()
        raise NotAVideoError(
            f"The file {path.name} is a still image, not a video. Upload the video recording of the session."
        )
    if not container.streams.video:
        container.close()
        raise NoVideoStreamError(
            f"The file {path.name} contains no pictures (no video stream); it may be an audio "
            "recording. Upload the video recording of the session."
        )
    return container


def _looks_truncated_mp4(path: Path) -> bool:
    """True for an ISO media file (MP4/MOV) whose top-level boxes run past the end of the file."""
    size = path.stat().st_size
    with path.open("rb") as f:
        offset = 0
        first = True
        while offset + 8 <= size:
            f.seek(offset)
            header = f.read(16)
            box_size = int.from_bytes(header[:4], "big")
            kind = header[4:8]
            if first and kind != b"ftyp":
                return False
            first = False
            if box_size == 1:
                box_size = int.from_bytes(header[8:16], "big")
            if box_size < 8:
                return False
            if offset + box_size > size:
                return True
            offset += box_size
    return False


def _rotation_deg(frame: av.VideoFrame) -> int:
    """Counter-clockwise display rotation in {0, 90, 180, 270}."""
    return round(frame.rotation / 90.0) % 4 * 90


def _upright(frame: av.VideoFrame, pixel_format: str) -> np.ndarray:
    # One conversion thread: the analysis runs one worker process per core, and swscale's own
    # threads (one per core by default) then only wait for each other (3 to 6 times the
    # conversion's CPU time in wall time on the 2-core test machine, same pixels).
    return _rotated(frame.to_ndarray(format=pixel_format, threads=1), frame)


def _rotated(image: np.ndarray, frame: av.VideoFrame) -> np.ndarray:
    k = _rotation_deg(frame) // 90
    return np.ascontiguousarray(np.rot90(image, k)) if k else image


def _luma(frame: av.VideoFrame) -> np.ndarray:
    """The gray picture, read from the luma plane where the pixel format has one (8-bit YUV):
    limited-range luma (16 to 235) is stretched to 0 to 255 by a lookup table (OpenCV's: 40
    times NumPy's indexing), which gives the same pixels as swscale's gray conversion
    (tests/analysis/test_video.py) at a fraction of its cost. Other formats go through swscale."""
    if frame.format.name not in _LUMA_FIRST_FORMATS:
        return frame.to_ndarray(format="gray", threads=1)
    plane = frame.planes[0]
    luma = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)[:, : frame.width]
    if frame.format.name.startswith("yuvj") or frame.color_range == _FULL_RANGE:
        return luma.copy()
    # Imported here: the orchestrating process, which only probes videos, then never loads
    # OpenCV (27 MB); the worker processes have it already.
    import cv2  # noqa: PLC0415

    return cv2.LUT(luma, _LIMITED_TO_FULL)


def _decoded_frames(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream, name: str
) -> Iterator[av.VideoFrame]:
    """Decode packet by packet so that an isolated damaged packet is skipped, not fatal."""
    consecutive_errors = 0
    for packet in container.demux(stream):
        try:
            frames = packet.decode()
        except av.error.FFmpegError as error:
            consecutive_errors += 1
            if consecutive_errors >= _MAX_CONSECUTIVE_DECODE_ERRORS:
                raise CorruptVideoError(
                    f"The video {name} is damaged: its pictures cannot be decoded "
                    f"({error.strerror}). Export or copy the recording again from the camera."
                ) from error
            continue
        consecutive_errors = 0
        yield from frames


def probe(path: str | Path) -> VideoInfo:
    """Read a video's properties and decode its first picture (which checks that it really is a
    decodable video and gives the rotation).

    Raises
    ------
    NotAVideoError, NoVideoStreamError, TruncatedVideoError, CorruptVideoError
    """
    path = Path(path)
    container = _open(path)
    with container:
        stream = container.streams.video[0]
        # One decoder thread: frame threading holds the first picture back until every thread
        # has a frame, which doubled the time an upload waits for its check.
        stream.codec_context.thread_count = 1
        first = next(_decoded_frames(container, stream, path.name), None)
        if first is None:
            raise CorruptVideoError(
                f"The video {path.name} contains no picture that can be decoded. "
                "Export or copy the recording again from the camera."
            )
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = float(rate) if rate else math.nan
        if stream.duration is not None and stream.time_base is not None:
            duration_s = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration_s = container.duration / av.time_base
        else:
            duration_s = math.nan
        rotation = _rotation_deg(first)
        width, height = (first.width, first.height) if rotation in (0, 180) else (first.height, first.width)
        n_frames = stream.frames or (round(duration_s * fps) if math.isfinite(duration_s * fps) else 0)
        return VideoInfo(
            duration_s=duration_s,
            fps=fps,
            width=width,
            height=height,
            codec=stream.codec_context.name,
            rotation_deg=rotation,
            n_frames_estimate=int(n_frames),
        )


def iter_frames(
    path: str | Path,
    target_fps: float = 10.0,
    *,
    start_s: float = 0.0,
    end_s: float | None = None,
    threads: int = 2,
) -> Iterator[Frame]:
    """Yield upright RGB frames at about target_fps, lazily, from start_s (inclusive) to end_s
    (exclusive; None = the end).

    For each tick k / target_fps in [start_s, end_s) the first frame at or after the tick is
    kept; a frame is kept at most once, so a source slower than target_fps gives every frame.
    Splitting [0, duration) at tick boundaries into segments yields exactly the frames of one
    whole pass, which is what lets the pipeline process segments in parallel processes.

    Parameters
    ----------
    target_fps : analysis rate in frames per second.
    start_s : decoding seeks to the key frame before start_s, then skips to it.
    threads : decoder threads (FFmpeg slice/frame threading).

    Raises
    ------
    NotAVideoError, NoVideoStreamError, TruncatedVideoError, CorruptVideoError
    """
    if target_fps <= 0:
        raise ValueError(f"target_fps must be positive, not {target_fps}")
    path = Path(path)
    container = _open(path)
    with container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.codec_context.thread_count = threads
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        nominal_fps = float(rate) if rate else target_fps
        start_pts_s = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
        next_tick = math.ceil(start_s * target_fps - _TICK_EPS_S)
        if start_s > 0:
            container.seek(int((start_pts_s + start_s) / stream.time_base), stream=stream, backward=True)
        decoded_any = False
        for frame in _decoded_frames(container, stream, path.name):
            decoded_any = True
            if frame.pts is None:
                continue
            time_s = float(frame.pts * stream.time_base) - start_pts_s
            if end_s is not None and time_s >= end_s - _TICK_EPS_S:
                break
            if time_s < next_tick / target_fps - _TICK_EPS_S:
                continue
            next_tick = math.floor(time_s * target_fps + _TICK_EPS_S) + 1
            yield Frame(round(time_s * nominal_fps), time_s, frame)
        if not decoded_any and start_s == 0:
            raise CorruptVideoError(
                f"The video {path.name} contains no picture that can be decoded. "
                "Export or copy the recording again from the camera."
            )


@dataclass(frozen=True)
class VideoSegment:
    """One time segment [start_s, end_s) of a video at an analysis rate (end_s None: to the
    end): what one worker process decodes."""

    path: Path
    target_fps: float
    start_s: float
    end_s: float | None

    def frames(self) -> Iterator[Frame]:
        """The segment's frames, decoded on one thread: the worker processes, one per core,
        already fill the cores (a decoder thread more each made the 60 s benchmark session
        about 2 % slower)."""
        return iter_frames(self.path, self.target_fps, start_s=self.start_s, end_s=self.end_s, threads=1)


def analysis_ticks(duration_s: float, target_fps: float) -> int:
    """Number of target ticks in [0, duration_s): an upper bound of the analysed frames
    (1 when the container does not say how long it is)."""
    if not math.isfinite(duration_s):
        return 1
    return max(1, math.ceil(duration_s * target_fps - _TICK_EPS_S))


def split_segments(duration_s: float, target_fps: float, n: int) -> list[tuple[float, float | None]]:
    """Split [0, duration) into n time segments at tick boundaries; the last one is open-ended
    (None) so that frames past a slightly wrong container duration are not lost. A video of
    unknown duration is one segment."""
    if not math.isfinite(duration_s):
        return [(0.0, None)]
    ticks = analysis_ticks(duration_s, target_fps)
    n = max(1, min(n, ticks))
    bounds = [round(i * ticks / n) / target_fps for i in range(n + 1)]
    return [(bounds[i], bounds[i + 1] if i < n - 1 else None) for i in range(n)]


__all__ = [
    "Frame",
    "VideoError",
    "VideoInfo",
    "VideoSegment",
    "analysis_ticks",
    "iter_frames",
    "probe",
    "split_segments",
]

"""Files a clinic could upload by mistake, none of them a decodable video (the videos themselves
come from analysis.synthetic_video, shared with the demo site)."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
import skimage.data

from analysis.synthetic_video import make_person_video, video_codec


def _make_audio_only(path: Path, duration_s: float = 2.0) -> Path:
    """An AAC sine at 440 Hz in an MP4 container, with no video stream."""
    rate = 44100
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream("aac", rate=rate)
        stream.layout = "mono"
        n = int(duration_s * rate)
        samples = (0.3 * np.sin(2 * np.pi * 440 * np.arange(n) / rate)).astype(np.float32)
        chunk = 1024
        for start in range(0, n, chunk):
            block = samples[start : start + chunk].reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(block, format="flt", layout="mono")
            frame.sample_rate = rate
            frame.pts = start
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def _make_zero_frame_video(path: Path) -> Path:
    """An MP4 with a video stream declared but no frame in it."""
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(video_codec(), rate=25)
        stream.width, stream.height = 320, 240
        stream.pix_fmt = "yuv420p"
        container.start_encoding()
    return path


def make_corrupt_files(directory: str | Path) -> dict[str, Path]:
    """Files that a clinic could upload by mistake, none of them a decodable video.

    Returns {kind: path} with kinds: "empty" (0 bytes), "text" (a text file named .mp4),
    "truncated" (the first 40 % of a real MP4, like an interrupted copy), "audio_only" (an AAC
    sine in .mp4), "image" (a PNG named .mp4), "zero_frames" (an MP4 with a video stream and no
    frame), "corrupt" (a real MP4 whose coded picture data is overwritten with random bytes).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}

    files["empty"] = directory / "empty.mp4"
    files["empty"].write_bytes(b"")

    files["text"] = directory / "notes.mp4"
    files["text"].write_text("Session notes: the patient arrived at 10:00 and sat down.\n" * 20)

    real = make_person_video(directory / "real.mp4", duration_s=2.0, fps=25, size=(320, 240))
    data = real.read_bytes()
    files["truncated"] = directory / "truncated.mp4"
    files["truncated"].write_bytes(data[: int(len(data) * 0.4)])

    files["audio_only"] = _make_audio_only(directory / "audio_only.mp4")

    files["image"] = directory / "photo.mp4"
    ok, png = cv2.imencode(".png", cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR))
    assert ok
    files["image"].write_bytes(png.tobytes())

    files["zero_frames"] = _make_zero_frame_video(directory / "zero_frames.mp4")

    files["corrupt"] = directory / "corrupt.mp4"
    files["corrupt"].write_bytes(_scramble_mdat(data))
    real.unlink()
    return files


def _scramble_mdat(mp4: bytes) -> bytes:
    """Overwrite the payload of the MP4's mdat box (the coded pictures) with seeded random
    bytes, leaving the container structure intact."""
    out = bytearray(mp4)
    offset = 0
    while offset + 8 <= len(mp4):
        size = int.from_bytes(mp4[offset : offset + 4], "big")
        kind = mp4[offset + 4 : offset + 8]
        if kind == b"mdat":
            rng = np.random.default_rng(2)
            out[offset + 8 : offset + size] = rng.integers(0, 256, size - 8, dtype=np.uint8).tobytes()
            return bytes(out)
        if size < 8:
            break
        offset += size
    raise ValueError("no mdat box found in the MP4")

"""`python -m analysis` end to end, in a subprocess, as a person or a worker runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from analysis import synthetic_video
from analysis.results import METRIC_FAMILIES
from analysis.tracks import read_parquet

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "analysis", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    folder = tmp_path_factory.mktemp("cli")
    video = synthetic_video.make_person_video(
        folder / "rocking6.mp4", duration_s=6.0, motion="rock", motion_hz=1.0, amplitude_px=30
    )
    out = folder / "out"
    return _cli("run", video, "--out", out, "--fps", "10"), out


def test_run_writes_a_valid_report(cli_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    completed, out = cli_run
    assert completed.returncode == 0, completed.stderr
    assert "100%" in completed.stderr  # the tqdm progress bar reached the end
    report = json.loads((out / "report.json").read_text())
    assert set(report) >= {"video", "pipeline_version", "status", "models", "metrics", "samples", "events"}
    assert report["status"] == "ok"
    # The generated video has no audio track: a status that says so, and no speech segments.
    assert report["audio"] == {"status": "no_audio", "reason": "the recording has no audio track"}
    assert report["segments"] == []
    assert set(report["video"]) == {"duration_s", "fps", "width", "height", "codec", "rotation_deg"}
    assert report["video"]["width"] == 640 and report["video"]["fps"] == 25.0
    assert all(set(m) == {"name", "version"} and m["version"] for m in report["models"])
    assert set(report["metrics"]) >= set(METRIC_FAMILIES)
    for values in report["metrics"].values():
        for metric in values.values():
            assert set(metric) == {"value", "unit", "reason", "analysable_s"}
            assert metric["value"] is None or isinstance(metric["value"], float | int)
            # Not measurable is null with the reason, never a bare null.
            assert metric["value"] is not None or metric["reason"]
    for sample in report["samples"]:
        assert set(sample) == {"metric", "window_start_s", "window_end_s", "value", "unit"}
    for event in report["events"]:
        assert set(event) >= {
            "kind",
            "body_part",
            "start_s",
            "end_s",
            "frequency_hz",
            "confidence",
            "attributes",
        }
    assert any(e["kind"] == "body_rocking" for e in report["events"])


def test_run_writes_tracks_that_round_trip(cli_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, out = cli_run
    tracks = read_parquet(out / "tracks.parquet")
    patient = tracks.patient()
    assert len(patient) == 60
    assert (
        tracks.metadata["pipeline_version"]
        == json.loads((out / "report.json").read_text())["pipeline_version"]
    )
    assert np.isfinite(patient.pose_xy).all(axis=(1, 2)).mean() > 0.9
    assert patient.pose_xy.shape == (60, 33, 2) and patient.face_xy.shape == (60, 478, 2)


def test_a_bad_video_exits_2_with_one_sentence(tmp_path: Path) -> None:
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video\n")
    completed = _cli("run", bad, "--out", tmp_path / "out")
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    assert completed.stderr.strip().splitlines()[-1].startswith("error: The file notes.mp4 is not a video")
    assert not (tmp_path / "out").exists()


def test_probe_prints_json(tmp_path: Path) -> None:
    video = synthetic_video.make_person_video(
        tmp_path / "v.mp4", duration_s=1.0, size=(320, 240), rotation_deg=270
    )
    completed = _cli("probe", video)
    assert completed.returncode == 0, completed.stderr
    info = json.loads(completed.stdout)
    assert info["rotation_deg"] == 270
    assert (info["width"], info["height"]) == (320, 240)


def test_analysis_imports_nothing_from_the_platform() -> None:
    code = (
        "import analysis, analysis.pipeline, analysis.cli, sys; "
        "bad = sorted({m.split('.')[0] for m in sys.modules} & {'django', 'celery', 'workers'}); "
        "assert not bad, bad"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr

"""Command line: `python -m analysis run VIDEO --out DIR` and `python -m analysis probe VIDEO`.

run writes DIR/tracks.parquet (analysis.tracks.write_parquet) and DIR/report.json; a file that
is not a decodable video ends with exit code 2 and one sentence on stderr, no traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from analysis import PIPELINE_VERSION
from analysis.errors import AnalysisError
from analysis.runner import START_JOB, WorkerPool
from analysis.tracks import write_parquet
from analysis.video import probe

EXIT_BAD_INPUT = 2
_REPORT_VIDEO_KEYS = ("duration_s", "fps", "width", "height", "codec", "rotation_deg")
_POINT = re.compile(r"^\s*(-?[\d.]+)\s*,\s*(-?[\d.]+)\s*@\s*([\d.]+)\s*$")


def _patient_point(text: str) -> tuple[float, float, float]:
    match = _POINT.match(text)
    if not match:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a point: write X,Y@T with X, Y in pixels and T in seconds, e.g. 320,200@5"
        )
    x_px, y_px, time_s = (float(v) for v in match.groups())
    return x_px, y_px, time_s


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="analyse a video into tracks.parquet and report.json")
    run.add_argument("video", type=Path)
    run.add_argument("--out", type=Path, required=True, help="output folder (created if missing)")
    run.add_argument("--fps", type=float, default=10.0, help="analysis rate in frames per second")
    run.add_argument("--device", choices=("cpu", "cuda"), default=None, help="facial-expression model device")
    run.add_argument("--workers", type=int, default=2, help="worker processes (1: no subprocess)")
    run.add_argument(
        "--patient-point",
        type=_patient_point,
        default=None,
        metavar="X,Y@T",
        help="a point on the patient (px) at time T (s), overriding the automatic choice",
    )
    run.add_argument(
        "--full-rate",
        action="store_true",
        help="every model on every analysed frame (the reference; default: the body models where "
        "the patient's body moved and every 10th frame of a still stretch)",
    )
    run.add_argument("--timings", action="store_true", help="print each stage's wall time (s) on stderr")
    probe = commands.add_parser("probe", help="print a video's properties as JSON")
    probe.add_argument("video", type=Path)
    return parser


def _jsonable(value: Any) -> Any:
    """Plain JSON types: NumPy scalars and arrays become numbers and lists, NaN and infinities
    become null (JSON has no NaN)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "tolist"):
        return _jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def report_json(result: Any) -> dict[str, Any]:
    """report.json's content for an AnalysisResult."""
    # The metrics import SciPy (about a second): `run` starts its workers first (_run).
    from analysis.metrics.eye_contact import contact_episodes  # noqa: PLC0415

    video = dataclasses.asdict(result.video)
    return _jsonable(
        {
            "video": {key: video[key] for key in _REPORT_VIDEO_KEYS},
            "pipeline_version": PIPELINE_VERSION,
            "status": result.status,
            "message": result.message,
            "models": [{"name": m.name, "version": m.version} for m in result.models],
            **result.report.to_json(),
            "audio": {"status": result.speech.status, "reason": result.speech.reason or None},
            "segments": [segment.as_report() for segment in result.speech.segments]
            + [episode.as_report() for episode in contact_episodes(result.tracks)],
        }
    )


def _analysed(args: argparse.Namespace, pool: WorkerPool | None) -> Any:
    """analyse_video with a progress bar on stderr."""
    from analysis.pipeline import analyse_video  # noqa: PLC0415 - imported once the workers start

    with tqdm(
        total=100, unit="%", file=sys.stderr, desc="analysing", bar_format="{l_bar}{bar}| {elapsed}"
    ) as bar:

        def progress(stage: str, fraction: float) -> None:
            bar.set_description(stage)
            bar.update(round(fraction * 100) - bar.n)

        return analyse_video(
            args.video,
            target_fps=args.fps,
            device=args.device,
            progress=progress,
            patient_point=args.patient_point,
            workers=args.workers,
            pool=pool,
            close_pool=True,
            full_rate=args.full_rate,
        )


def _run(args: argparse.Namespace) -> int:
    probe(args.video)  # a bad file fails here, before the models are loaded
    # The worker processes start, and load MediaPipe and onnxruntime, while this process imports the
    # pipeline and its metrics (SciPy: about a second of CPU); `probe` and --help load neither.
    pool = WorkerPool(args.workers) if args.workers > 1 else None
    try:
        if pool is not None:
            pool.start_warm_up(args.device, START_JOB)
        result = _analysed(args, pool)
    finally:
        if pool is not None:
            pool.close()
    args.out.mkdir(parents=True, exist_ok=True)
    write_parquet(result.tracks, args.out / "tracks.parquet")
    (args.out / "report.json").write_text(json.dumps(report_json(result), indent=2, allow_nan=False))
    if result.message:
        print(result.message, file=sys.stderr)
    if args.timings:
        print(f"timings: {json.dumps({k: round(v, 2) for k, v in result.stage_s.items()})}", file=sys.stderr)
    return 0


def _probe(args: argparse.Namespace) -> int:
    print(json.dumps(dataclasses.asdict(probe(args.video)), indent=2))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        return _run(args) if args.command == "run" else _probe(args)
    except AnalysisError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT

"""Analysis speed against bare pose, in one run (a script: pytest does not collect tests/bench).

    python tests/bench/analysis_throughput.py [--duration 60] [--workers 2] [--no-reference]

Generates a 640 x 480, 25 fps session of the astronaut photo: still for the first third, rocking
sideways at 1 Hz in the second third, still again in the last (the issue's test session). Then:

- W: wall time of the command line `python -m analysis run` (process start, decoding, every
  default model, metrics, writing), with the memory of its whole process tree sampled every
  --memory-every-s (peak RSS and, with --curve, the curve over time);
- B: the bare MediaPipe Pose model (full, video mode) alone in this process on the same
  analysed frames, decoded beforehand. B is timed half before W and half after it, so that a
  change of the machine's load during the run weighs on both sides;
- W / B, the real-time factor, the pipeline's own stage times;
- unless --no-reference: the same command with --motion-adaptive (the models only where the
  picture changed) and the largest difference per metric family between its report and the
  default's (every model on every analysed frame), against the tolerances below.

On a shared machine only the ratios mean something: the load average is printed before and after.
For --duration above 300 s, B and the reference are skipped (memory mode: the curve is printed).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import mediapipe as mp  # noqa: E402
import numpy as np  # noqa: E402

from analysis.synthetic_video import make_person_video  # noqa: E402
from analysis.video import iter_frames, probe  # noqa: E402

TARGET_FPS = 10.0
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
# Largest difference allowed between the motion-adaptive run and the default (full-rate) run,
# per unit: shares differ by at most 2 points of the session (a still segment's frames are
# interpolated from frames 0.5 s apart, so a share can move by the few frames where a model
# flickers between found and not found); rates per minute by 0.5 (one event more or less in a
# minute); other quantities by 10 % of the full-rate value, or 0.02 of the unit when smaller.
SHARE_TOLERANCE = 0.02
PER_MIN_TOLERANCE = 0.5
RELATIVE_TOLERANCE = 0.10


def _tree_rss_mib(root_pid: int) -> float:
    """Resident memory of a process and all its descendants (MiB), from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            pages = int(Path(f"/proc/{entry}/statm").read_text().split()[1])
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        parents[int(entry)] = int(fields[1])
        rss[int(entry)] = pages
    tree, frontier = {root_pid}, [root_pid]
    while frontier:
        pid = frontier.pop()
        children = [p for p, parent in parents.items() if parent == pid and p not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(rss.get(p, 0) for p in tree) * PAGE_BYTES / 2**20


def _run_cli(video: Path, out: Path, extra: list[str], every_s: float) -> dict:
    """Run the command line; returns wall time, memory curve [(s, MiB)] and its stderr."""
    command = [sys.executable, "-m", "analysis", "run", str(video), "--out", str(out), *extra]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "platform")])}
    curve: list[tuple[float, float]] = []
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(every_s):
            curve.append((time.perf_counter() - start, _tree_rss_mib(process.pid)))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    wall_s = time.perf_counter() - start
    done.set()
    sampler.join()
    text = stderr.decode(errors="replace")
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{text[-3000:]}")
    return {"wall_s": wall_s, "curve": curve, "stderr": text}


def _stage_times(stderr: str) -> dict[str, float]:
    for line in stderr.splitlines():
        if line.startswith("timings: "):
            return json.loads(line.removeprefix("timings: "))
    return {}


def _cli_supports(option: str) -> bool:
    help_text = subprocess.run(
        [sys.executable, "-m", "analysis", "run", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return option in help_text


def _bare_pose_s(frames: list[np.ndarray], pose: object) -> float:
    start = time.perf_counter()
    for image in frames:
        pose.process(image)
    return time.perf_counter() - start


def _metric_differences(default: dict, reference: dict) -> dict[str, tuple[float, str, bool]]:
    """Per family: (largest difference, metric key, within tolerance) between two report.json."""
    out: dict[str, tuple[float, str, bool]] = {}
    for family, values in reference["metrics"].items():
        worst = (0.0, "", True)
        for key, ref in values.items():
            got = default["metrics"].get(family, {}).get(key, {}).get("value")
            want, unit = ref["value"], ref["unit"]
            if want is None or got is None:
                if (want is None) != (got is None):
                    worst = (math.inf, f"{key} (null in one run)", False)
                continue
            diff = abs(got - want)
            if "share" in key or unit in ("share", "fraction", "ratio"):
                tolerance = SHARE_TOLERANCE
            elif "per_min" in key or unit.endswith("/min"):
                tolerance = PER_MIN_TOLERANCE
            else:
                tolerance = max(RELATIVE_TOLERANCE * abs(want), 0.02)
            ok = diff <= tolerance
            if (not ok and worst[2]) or (ok == worst[2] and diff > worst[0]):
                worst = (diff, key, ok)
        out[family] = worst
    return out


def _events(report: dict) -> dict[str, int]:
    counts: dict[str, int] = {}
    for event in report["events"]:
        counts[event["kind"]] = counts.get(event["kind"], 0) + 1
    return counts


def _print_curve(curve: list[tuple[float, float]], points: int = 12) -> None:
    if not curve:
        return
    step = max(1, len(curve) // points)
    print("memory curve (s: MiB, whole process tree):")
    print("  " + ", ".join(f"{t:.0f}: {m:.0f}" for t, m in [*curve[::step], curve[-1]]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="session length in seconds")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-reference", action="store_true", help="skip the motion-adaptive run")
    parser.add_argument("--curve", action="store_true", help="print the memory curve")
    parser.add_argument("--memory-every-s", type=float, default=0.5)
    args = parser.parse_args()
    memory_mode = args.duration > 300
    print(f"cpu cores: {os.cpu_count()}, load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as folder:
        video = Path(folder) / "session.mp4"
        start = time.perf_counter()
        third = args.duration / 3
        make_person_video(
            video,
            duration_s=args.duration,
            fps=25,
            size=(640, 480),
            motion="rock",
            motion_hz=1.0,
            amplitude_px=30,
            motion_start_s=third,
            motion_end_s=2 * third,
        )
        info = probe(video)
        print(
            f"video: {info.width}x{info.height} {info.fps:g} fps {info.duration_s:.1f} s {info.codec}, "
            f"rocking {third:.0f}-{2 * third:.0f} s (generated in {time.perf_counter() - start:.1f} s)"
        )
        extra = ["--workers", str(args.workers)]
        if _cli_supports("--timings"):
            extra.append("--timings")
        bare_s = 0.0
        frames: list[np.ndarray] = []
        pose = None
        if not memory_mode:
            frames = [f.image_rgb for f in iter_frames(video, TARGET_FPS)]
            pose = mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1)
            bare_s += _bare_pose_s(frames[: len(frames) // 2], pose)
        run = _run_cli(video, Path(folder) / "default", extra, args.memory_every_s)
        if pose is not None:
            bare_s += _bare_pose_s(frames[len(frames) // 2 :], pose)
            pose.close()
        wall_s = run["wall_s"]
        report = json.loads((Path(folder) / "default" / "report.json").read_text())
        print(
            f"W (python -m analysis run, workers={args.workers}): {wall_s:.1f} s; "
            f"real-time factor {info.duration_s / wall_s:.2f}x at {TARGET_FPS:g} fps"
        )
        stages = _stage_times(run["stderr"])
        if stages:
            print("stages (s): " + ", ".join(f"{k} {v:.1f}" for k, v in stages.items()))
        peak = max((m for _, m in run["curve"]), default=float("nan"))
        print(f"peak RSS of the analysis (all its processes): {peak:.0f} MiB")
        if args.curve or memory_mode:
            _print_curve(run["curve"])
        if not memory_mode:
            print(
                f"B (bare MediaPipe Pose full, video mode, {len(frames)} pre-decoded frames, 1 process): {bare_s:.1f} s"
            )
            print(f"W/B: {wall_s / bare_s:.2f}")
        if memory_mode or args.no_reference or not _cli_supports("--motion-adaptive"):
            print(f"events: {_events(report)}")
        else:
            sampled_run = _run_cli(
                video, Path(folder) / "sampled", [*extra, "--motion-adaptive"], args.memory_every_s
            )
            sampled = json.loads((Path(folder) / "sampled" / "report.json").read_text())
            print(
                f"motion-adaptive run: {sampled_run['wall_s']:.1f} s (its W/B {sampled_run['wall_s'] / bare_s:.2f}, "
                f"{sampled_run['wall_s'] / wall_s:.2f} of W); largest differences from the default run:"
            )
            for family, (diff, key, ok) in _metric_differences(sampled, report).items():
                print(
                    f"  {family}: largest difference {diff:.4g} ({key or '-'}) {'ok' if ok else 'OUT OF TOLERANCE'}"
                )
            print(f"  events default {_events(report)}, motion-adaptive {_events(sampled)}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()

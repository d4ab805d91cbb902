"""Start-up of a fresh analysis worker process and the expression network's time per crop
(not collected by pytest).

Run: nice .venv/bin/python -m tests.bench.worker_startup [--checkout DIR ...] [--rounds 3]

Each round starts, for each checkout (default: this one) in turn, a fresh Python process in that
checkout that imports analysis.patient_pass and builds the expression network as a worker job
does (`_emotion("cpu")`), and prints its CPU seconds and resident memory at that point; the same
process then times `predict_crops` on batches of 256 real face crops (the LFW faces of
skimage.data, resized to the network input), as the patient pass sends them. Alternating the
checkouts in one run lets their ratio mean something on a shared machine; the first checkout is
the baseline of the ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

BATCH = 256
REPEATS = 5

CHILD = f"""
import json, resource, sys, time

import analysis.patient_pass as patient_pass

classifier = patient_pass._emotion("cpu")
usage = resource.getrusage(resource.RUSAGE_SELF)
rss_kib = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS:"))
startup = {{"cpu_s": usage.ru_utime + usage.ru_stime, "rss_mib": rss_kib / 1024,
            "torch": "torch" in sys.modules}}

import cv2, numpy as np, skimage.data

size = classifier.input_size
faces = [cv2.resize(f, (size, size)) for f in skimage.data.lfw_subset()[:100].astype(np.float32)]
crops = np.stack([faces[i % len(faces)] for i in range({BATCH})])
classifier.predict_crops(crops)
times = []
for _ in range({REPEATS}):
    started = time.perf_counter()
    classifier.predict_crops(crops)
    times.append(time.perf_counter() - started)
print(json.dumps({{**startup, "ms_per_crop": sorted(times)[len(times) // 2] * 1000 / {BATCH}}}))
"""


def _measure(checkout: Path) -> dict[str, float]:
    python = checkout / ".venv" / "bin" / "python"
    done = subprocess.run(
        [str(python if python.exists() else sys.executable), "-c", CHILD],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkout", type=Path, action="append", help="repeatable; default: this one")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    checkouts = [c.resolve() for c in (args.checkout or [Path.cwd()])]
    runs: dict[Path, list[dict[str, float]]] = {c: [] for c in checkouts}
    for round_index in range(args.rounds):
        for checkout in checkouts:
            result = _measure(checkout)
            runs[checkout].append(result)
            print(f"round {round_index + 1}, {checkout}: {result}", flush=True)
    medians = {
        c: {key: statistics.median(r[key] for r in rows) for key in ("cpu_s", "rss_mib", "ms_per_crop")}
        for c, rows in runs.items()
    }
    base = medians[checkouts[0]]
    for checkout in checkouts:
        m = medians[checkout]
        print(
            f"{checkout}: torch imported {any(r['torch'] for r in runs[checkout])}; medians of "
            f"{args.rounds}: start-up {m['cpu_s']:.2f} CPU s (x{m['cpu_s'] / base['cpu_s']:.2f}), "
            f"RSS {m['rss_mib']:.0f} MiB (x{m['rss_mib'] / base['rss_mib']:.2f}), "
            f"predict_crops {m['ms_per_crop']:.3f} ms per crop in batches of {BATCH} "
            f"(x{m['ms_per_crop'] / base['ms_per_crop']:.2f})"
        )


if __name__ == "__main__":
    main()

"""Benchmark: a 1,000,000-row study export in every format (long CSV, Parquet, SPSS, Stata;
wide CSV; events), printing rows per second and peak memory, against a baseline that only
reads the same rows from PostgreSQL, and each format's time as a ratio of the CSV's.

    python tests/bench/export_stream.py [--rows 1000000] [--reuse]

Each format runs in its own process, so that its peak memory (the process's max RSS, beside
its RSS before the export, the Python heap's peak and Arrow's pool peak) is its own. Targets: CSV and Parquet >= 30k rows/s
with flat memory; Stata and SPSS within 3x the CSV time (their writer takes a whole table).
Uses a scratch PostgreSQL database (bench_export on 127.0.0.1, dropped and recreated).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
DATABASE = "bench_export"
os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def recreate_database() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        connection.execute(f"CREATE DATABASE {DATABASE}")


def load_rows(n_rows: int):
    """A study with 20 consenting patients, 50 sessions each, and n_rows metric samples (COPY)."""
    from django.db import connection
    from django.utils import timezone

    from patients.models import StudyEnrolment
    from results.models import AnalysisJob
    from tests.factories import make_patient, make_session, make_world

    world = make_world()
    statistician = world.statistician
    patients = [world.patient]
    for i in range(19):
        patient = make_patient(
            world.memory_clinic, name=f"Bench {i}", hospital_number=f"B-{i}", by=world.clinician
        )
        StudyEnrolment.objects.create(study=world.study, patient=patient)
        patients.append(patient)
    sessions = []
    for patient in patients:
        for k in range(50):
            session = make_session(patient, by=world.clinician, on=date(2025, 1, 1) + timedelta(days=7 * k))
            recording = session.recordings.create(
                original_filename="b.mp4",
                sha256=f"{session.pk:064x}",
                size_bytes=1,
                codec="h264",
                fps=25,
                duration_s=600,
                width=640,
                height=480,
                uploaded_by=world.clinician,
            )
            job = AnalysisJob.objects.create(
                recording=recording,
                status="succeeded",
                pipeline_version="1.0.0",
                model_versions=[{"name": "mediapipe-pose-full", "version": "0.10.14"}],
                finished_at=timezone.now(),
            )
            sessions.append((patient.pk, session.pk, session.session_date, job.pk))
    metrics = [
        "apathy.neutral_share",
        "apathy.emotion_entropy",
        "stereotypy.agitation_index",
        "attention.gaze_on_target_share",
    ]
    per_session = n_rows // len(sessions)
    columns = "job_id, patient_id, session_id, session_date, metric, value, unit, window_start_s, window_end_s, is_session_level, pipeline_version, reason"
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY results_metricsample ({columns}) FROM STDIN") as copy,
    ):
        written = 0
        for patient_id, session_id, session_date, job_id in sessions:
            for j in range(per_session):
                metric = metrics[j % len(metrics)]
                window = j // len(metrics)
                copy.write_row(
                    (
                        job_id,
                        patient_id,
                        session_id,
                        session_date,
                        metric,
                        0.5,
                        "share",
                        10.0 * window,
                        10.0 * window + 10,
                        window == 0,  # one session-level row per metric and session (the wide table)
                        "1.0.0",
                        "",
                    )
                )
                written += 1
    # One behaviour event per ten metric samples, for the events export.
    event_columns = "job_id, patient_id, session_id, kind, body_part, start_s, end_s, frequency_hz, confidence, attributes, pipeline_version"
    per_session_events = max(per_session // 10, 1)
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY results_behaviourevent ({event_columns}) FROM STDIN") as copy,
    ):
        for patient_id, session_id, _, job_id in sessions:
            for j in range(per_session_events):
                copy.write_row(
                    (
                        job_id,
                        patient_id,
                        session_id,
                        "body_rocking",
                        "torso",
                        2.0 * j,
                        2.0 * j + 1.5,
                        1.0,
                        0.9,
                        "{}",
                        "1.0.0",
                    )
                )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE results_metricsample")
        cursor.execute("ANALYZE results_behaviourevent")
    return world.study, statistician, written


FORMATS = {
    "csv": ("export", {"format": "csv"}),
    "parquet": ("export", {"format": "parquet"}),
    "sav": ("export", {"format": "sav"}),
    "dta": ("export", {"format": "dta"}),
    "wide-csv": ("export", {"format": "csv", "shape": "wide"}),
    "events-csv": ("events", {"format": "csv"}),
}


def _rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def measure(name: str) -> None:
    """Run one format's export in this process and print one line (called in a child)."""
    import resource

    import pyarrow as pa
    from django.test import Client

    from accounts.models import Study

    study = Study.objects.get()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(study.members.get())
    endpoint, params = FORMATS[name]
    rss_before = _rss_mib()
    tracemalloc.start()
    started = time.perf_counter()
    response = client.get(f"/api/v1/studies/{study.pk}/{endpoint}/", params)
    assert response.status_code == 200, response
    sink = Path(tempfile.gettempdir()) / f"bench-export-{name}"
    size = 0
    with sink.open("wb") as out:
        for chunk in response.streaming_content:
            out.write(chunk)
            size += len(chunk)
    elapsed = time.perf_counter() - started
    _, python_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rows = int(response["X-Export-Rows"])
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{name:>10}: {rows:>9,} rows {size / 2**20:7.1f} MiB {elapsed:6.1f} s {rows / elapsed:>9,.0f} rows/s  "
        f"RSS {rss_before:4.0f} MiB before, peak {maxrss:5.0f} MiB (Python heap {python_peak / 2**20:5.0f} MiB, "
        f"Arrow pool {pa.default_memory_pool().max_memory() / 2**20:5.0f} MiB)  [{elapsed:.3f}]",
        flush=True,
    )
    if name == "parquet":
        import pyarrow.parquet as pq

        assert pq.read_metadata(sink).num_rows == rows, "the Parquet file does not hold every row"
    sink.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep the data of an earlier run")
    parser.add_argument("--only", choices=sorted(FORMATS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.reuse:
        recreate_database()
    import django

    django.setup()
    if args.only:
        measure(args.only)
        return
    from django.core.management import call_command

    from accounts.models import Study

    if args.reuse and Study.objects.exists():
        print("reusing the data of an earlier run")
    else:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        _, _, n_rows = load_rows(args.rows)
        print(f"loaded {n_rows:,} metric samples in {time.perf_counter() - started:.1f} s")

    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM results_metricsample")
        read = 0
        while rows := cursor.fetchmany(5000):
            read += len(rows)
    baseline_s = time.perf_counter() - started
    print(f"  baseline: plain SELECT of {read:,} rows: {read / baseline_s:,.0f} rows/s")
    connection.close()
    seconds = {}
    for name in FORMATS:
        result = subprocess.run(
            [sys.executable, __file__, "--reuse", "--only", name], capture_output=True, text=True, check=False
        )
        line = next((x for x in result.stdout.splitlines() if x.strip().startswith(f"{name}:")), None)
        if line is None:
            print(f"{name:>10}: failed\n{result.stderr[-2000:]}")
            continue
        seconds[name] = float(line.rsplit("[", 1)[1].rstrip("]"))
        print(line.rsplit("  [", 1)[0])
    if "csv" in seconds:
        print("time as a multiple of the long CSV's (target: sav and dta <= 3x):")
        print("  " + ", ".join(f"{name} {value / seconds['csv']:.2f}x" for name, value in seconds.items()))


if __name__ == "__main__":
    main()

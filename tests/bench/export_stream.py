"""Benchmark: stream a 1,000,000-row study export (CSV and Parquet) and print rows per second
and peak memory, against a baseline that only reads the same rows from PostgreSQL.

    python tests/bench/export_stream.py [--rows 1000000]

Uses a scratch PostgreSQL database (bench_export on 127.0.0.1, dropped and recreated).
"""

import argparse
import os
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
        StudyEnrolment.objects.create(study=world.study, patient=patient, date_shift_days=-i)
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
    columns = "job_id, patient_id, session_id, session_date, metric, value, unit, window_start_s, window_end_s, is_session_level, pipeline_version"
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
                        False,
                        "1.0.0",
                    )
                )
                written += 1
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE results_metricsample")
    return world.study, statistician, written


def consume(response, sink: Path) -> tuple[int, float, int]:
    """Stream the response into a file: bytes written, seconds, peak traced memory in bytes."""
    tracemalloc.start()
    started = time.perf_counter()
    size = 0
    with sink.open("wb") as out:
        for chunk in response.streaming_content:
            data = chunk.encode() if isinstance(chunk, str) else chunk
            out.write(data)
            size += len(data)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return size, elapsed, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep the data of an earlier run")
    args = parser.parse_args()
    if not args.reuse:
        recreate_database()
    import django

    django.setup()
    from django.core.management import call_command

    from accounts.models import Study

    if args.reuse and Study.objects.exists():
        study = Study.objects.get()
        statistician = study.members.get()
        print("reusing the data of an earlier run")
    else:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        study, statistician, n_rows = load_rows(args.rows)
        print(f"loaded {n_rows:,} metric samples in {time.perf_counter() - started:.1f} s")

    from django.db import connection
    from django.test import Client

    tracemalloc.start()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM results_metricsample")
        read = 0
        while rows := cursor.fetchmany(5000):
            read += len(rows)
    baseline_s = time.perf_counter() - started
    _, baseline_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"baseline: plain SELECT of {read:,} rows: {read / baseline_s:,.0f} rows/s, peak {baseline_peak / 2**20:.1f} MiB"
    )

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(statistician)
    for file_format in ("csv", "parquet"):
        response = client.get(f"/api/v1/studies/{study.pk}/export/", {"format": file_format})
        assert response.status_code == 200, response.content[:200]
        rows = int(response["X-Export-Rows"])
        sink = Path(tempfile.gettempdir()) / f"bench-export.{file_format}"
        size, elapsed, peak = consume(response, sink)
        print(
            f"{file_format:>7}: {rows:,} rows, {size / 2**20:.1f} MiB in {elapsed:.1f} s = {rows / elapsed:,.0f} rows/s, "
            f"peak traced memory {peak / 2**20:.1f} MiB, {elapsed / baseline_s:.1f}x the plain SELECT"
        )
        if file_format == "parquet":
            import pyarrow.parquet as pq

            assert pq.read_metadata(sink).num_rows == rows, "the Parquet file does not hold every row"
        else:
            with sink.open() as written:
                assert sum(1 for _ in written) == rows + 1, "the CSV file does not hold every row"
    import resource

    print(f"process max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()

"""Benchmark: a 1,000,000-row study export in every format (long CSV, Parquet, SPSS, Stata;
wide CSV; events as CSV and Parquet; one session in ten reviewed by a clinician), printing rows per second and peak memory, against a baseline that only
reads the same rows from PostgreSQL, and each format's time as a ratio of the CSV's.

    python tests/bench/export_stream.py [--rows 1000000] [--reuse]

Each format runs in its own process, so that its peak memory is its own: the process's RSS
before the export, once a tenth of the file is out, at the end, its peak (max RSS) and Arrow's
pool peak. Each process first does what a serving process has already done (loads the URLconf,
the analysis library and the metric definitions: seconds, once per process, printed as warm-up),
so the time is the export's. Targets: CSV and Parquet >= 30k rows/s with flat memory; Stata
and SPSS within 3x the CSV time (their writer takes a whole table). Baselines from the same run
on the same rows (a cursor read, PostgreSQL's COPY, csv.writer) and the load average are
printed, since the machine may be shared. Uses a scratch PostgreSQL database (bench_export on
127.0.0.1, dropped and recreated).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
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
        "stereotypy.body_rocking.episodes_per_min",  # made of events: reviewed values apply
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
    review_sessions(sessions[::10], world.clinician)
    return world.study, statistician, written


def review_sessions(sessions, clinician) -> None:
    """A clinician reviewed one session in ten: the first event rejected, the second re-timed,
    one event added (the exports then read these sessions' events through results.reviewed)."""
    from results.models import BehaviourEvent, CodedEvent, EventReview

    reviews, coded = [], []
    for _, session_id, _, job_id in sessions:
        events = list(BehaviourEvent.objects.filter(job_id=job_id).order_by("start_s")[:2])
        reviews.append(EventReview(event=events[0], reviewer=clinician, decision="reject"))
        if len(events) > 1:
            start = events[1].start_s
            reviews.append(
                EventReview(
                    event=events[1],
                    reviewer=clinician,
                    decision="correct",
                    corrected_start_s=start + 0.2,
                    corrected_end_s=start + 1.0,
                )
            )
        coded.append(
            CodedEvent(
                session_id=session_id,
                job_id=job_id,
                label="body_rocking",
                start_s=1.0,
                end_s=2.0,
                coded_by=clinician,
            )
        )
    EventReview.objects.bulk_create(reviews)
    CodedEvent.objects.bulk_create(coded)


FORMATS = {
    "csv": ("export", {"format": "csv"}),
    "parquet": ("export", {"format": "parquet"}),
    "sav": ("export", {"format": "sav"}),
    "dta": ("export", {"format": "dta"}),
    "wide-csv": ("export", {"format": "csv", "shape": "wide"}),
    "events-csv": ("events", {"format": "csv"}),
    "events-parquet": ("events", {"format": "parquet"}),
}


def _rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def warm_up(client, study) -> float:
    """What a serving process has done before any export: the URLconf (and with it the analysis
    library and SciPy) imported, the metric definitions read. Returns its seconds."""
    from api.exports.metric_catalogue import metric_catalogue, window_length_s

    started = time.perf_counter()
    assert client.get(f"/api/v1/studies/{study.pk}/").status_code == 200
    metric_catalogue()
    window_length_s()
    return time.perf_counter() - started


def measure(name: str) -> None:
    """Run one format's export in this process and print one line (called in a child).

    Memory is the process's resident set, read as the file streams (no tracemalloc: tracing
    every allocation made the imports and the export several times slower than they are)."""
    import resource

    import pyarrow as pa
    from django.test import Client

    from accounts.models import Study

    study = Study.objects.get()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(study.members.get())
    warm_s = warm_up(client, study)
    endpoint, params = FORMATS[name]
    rss_before = _rss_mib()
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    samples: list[tuple[int, float]] = []  # (bytes sent so far, RSS)
    started = time.perf_counter()
    response = client.get(f"/api/v1/studies/{study.pk}/{endpoint}/", params)
    assert response.status_code == 200, response
    first_byte_s = None
    sink = Path(tempfile.gettempdir()) / f"bench-export-{name}"
    size = 0
    with sink.open("wb") as out:
        for chunk in response.streaming_content:
            if first_byte_s is None:
                first_byte_s = time.perf_counter() - started
            out.write(chunk)
            size += len(chunk)
            if len(samples) < 2 or size - samples[-1][0] >= 2**20:
                samples.append((size, _rss_mib()))
    elapsed = time.perf_counter() - started
    rows = int(response["X-Export-Rows"])
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # Flat memory: the RSS once a tenth of the file is out against the RSS at the end.
    tenth = next(
        (rss for sent, rss in samples if sent >= size / 10), samples[-1][1] if samples else rss_before
    )
    print(
        f"{name:>10}: {rows:>9,} rows {size / 2**20:7.1f} MiB {elapsed:6.1f} s {rows / elapsed:>9,.0f} rows/s"
        f"  first byte {first_byte_s or 0:5.2f} s  RSS {rss_before:4.0f} MiB before, {tenth:4.0f} at 10%,"
        f" {samples[-1][1] if samples else 0:4.0f} at the end, peak {max(rss for _, rss in samples):5.0f} MiB"
        f" (process max RSS {maxrss_before:4.0f} MiB before the export, {maxrss:5.0f} after)"
        f" Arrow pool peak {pa.default_memory_pool().max_memory() / 2**20:4.0f} MiB"
        f"  [warm-up {warm_s:.1f} s]  [{elapsed:.3f}]",
        flush=True,
    )
    if name == "parquet":
        import pyarrow.parquet as pq

        assert pq.read_metadata(sink).num_rows == rows, "the Parquet file does not hold every row"
    sink.unlink()


def baselines() -> dict[str, float]:
    """Same-run yardsticks on this machine, as loaded as it is now: the rows/s of reading the
    metric samples through a cursor, of PostgreSQL's own COPY of them to CSV, and of Python's
    csv.writer on the fetched rows."""
    import csv
    import io

    from django.db import connection

    result = {}
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute("SELECT * FROM results_metricsample")
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        read = 0
        write_s = 0.0
        while rows := cursor.fetchmany(20_000):
            read += len(rows)
            t = time.perf_counter()
            writer.writerows(rows)
            buffer.seek(0)
            buffer.truncate()
            write_s += time.perf_counter() - t
        total_s = time.perf_counter() - started
        result["cursor"] = read / (total_s - write_s)
        result["cursor+csv.writer"] = read / total_s
        started = time.perf_counter()
        with cursor.cursor.copy("COPY results_metricsample TO STDOUT WITH (FORMAT csv)") as copy:
            for _ in copy:
                pass
        result["COPY"] = read / (time.perf_counter() - started)
    connection.close()
    return result


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

    print(f"load average at the start: {load_average()} (1, 5, 15 min) on {os.cpu_count()} cores")
    yardsticks = baselines()
    for what, rate in yardsticks.items():
        print(f"  baseline: {what} of the metric samples: {rate:,.0f} rows/s")
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
        rows_per_s = float(line.split(" rows/s")[0].rsplit(" ", 1)[1].replace(",", ""))
        print(
            f"{'':>12}{rows_per_s / yardsticks['cursor']:.2f}x the cursor read, "
            f"{rows_per_s / yardsticks['COPY']:.2f}x PostgreSQL's COPY; {line.rsplit('  [', 2)[1].rstrip(']')} before,"
            f" load {load_average()}"
        )
    if "csv" in seconds:
        print("time as a multiple of the long CSV's (target: sav and dta <= 3x):")
        print("  " + ", ".join(f"{name} {value / seconds['csv']:.2f}x" for name, value in seconds.items()))
    print(f"load average at the end: {load_average()}")


if __name__ == "__main__":
    main()

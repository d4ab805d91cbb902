"""Benchmark: N generated session videos through a real Celery worker, end to end.

    .venv/bin/python tests/bench/pipeline_throughput.py --videos 4 --duration 3

Creates a fresh PostgreSQL database (BENCH_DATABASE_URL, default .../bench_workers; dropped at
the end), stores N recordings of a person rocking (320 x 240 unless told), queues one analysis
each on the Redis broker (BENCH_REDIS_URL, default db 13), starts one worker (`celery -A
workers worker -Q cpu,gpu --concurrency 1`, ANALYSIS_PROCESSES from --processes) and prints:

- jobs per minute: N / (last job finished - first job queued);
- database rows written per second: result rows (metric samples + events) over the same span,
  and the insert rate inside the storing transaction (from the worker's log);
- time from upload (recording created) to its first stored metric (the commit of its results),
  for the first recording and the median over all.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "platform")]

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_workers")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


def _admin_sql(statement: str) -> None:
    """Run CREATE/DROP DATABASE on the server's `postgres` database."""
    import psycopg

    url = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(statement)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--videos", type=int, default=4, help="number of recordings (jobs)")
    parser.add_argument("--duration", type=float, default=3.0, help="video length in seconds")
    parser.add_argument("--size", default="320x240", help="video size WIDTHxHEIGHT in px")
    parser.add_argument("--processes", type=int, default=1, help="ANALYSIS_PROCESSES of the worker")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    name = DATABASE_URL.rsplit("/", 1)[1]

    work = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    os.environ.update(
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        MEDIA_ROOT=str(work / "media"),
        PLATFORM_VAR_DIR=str(work),
        DJANGO_SETTINGS_MODULE="config.settings",
        LOG_LEVEL="WARNING",
    )
    _admin_sql(f'DROP DATABASE IF EXISTS "{name}"')
    _admin_sql(f'CREATE DATABASE "{name}"')

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from analysis.synthetic_video import make_person_video
    from results.jobs import analysis_job_create
    from results.models import AnalysisJob, BehaviourEvent, MetricSample
    from tests.factories import make_session, make_world
    from tests.workers.conftest import store_recording
    from tests.workers.worker_process import WorkerProcess, purge_broker

    call_command("migrate", verbosity=0)
    world = make_world()
    video = make_person_video(
        work / "visit.mp4",
        duration_s=args.duration,
        fps=10,
        size=(width, height),
        motion="rock",
        motion_hz=1.0,
        amplitude_px=15,
    )
    purge_broker(REDIS_URL)
    worker = WorkerProcess(
        database_url=DATABASE_URL,
        broker_url=REDIS_URL,
        media_root=work / "media",
        log_dir=work,
        env={"ANALYSIS_PROCESSES": str(args.processes), "LOG_LEVEL": "INFO"},
    )
    worker.start()
    try:
        recordings = [
            store_recording(world, video, session=make_session(world.patient, by=world.clinician))
            for _ in range(args.videos)
        ]
        queued_at = time.time()
        jobs = [analysis_job_create(recording=r, requested_by=world.uploader) for r in recordings]
        while AnalysisJob.objects.filter(
            pk__in=[j.pk for j in jobs], status__in=AnalysisJob.ACTIVE_STATUSES
        ).exists():
            time.sleep(0.5)
        jobs = list(AnalysisJob.objects.filter(pk__in=[j.pk for j in jobs]).select_related("recording"))
        log = worker.log()
    finally:
        worker.stop()

    failed = [j for j in jobs if j.status != AnalysisJob.Status.SUCCEEDED]
    if failed:
        print(f"{len(failed)} job(s) did not succeed: {[(j.pk, j.status, j.error) for j in failed]}")
    done = [j for j in jobs if j.status == AnalysisJob.Status.SUCCEEDED]
    span_s = max(j.finished_at.timestamp() for j in jobs) - queued_at
    rows = MetricSample.objects.count() + BehaviourEvent.objects.count()
    stored = [
        (int(samples) + int(events), float(seconds))
        for samples, events, seconds in re.findall(
            r"stored (\d+) metric samples and (\d+) events in ([\d.]+) s", log
        )
    ]
    latencies = sorted((j.finished_at - j.recording.created_at).total_seconds() for j in done)
    first = min(done, key=lambda j: j.recording.created_at) if done else None

    print(
        f"videos: {args.videos} x {args.duration:g} s, {width}x{height}, ANALYSIS_PROCESSES={args.processes}"
    )
    print(f"jobs per minute: {len(jobs) / span_s * 60:.2f} ({len(done)} succeeded in {span_s:.1f} s)")
    print(f"result rows: {rows} ({rows / max(len(done), 1):.0f} per job)")
    print(f"database rows written per second (whole run): {rows / span_s:.1f}")
    if stored:
        total_rows, total_s = sum(r for r, _ in stored), sum(s for _, s in stored)
        print(
            f"database rows written per second (inside the storing transaction): {total_rows / total_s:.0f}"
        )
    if first is not None:
        print(
            "upload to first stored metric: "
            f"{(first.finished_at - first.recording.created_at).total_seconds():.1f} s for the first recording, "
            f"median {statistics.median(latencies):.1f} s over {len(latencies)}"
        )
    connections.close_all()
    _admin_sql(f'DROP DATABASE IF EXISTS "{name}"')


if __name__ == "__main__":
    main()

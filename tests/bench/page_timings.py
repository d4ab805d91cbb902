"""In-process page timings: median and p90 of N requests per page through django.test.Client,
with the number of queries per request (not collected by pytest; a quiet, shared machine gives
steadier figures in-process than over HTTP).

Run on the load test's database (seeded by tests/bench/load.py):
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/loadtest .venv/bin/python -m tests.bench.page_timings
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/loadtest")
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--user", default="clinician")
    args = parser.parse_args()
    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    from django.contrib.auth import get_user_model

    from patients.models import Patient
    from recordings.models import ClinicalSession
    from results.models import AnalysisJob

    client = Client()
    client.force_login(get_user_model().objects.get(username=args.user))
    patient = max(Patient.objects.all(), key=lambda p: ClinicalSession.objects.filter(patient=p).count())
    analysed = AnalysisJob.objects.filter(recording__session__patient=patient).first().recording.session_id
    pages = {
        "patient list": "/patients/",
        "patient page": f"/patients/{patient.code}/",
        "session page": f"/sessions/{analysed}/",
        "dashboard page": f"/dashboards/patient/{patient.code}/",
    }
    print(f"{'page':16} {'median ms':>10} {'p90 ms':>8} {'queries':>8} {'kB':>6}")
    for name, path in pages.items():
        client.get(path)
        timings = []
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get(path)
                body = b"".join(response.streaming_content) if response.streaming else response.content
                timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        timings.sort()
        p90 = timings[int(0.9 * (len(timings) - 1))]
        size_kb = len(body) / 1024
        print(f"{name:16} {statistics.median(timings):10.1f} {p90:8.1f} {len(queries):8d} {size_kb:6.0f}")


if __name__ == "__main__":
    main()

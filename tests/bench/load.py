"""Load test: N clinicians browse dashboards while M uploads run through the chunked API
(not collected by pytest; loopback only; bounded in time and in requests).

Run:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/loadtest .venv/bin/python -m tests.bench.load \
      --clinicians 4 --uploads 2 --duration 30

What it does:
1. (re)creates the PostgreSQL database named in DATABASE_URL (default `loadtest`), migrates it, and
   seeds the personas of tests/factories.py, 12 analysed sessions of the memory-clinic patient
   (8 metrics, 30 windows each, events) and empty sessions to upload into;
2. collects static files and starts gunicorn exactly as the web container does
   (deploy/gunicorn.conf.py, config.settings_production), on 127.0.0.1 and a free port, with
   local media in a temporary folder; requests carry X-Forwarded-Proto: https as nginx's do;
   analyses are not run (ANALYSIS_DISPATCHER records the job only): this measures the web tier;
3. N clinician threads log in through the login form, then loop over the patient list, the
   patient page, the dashboard page, the dashboard's data callback and a session page;
   M uploader threads get an API token and upload a real generated video (about 2 MB in
   256 KiB chunks) into a new session each time: start, PUT each chunk, complete;
   a short warm-up (not measured) runs first, since each gunicorn worker imports the app lazily;
4. after --duration seconds (or --max-requests in all) it prints, per endpoint, the number of
   requests, p50 and p95 latency and the error rate (any status other than the expected one).
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/loadtest")
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
import psycopg  # noqa: E402
import requests  # noqa: E402
from django.core.management import call_command  # noqa: E402

from tests.deploy.gunicorn_server import GunicornServer  # noqa: E402

CHUNK_BYTES = 256 * 1024
METRICS = (
    "apathy.neutral_share",
    "apathy.facial_motion_energy",
    "stereotypy.episodes_per_min",
    "stereotypy.agitation_index",
    "attention.gaze_on_target_share",
    "attention.gaze_shifts_per_min",
    "praxis.score_mean",
    "apathy.positive_share",
)


def recreate_database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def seed(n_upload_sessions: int):
    from recordings.models import ClinicalSession
    from tests.factories import make_analysed_session, make_session, make_world

    world = make_world()
    rng = np.random.default_rng(3)
    analysed = []
    for i in range(12):
        windows = {metric: list(rng.normal(0.5, 0.1, 30)) for metric in METRICS}
        job = make_analysed_session(
            world.patient,
            by=world.clinician,
            on=date(2025, 1, 6) + timedelta(days=28 * i),
            windows=windows,
            session_values={metric: float(np.median(values)) for metric, values in windows.items()},
            events=[("body_rocking", 10.0, 14.0), ("hand_flapping", 40.0, 47.0)],
        )
        analysed.append(job.recording.session_id)
    upload_sessions = [
        make_session(world.patient, by=world.clinician, on=date(2026, 10, 1)).pk
        for _ in range(n_upload_sessions)
    ]
    assert ClinicalSession.objects.count() == 12 + n_upload_sessions
    return world, analysed, upload_sessions


class Recorder:
    """Latencies (s) and failures per endpoint, shared by the threads."""

    def __init__(self, max_requests: int):
        self.lock = threading.Lock()
        self.latency_s: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.examples: dict[str, str] = {}
        self.remaining = max_requests

    def take_one(self) -> bool:
        with self.lock:
            self.remaining -= 1
            return self.remaining >= 0

    def add(self, endpoint: str, seconds: float, ok: bool, detail: str = "") -> None:
        with self.lock:
            self.latency_s[endpoint].append(seconds)
            if not ok:
                self.errors[endpoint] += 1
                self.examples.setdefault(endpoint, detail[:300])


class Browser:
    """A clinician's browser behind nginx: HTTPS as far as Django knows, cookies kept by hand
    (they are Secure, which an http:// client would otherwise never send back)."""

    def __init__(self, base: str, recorder: Recorder):
        self.base = base
        self.http = requests.Session()
        self.cookies: dict[str, str] = {}
        self.recorder = recorder
        self.origin = "https://" + urlsplit(base).netloc

    def _headers(self, extra: dict | None = None) -> dict:
        headers = {
            "X-Forwarded-Proto": "https",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        return {**headers, **(extra or {})}

    def call(
        self, endpoint: str, method: str, path: str, *, expect: int = 200, **kwargs
    ) -> requests.Response | None:
        if not self.recorder.take_one():
            return None
        headers = self._headers(kwargs.pop("headers", None))
        start = time.perf_counter()
        try:
            response = self.http.request(
                method, self.base + path, headers=headers, allow_redirects=False, timeout=60, **kwargs
            )
            response.content  # noqa: B018 - the whole body is part of the latency
        except requests.RequestException as error:
            self.recorder.add(endpoint, time.perf_counter() - start, False, repr(error))
            return None
        self.recorder.add(
            endpoint,
            time.perf_counter() - start,
            response.status_code == expect,
            f"{response.status_code} {response.text}",
        )
        self.cookies.update(response.cookies.get_dict())
        return response

    def csrf_headers(self) -> dict:
        return {
            "X-CSRFToken": self.cookies.get("csrftoken", ""),
            "Origin": self.origin,
            "Referer": self.origin + "/",
        }


def clinician_loop(
    base: str,
    recorder: Recorder,
    deadline: float,
    patient_code: str,
    sessions: list[int],
    user: str,
    password: str,
) -> None:
    from frontend.dashboards.labels import default_metrics
    from tests.frontend.builders import callback_body

    browser = Browser(base, recorder)
    browser.call("login page", "GET", "/login/")
    browser.call(
        "login",
        "POST",
        "/login/",
        expect=302,
        data={
            "username": user,
            "password": password,
            "csrfmiddlewaretoken": browser.cookies.get("csrftoken", ""),
        },
        headers=browser.csrf_headers(),
    )
    callback = callback_body(patient_code, default_metrics(list(METRICS)))
    i = 0
    while time.monotonic() < deadline and recorder.remaining > 0:
        browser.call("patient list", "GET", "/patients/")
        browser.call("patient page", "GET", f"/patients/{patient_code}/")
        browser.call("dashboard page", "GET", f"/dashboards/patient/{patient_code}/")
        browser.call(
            "dashboard data callback",
            "POST",
            f"/dashboards/patient/{patient_code}/_dash-update-component",
            json=callback,
            headers=browser.csrf_headers(),
        )
        browser.call("session page", "GET", f"/sessions/{sessions[i % len(sessions)]}/")
        i += 1


def uploader_loop(
    base: str,
    recorder: Recorder,
    deadline: float,
    sessions: list[int],
    lock: threading.Lock,
    video: bytes,
    user: str,
    password: str,
) -> None:
    import hashlib

    client = Browser(base, recorder)
    answer = client.call(
        "token", "POST", "/api/v1/auth/token/", expect=201, data={"username": user, "password": password}
    )
    if answer is None or answer.status_code != 201:
        return
    auth = {"Authorization": f"Token {answer.json()['token']}"}
    digest = hashlib.sha256(video).hexdigest()
    while time.monotonic() < deadline and recorder.remaining > 0:
        with lock:
            if not sessions:
                return
            session = sessions.pop()
        started = client.call(
            "upload start",
            "POST",
            "/api/v1/uploads/",
            expect=201,
            headers=auth,
            json={"session": session, "filename": "visit.mp4", "size_bytes": len(video), "sha256": digest},
        )
        if started is None or started.status_code != 201:
            continue
        upload_id = started.json()["id"]
        for offset in range(0, len(video), CHUNK_BYTES):
            client.call(
                "upload chunk",
                "PUT",
                f"/api/v1/uploads/{upload_id}/chunk/?offset={offset}",
                data=video[offset : offset + CHUNK_BYTES],
                headers={**auth, "Content-Type": "application/octet-stream"},
            )
        client.call(
            "upload complete", "POST", f"/api/v1/uploads/{upload_id}/complete/", expect=201, headers=auth
        )


def report(recorder: Recorder, wall_s: float) -> None:
    print(f"\n{'endpoint':26} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7}")
    total = 0
    for endpoint, values in recorder.latency_s.items():
        ms = np.array(values) * 1000
        errors = recorder.errors[endpoint]
        total += len(values)
        print(
            f"{endpoint:26} {len(values):8d} {np.percentile(ms, 50):8.1f} {np.percentile(ms, 95):8.1f} {100 * errors / len(values):6.1f}%"
        )
    print(f"\n{total} requests in {wall_s:.1f} s ({total / wall_s:.1f} per second)")
    for endpoint, example in recorder.examples.items():
        print(f"first error of {endpoint}: {example}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clinicians", type=int, default=4)
    parser.add_argument("--uploads", type=int, default=2)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load (at most 300)")
    parser.add_argument("--max-requests", type=int, default=20000)
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    args = parser.parse_args()
    duration = min(args.duration, 300.0)

    from analysis.synthetic_video import make_empty_video
    from tests.factories import PASSWORD

    url = os.environ["DATABASE_URL"]
    print(f"database {urlsplit(url).path.lstrip('/')}: recreate, migrate, seed")
    recreate_database(url)
    call_command("migrate", verbosity=0)
    world, analysed, upload_sessions = seed(n_upload_sessions=args.uploads * 200)

    with tempfile.TemporaryDirectory(prefix="loadtest-") as temporary:
        folder = Path(temporary)
        # Seeded noise compresses badly: a small clip of about 2 MB, several chunks per upload.
        video = make_empty_video(
            folder / "visit.mp4", duration_s=2.0, fps=10, size=(320, 240), noise=True
        ).read_bytes()
        env = {
            "DJANGO_SETTINGS_MODULE": "config.settings_production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": url,
            "STORAGE_BACKEND": "local",
            "PLATFORM_VAR_DIR": str(folder),
            "MEDIA_ROOT": str(folder / "media"),
            "UPLOAD_TMP_DIR": str(folder / "uploads"),
            "UPLOAD_CHUNK_BYTES": str(CHUNK_BYTES),
            "ANALYSIS_DISPATCHER": "tests.reliability.uploading.record_dispatch",
            "GUNICORN_WORKER_TMP_DIR": str(folder),
            "LOG_LEVEL": "WARNING",
        }
        import subprocess

        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env={**os.environ, **env},
            check=True,
        )
        print(
            f"gunicorn ({args.gunicorn_workers} workers x 4 threads), {args.clinicians} clinicians, {args.uploads} uploads, {duration:.0f} s; video {len(video) / 1024:.0f} KiB in {CHUNK_BYTES // 1024} KiB chunks"
        )
        with GunicornServer(env, log_path=folder / "gunicorn.log", workers=args.gunicorn_workers) as server:
            # Warm-up, not measured: each gunicorn worker imports the app on its first requests.
            warm_up = Recorder(50 * args.gunicorn_workers)
            clinician_loop(
                server.url,
                warm_up,
                time.monotonic() + 20,
                world.patient.code,
                analysed,
                world.clinician.username,
                PASSWORD,
            )
            uploader_loop(
                server.url,
                Recorder(10),
                time.monotonic() + 20,
                upload_sessions,
                threading.Lock(),
                video,
                world.uploader.username,
                PASSWORD,
            )
            recorder = Recorder(args.max_requests)
            deadline = time.monotonic() + duration
            lock = threading.Lock()
            clinicians = [world.clinician, world.colleague]
            threads = [
                threading.Thread(
                    target=clinician_loop,
                    args=(
                        server.url,
                        recorder,
                        deadline,
                        world.patient.code,
                        analysed,
                        clinicians[i % 2].username,
                        PASSWORD,
                    ),
                )
                for i in range(args.clinicians)
            ] + [
                threading.Thread(
                    target=uploader_loop,
                    args=(
                        server.url,
                        recorder,
                        deadline,
                        upload_sessions,
                        lock,
                        video,
                        world.uploader.username,
                        PASSWORD,
                    ),
                )
                for _ in range(args.uploads)
            ]
            start = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=duration + 120)
            report(recorder, time.monotonic() - start)


if __name__ == "__main__":
    main()

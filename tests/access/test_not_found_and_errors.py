"""Forbidden and unknown both answer 404 (finding 9); no data shape answers 500 (findings 6, 11);
friendly error pages; the demo serves with DEBUG off (finding 6)."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AccessEvent
from recordings.models import ClinicalSession
from tests.api.conftest import make_analysed_session
from tests.factories import make_session

REPO_ROOT = Path(__file__).resolve().parents[2]


def _page(response) -> str:
    """The answer without what changes on every response (the CSRF token of the log-out form)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


@pytest.mark.parametrize("persona", ["outsider", "uploader", "statistician", "admin"])
def test_a_forbidden_patient_answers_like_an_unknown_one(world, login, persona):
    """Finding 9: the dashboard and the session page answered 403 for a patient outside the
    user's scope and 404 for an unknown one."""
    analysed = make_analysed_session(world.patient, by=world.clinician)
    client = login(getattr(world, persona))
    forbidden = [
        f"/dashboards/patient/{world.patient.code}/",
        f"/dashboards/patient/{world.patient.code}/_dash-layout",
        f"/sessions/{analysed.session.pk}/",
        f"/sessions/{analysed.session.pk}/video",
        f"/sessions/{analysed.session.pk}/overlay.json",
    ]
    unknown = [
        "/dashboards/patient/P-NOBODY/",
        "/dashboards/patient/P-NOBODY/_dash-layout",
        "/sessions/99999999/",
        "/sessions/99999999/video",
        "/sessions/99999999/overlay.json",
    ]
    for forbidden_url, unknown_url in zip(forbidden, unknown, strict=True):
        refused, missing = client.get(forbidden_url), client.get(unknown_url)
        assert (refused.status_code, missing.status_code) == (404, 404), forbidden_url
        assert _page(refused) == _page(missing), forbidden_url


def test_the_dashboard_index_lists_only_patients_whose_dashboards_open(world, login):
    """The index listed a statistician's study patients, whose links then answered 403."""
    assert login(world.statistician).get(reverse("dashboard_index")).status_code == 403
    html = login(world.clinician).get(reverse("dashboard_index")).content.decode()
    assert world.patient.code in html and world.other_patient.code not in html


def test_a_session_without_clinician_does_not_break_the_patient_page(world, login):
    """Finding 6: a session with no clinician (the form's "(none)", every API-created session)
    made the patient page answer 500."""
    session = make_session(world.patient, by=world.clinician)
    ClinicalSession.objects.filter(pk=session.pk).update(clinician=None)
    page = login(world.clinician).get(reverse("patient_detail", kwargs={"code": world.patient.code}))
    assert page.status_code == 200
    assert "Clinician: none" in page.content.decode()


def test_an_invalid_consent_form_is_a_400_with_no_audit_row(world, login):
    """Finding 6: an invalid consent form on such a patient answered 500 and wrote audit rows."""
    session = make_session(world.patient, by=world.clinician)
    ClinicalSession.objects.filter(pk=session.pk).update(clinician=None)
    client = login(world.clinician)
    before = AccessEvent.objects.count()
    answer = client.post(reverse("consent_record", kwargs={"code": world.patient.code}), {"given_on": "soon"})
    assert answer.status_code == 400
    html = answer.content.decode()
    assert "Tick at least one scope" in html and "Enter the signing date as a date" in html
    assert "Jeanne Martin" not in html
    assert AccessEvent.objects.count() == before


@pytest.mark.parametrize(
    "path",
    [
        "/dashboards/app/_dash-component-suites/../_dash-layout",
        "/dashboards/app/_dash-component-suites/../../_dash-update-component",
        "/dashboards/app/_dash-component-suites/./dash/x.js",
        "/dashboards/app/_dash-component-suites/nothing/here.js",
        "/dashboards/app/_dash-component-suites/",
        "/dashboards/app/_dash-layout",
    ],
)
def test_paths_that_walk_out_of_the_component_scripts_are_404(world, login, path):
    """Finding 11: GET /dashboards/app/_dash-component-suites/../_dash-layout answered 500."""
    client = login(world.clinician)
    client.raise_request_exception = False
    assert client.get(path).status_code == 404


def test_the_404_page_is_friendly_and_says_nothing_of_the_site(world, login, settings):
    settings.DEBUG = False
    answer = login(world.clinician).get("/patients/P-NOBODY/")
    assert answer.status_code == 404
    html = answer.content.decode()
    assert "Nothing here" in html and "Traceback" not in html and "urlpatterns" not in html


def test_an_error_answers_the_friendly_500_page(world, settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.access.broken_urls"
    client = Client(raise_request_exception=False)
    answer = client.get("/broken/")
    assert answer.status_code == 500
    html = answer.content.decode()
    assert "Something went wrong on our side" in html
    assert "Traceback" not in html and "ZeroDivisionError" not in html


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_bin_run_serves_with_debug_off_and_static_files_from_whitenoise(tmp_path):
    """Finding 6: the demo ran with DEBUG on (tracebacks, templates and settings for staff)."""
    port = _free_port()
    env = {
        key: value for key, value in os.environ.items() if key not in {"DJANGO_DEBUG", "DJANGO_SECRET_KEY"}
    }
    env.update(
        PORT=str(port),
        PLATFORM_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        VENV=str(Path(sys.executable).parent.parent),
        WEB_WORKERS="1",
    )
    # --serve-only does not migrate; the audit writes a row for every refusal, so the tables must exist.
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=REPO_ROOT, env=env, check=True
    )
    server = subprocess.Popen(
        [str(REPO_ROOT / "bin" / "run"), "--serve-only"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and server.poll() is None:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=5)
                break
            except OSError:
                time.sleep(0.5)
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{base}/no-such-page/", timeout=10)
        body = missing.value.read().decode()
        assert missing.value.code == 404
        assert "Nothing here" in body
        assert "Using the URLconf" not in body and "DEBUG = True" not in body
        login_page = urllib.request.urlopen(f"{base}/login/", timeout=10).read().decode()
        stylesheet = re.search(r'href="(/static/css/platform\.[0-9a-f]+\.css)"', login_page)
        assert stylesheet, "DEBUG off: the stylesheet's name carries its hash (WhiteNoise's manifest)"
        with urllib.request.urlopen(base + stylesheet[1], timeout=10) as css:
            assert css.status == 200
            assert "max-age" in css.headers["Cache-Control"]
        assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            raise

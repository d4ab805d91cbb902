"""The audit log: every read (video with any Range form, Dash layout, admin pages, one row per
patient listed) and every refusal leaves a row (finding 5); the log is hash-chained, checked by
audit_verify, exported as CSV per patient, and append-only for the web application's role."""

import csv
import io
import os

import psycopg
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from audit.models import AccessEvent
from audit.services import access_record
from tests.api.conftest import make_analysed_session


@pytest.fixture
def stored_video(world, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    analysed = make_analysed_session(world.patient, by=world.clinician)
    analysed.recording.file = default_storage.save("recordings/test/video.video", ContentFile(b"v" * 5000))
    analysed.recording.save()
    return analysed


@pytest.mark.parametrize(
    "range_header", [None, "bytes=-99999999", "Bytes=0-", "bytes=00-", "bytes=100-199", "garbage"]
)
def test_every_video_request_is_audited_whatever_its_range(world, login, stored_video, range_header):
    """Finding 5: only a literal `bytes=0-` was logged."""
    headers = {"HTTP_RANGE": range_header} if range_header else {}
    before = AccessEvent.objects.filter(action="stream_video").count()
    answer = login(world.clinician).get(f"/sessions/{stored_video.session.pk}/video", **headers)
    assert answer.status_code in (200, 206)
    event = AccessEvent.objects.filter(action="stream_video").latest("id")
    assert AccessEvent.objects.filter(action="stream_video").count() == before + 1
    assert event.patient_code == world.patient.code
    assert event.details["bytes"] == answer.get("Content-Range", "whole file")


def test_the_dash_layout_is_audited(world, login):
    """Finding 5: GET /dashboards/patient/<code>/_dash-layout (about 20 KB of metrics) left no row."""
    make_analysed_session(world.patient, by=world.clinician)
    answer = login(world.clinician).get(f"/dashboards/patient/{world.patient.code}/_dash-layout")
    assert answer.status_code == 200
    assert AccessEvent.objects.filter(
        object_type="dashboard_layout", patient_code=world.patient.code, user=world.clinician
    ).exists()


def test_admin_change_and_history_pages_are_audited(world, login, superuser_admin):
    """Finding 5: admin change and history pages of consents, sessions, recordings, uploads and
    enrolments left no row."""
    analysed = make_analysed_session(world.patient, by=world.clinician)
    client = login(superuser_admin)
    consent = world.patient.consents.first()
    enrolment = world.patient.enrolments.first()
    for name, obj in (
        ("patients_consent", consent),
        ("recordings_clinicalsession", analysed.session),
        ("recordings_recording", analysed.recording),
        ("patients_studyenrolment", enrolment),
    ):
        for page in ("change", "history"):
            before = AccessEvent.objects.count()
            assert client.get(reverse(f"admin:{name}_{page}", args=[obj.pk])).status_code == 200
            event = AccessEvent.objects.latest("id")
            assert AccessEvent.objects.count() == before + 1, (name, page)
            assert (event.patient_code, event.details["page"]) == (world.patient.code, page)


def test_lists_record_one_row_per_patient_shown(world, login, superuser_admin):
    """Finding 5: the patient and upload lists logged patients only inside details."""
    client = login(superuser_admin)
    before = AccessEvent.objects.count()
    client.get(reverse("admin:patients_consent_changelist"))
    listed = set(
        AccessEvent.objects.filter(id__gt=0).order_by("id")[before:].values_list("patient_code", flat=True)
    )
    assert listed == {world.patient.code, world.other_patient.code}
    client = login(world.clinician)
    before = AccessEvent.objects.count()
    client.get(reverse("patient_list"))
    assert list(AccessEvent.objects.order_by("id")[before:].values_list("patient_code", flat=True)) == [
        world.patient.code
    ]


def test_every_refusal_is_audited_with_the_outcome_denied(world, login, client):
    """Finding 5: refused accesses (403, 404) were never recorded."""
    login(world.outsider).get(reverse("patient_detail", kwargs={"code": world.patient.code}))
    refused = AccessEvent.objects.latest("id")
    assert (refused.outcome, refused.username, refused.patient_code) == (
        "denied",
        "outsider",
        world.patient.code,
    )
    assert refused.details["status"] == 404
    login(world.outsider).get("/patients/P-NOBODY/")
    unknown = AccessEvent.objects.latest("id")
    assert (unknown.outcome, unknown.patient_code) == ("denied", "")
    login(world.statistician).get(reverse("patient_list"))
    assert AccessEvent.objects.latest("id").details["status"] == 403
    client.logout()
    client.get(reverse("patient_list"))
    assert AccessEvent.objects.latest("id").outcome == "denied"


def test_the_chain_holds_and_audit_verify_names_the_first_broken_link(world):
    events = [
        access_record(user=world.clinician, action="view", object_type="patient", patient=world.patient)
        for _ in range(4)
    ]
    call_command("audit_verify")
    assert events[1].previous_hash == events[0].entry_hash
    tampered = events[2]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_accessevent DISABLE TRIGGER audit_accessevent_append_only")
        cursor.execute("UPDATE audit_accessevent SET username = 'nobody' WHERE id = %s", [tampered.pk])
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_accessevent ENABLE TRIGGER audit_accessevent_append_only")
    with pytest.raises(CommandError, match=f"broken at event {tampered.pk} .*changed"):
        call_command("audit_verify")


def test_admins_export_one_patients_trail_as_csv(world, login, superuser_admin):
    access_record(user=world.clinician, action="view", object_type="patient", patient=world.patient)
    access_record(user=world.outsider, action="view", object_type="patient", patient=world.other_patient)
    client = login(superuser_admin)
    answer = client.get(reverse("admin:audit_accessevent_export") + f"?patient_code={world.patient.code}")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(answer.streaming_content).decode())))
    assert rows and {row["patient_code"] for row in rows} == {world.patient.code}
    assert login(world.clinician).get(reverse("admin:audit_accessevent_export")).status_code == 302


WEB_ROLE = "platform_web_test"


@pytest.mark.django_db(transaction=True)
def test_the_web_applications_role_cannot_update_or_delete_audit_rows(world):
    """On PostgreSQL, a trigger refuses UPDATE and DELETE even to a role granted both."""
    assert connection.vendor == "postgresql", "this test needs the real PostgreSQL (DATABASE_URL)"
    event = access_record(user=world.clinician, action="view", object_type="patient", patient=world.patient)
    database = connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP ROLE IF EXISTS {WEB_ROLE}")
        cursor.execute(f"CREATE ROLE {WEB_ROLE} LOGIN NOSUPERUSER PASSWORD 'web-role-test'")
        cursor.execute(f'GRANT CONNECT ON DATABASE "{database}" TO {WEB_ROLE}')
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {WEB_ROLE}")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON audit_accessevent TO {WEB_ROLE}")
    settings = connection.settings_dict
    try:
        with psycopg.connect(
            host=settings["HOST"] or "127.0.0.1",
            port=settings["PORT"] or 5432,
            dbname=database,
            user=WEB_ROLE,
            password="web-role-test",
            autocommit=True,
        ) as web:
            assert web.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone() == (
                False,
            )
            assert web.execute(
                "SELECT count(*) FROM audit_accessevent WHERE id = %s", [event.pk]
            ).fetchone() == (1,)
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                web.execute("UPDATE audit_accessevent SET username = 'someone' WHERE id = %s", [event.pk])
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                web.execute("DELETE FROM audit_accessevent WHERE id = %s", [event.pk])
        call_command("audit_verify")
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"REVOKE ALL ON audit_accessevent FROM {WEB_ROLE}")
            cursor.execute(f"REVOKE ALL ON SCHEMA public FROM {WEB_ROLE}")
            cursor.execute(f'REVOKE ALL ON DATABASE "{database}" FROM {WEB_ROLE}')
            cursor.execute(f"DROP ROLE IF EXISTS {WEB_ROLE}")
    assert os.environ.get("DATABASE_URL", "").startswith("postgres")

"""`manage.py demo --no-analysis`: the demo site through the real services, idempotent."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from accounts.permissions import user_roles
from accounts.roles import Role
from audit.models import AccessEvent
from patients.models import Consent, Patient, StudyEnrolment
from recordings.models import ClinicalSession, Protocol, ProtocolTask, Recording


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            Patient,
            Consent,
            StudyEnrolment,
            Protocol,
            ClinicalSession,
            Recording,
            get_user_model(),
        )
    }


@pytest.mark.django_db
def test_the_demo_builds_a_site_for_every_role_and_a_second_run_changes_nothing(media_storage):
    out = StringIO()
    call_command("demo", "--no-analysis", stdout=out)
    first = counts()
    assert first["Patient"] == 3 and first["Protocol"] == 5 and first["Recording"] == 5
    assert {role for user in get_user_model().objects.all() for role in user_roles(user)} == set(Role)
    for username in ("demo-admin", "demo-clinician", "demo-uploader", "demo-statistician"):
        assert username in out.getvalue()
        assert get_user_model().objects.get(username=username).check_password("demo-platform-2026")
    # Videos went through recording_create_from_file: probed, stored under server keys, audited.
    for recording in Recording.objects.all():
        assert recording.duration_s > 0 and recording.file.name.startswith("recordings/")
    assert AccessEvent.objects.filter(action="create", object_type="recording").count() == 5
    assert Consent.objects.filter(withdrawn_at__isnull=False).count() == 1
    tasks = ProtocolTask.objects.filter(protocol__code="semi-guided-tasks").order_by("position")
    assert [task.position for task in tasks] == [1, 2, 3, 4, 5]
    # The semi-guided visit's video is the rendered person doing the five tasks, not a face.
    [task_video] = Recording.objects.filter(session__protocol__code="semi-guided-tasks")
    assert 60 <= task_video.duration_s <= 90

    call_command("demo", "--no-analysis", stdout=StringIO())
    assert counts() == first

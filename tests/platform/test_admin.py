"""The Django admin: every model registered, identity hidden outside the care team, the audit
log read-only, consent read-only."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from audit.models import AccessEvent
from audit.services import access_record
from patients.models import Consent, PatientIdentity


@pytest.fixture
def superuser_admin(world):
    """The platform administrator with every Django model permission (as the demo's admin)."""
    world.admin.is_superuser = True
    world.admin.save()
    return world.admin


@pytest.fixture
def clinician_with_admin(world):
    """A clinician of the memory clinic who may also use the Django admin."""
    world.clinician.is_staff = world.clinician.is_superuser = True
    world.clinician.save()
    return world.clinician


def test_every_model_of_the_platform_is_registered():
    ours = ("accounts", "patients", "recordings", "results", "audit")
    missing = [
        model._meta.label
        for label in ours
        for model in apps.get_app_config(label).get_models()
        if model not in admin.site._registry
    ]
    assert missing == []


def test_every_changelist_opens(world, login, superuser_admin):
    client = login(superuser_admin)
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url


def test_the_identity_list_shows_only_the_care_teams_patients(
    world, login, superuser_admin, clinician_with_admin
):
    url = reverse("admin:patients_patientidentity_changelist")
    admin_html = login(superuser_admin).get(url).content.decode()
    assert "Jeanne Martin" not in admin_html and "Lucas Bernard" not in admin_html
    clinician_html = login(clinician_with_admin).get(url).content.decode()
    assert "Jeanne Martin" in clinician_html and "Lucas Bernard" not in clinician_html
    other = PatientIdentity.objects.get(patient=world.other_patient)
    change = reverse("admin:patients_patientidentity_change", args=[other.pk])
    assert login(clinician_with_admin).get(change).status_code == 302  # "does not exist" → back to the index


def test_the_patient_page_shows_the_identity_only_to_the_care_team(
    world, login, superuser_admin, clinician_with_admin
):
    url = reverse("admin:patients_patient_change", args=[world.patient.pk])
    assert "Jeanne Martin" not in login(superuser_admin).get(url).content.decode()
    assert "Jeanne Martin" in login(clinician_with_admin).get(url).content.decode()
    assert AccessEvent.objects.filter(
        user=world.clinician, action="view_identity", patient_code=world.patient.code
    ).exists()


def test_the_audit_log_is_read_only(world, login, superuser_admin):
    event = access_record(user=world.clinician, action="view", object_type="patient", patient=world.patient)
    client = login(superuser_admin)
    assert client.get(reverse("admin:audit_accessevent_changelist")).status_code == 200
    assert client.get(reverse("admin:audit_accessevent_add")).status_code == 403
    change = reverse("admin:audit_accessevent_change", args=[event.pk])
    assert client.post(change, {"action": "delete"}).status_code == 403
    assert (
        client.post(reverse("admin:audit_accessevent_delete", args=[event.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert AccessEvent.objects.filter(pk=event.pk, action="view").exists()


def test_the_audit_log_is_for_administrators_only(world, login, clinician_with_admin):
    clinician_with_admin.is_superuser = False
    clinician_with_admin.save()
    assert login(clinician_with_admin).get(reverse("admin:audit_accessevent_changelist")).status_code == 403


def test_consent_is_never_added_edited_or_deleted_in_the_admin(world, login, superuser_admin):
    client = login(superuser_admin)
    consent = Consent.objects.filter(patient=world.patient).first()
    assert client.get(reverse("admin:patients_consent_add")).status_code == 403
    change = reverse("admin:patients_consent_change", args=[consent.pk])
    assert client.post(change, {"note": "edited"}).status_code == 403
    delete = reverse("admin:patients_consent_delete", args=[consent.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Consent.objects.filter(patient=world.patient).count() == 4

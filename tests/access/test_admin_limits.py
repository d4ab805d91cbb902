"""What the administrator may not do in the Django admin: record consent (finding 2), read other
teams' notes (finding 7), test whether a hospital number exists (finding 8), mint API tokens for
someone else (finding 3)."""

from datetime import date

from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken
from accounts.tokens import api_token_create
from patients.models import Consent, PatientIdentity
from tests.factories import make_session


def test_the_admin_cannot_add_consent(world, login, superuser_admin):
    """Finding 2: POST /admin/patients/consent/add/ created a consent version recorded by the admin."""
    client = login(superuser_admin)
    before = Consent.objects.count()
    answer = client.post(
        reverse("admin:patients_consent_add"),
        {
            "patient": world.patient.pk,
            "scope": "research_export",
            "given_at_0": "2026-11-01",
            "given_at_1": "10:00:00",
            "note": "",
        },
    )
    assert answer.status_code == 403
    assert Consent.objects.count() == before


def test_the_admin_cannot_change_consent(world, login, superuser_admin):
    consent = Consent.objects.filter(patient=world.patient).first()
    client = login(superuser_admin)
    url = reverse("admin:patients_consent_change", args=[consent.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert b'type="submit" value="Save"' not in page.content
    answer = client.post(url, {"patient": world.patient.pk, "scope": consent.scope, "note": "edited"})
    assert answer.status_code == 403
    consent.refresh_from_db()
    assert consent.note == ""


def test_the_admin_reads_consent_metadata_without_identity_or_free_text(world, login, superuser_admin):
    consent = Consent.objects.filter(patient=world.patient).first()
    Consent.objects.filter(pk=consent.pk).update(note="signed by her daughter Marie Martin")
    client = login(superuser_admin)
    listing = client.get(reverse("admin:patients_consent_changelist")).content.decode()
    page = client.get(reverse("admin:patients_consent_change", args=[consent.pk])).content.decode()
    for html in (listing, page):
        assert world.patient.code in html
        assert "Martin" not in html
        assert "H-0001" not in html
    assert "Version" in page and "Scope" in page


def test_the_admin_does_not_read_another_teams_session_notes(world, login, superuser_admin, api):
    """Finding 7: the admin read every team's session notes through the API and the admin."""
    session = make_session(world.patient, by=world.clinician)
    session.notes = "Mrs Martin cried when her husband was mentioned."
    session.save()
    page = login(superuser_admin).get(reverse("admin:recordings_clinicalsession_change", args=[session.pk]))
    assert page.status_code == 200
    assert "cried" not in page.content.decode()
    listed = api(superuser_admin).get("/api/v1/sessions/").json()["results"]
    one = api(superuser_admin).get(f"/api/v1/sessions/{session.pk}/").json()
    assert [row["notes"] for row in listed] == [None] and one["notes"] is None
    assert (
        api(world.clinician).get(f"/api/v1/sessions/{session.pk}/").json()["notes"].startswith("Mrs Martin")
    )


def test_no_admin_form_tells_whether_a_hospital_number_exists(world, login, superuser_admin):
    """Finding 8: the identity form's uniqueness error answered whether H-0002 exists."""
    client = login(superuser_admin)
    for url in (reverse("admin:patients_patientidentity_add"), reverse("admin:patients_patient_add")):
        assert client.get(url).status_code == 403, url
    answer = client.post(
        reverse("admin:patients_patientidentity_add"),
        {
            "patient": world.other_patient.pk,
            "full_name": "x",
            "date_of_birth": date(1950, 1, 1),
            "hospital_number": "H-0002",
        },
    )
    assert answer.status_code == 403
    assert b"already exists" not in answer.content
    assert PatientIdentity.objects.count() == 2


def test_the_admin_cannot_mint_a_token_for_someone_else_but_may_revoke_one(world, login, superuser_admin):
    """Finding 3: the admin minted a token for any user at /admin/authtoken/tokenproxy/add/ and
    read the key in the change list."""
    client = login(superuser_admin)
    assert client.get("/admin/authtoken/tokenproxy/add/").status_code == 404
    assert client.get(reverse("admin:accounts_apitoken_add")).status_code == 403
    token, key = api_token_create(user=world.clinician, name="R scripts")
    listing = client.get(reverse("admin:accounts_apitoken_changelist")).content.decode()
    assert "R scripts" in listing and token.prefix in listing
    assert key not in listing and token.key_sha256 not in listing
    answer = client.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert answer.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == superuser_admin
    assert token.revoked_at <= timezone.now()
    assert ApiToken.objects.filter(user=superuser_admin).count() == 0

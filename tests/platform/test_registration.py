"""Registering patients, correcting identities and sessions: by the care team, audited, with
hospital numbers unique within a team and nothing revealed about other teams' patients."""

from datetime import date

from django.urls import reverse

from audit.models import AccessEvent
from patients.models import IdentityCorrection, Patient, PatientIdentity
from tests.factories import make_protocol, make_session

NEW = {
    "full_name": "Marie  Curie",
    "date_of_birth": "1950-04-02",
    "hospital_number": "h-0777",
    "sex": "female",
}


def _register(client, world, **overrides):
    return client.post(reverse("patient_register"), {"care_team": world.memory_clinic.pk, **NEW, **overrides})


def test_the_uploader_registers_a_patient_of_the_team(world, login):
    client = login(world.uploader)
    assert client.get(reverse("patient_register")).status_code == 200
    response = _register(client, world)
    identity = PatientIdentity.objects.get(hospital_number="H-0777")
    assert response.status_code == 302 and response.url == reverse(
        "patient_detail", args=[identity.patient.code]
    )
    assert identity.full_name == "Marie Curie" and identity.patient.care_team == world.memory_clinic
    assert identity.patient.sex == "female"
    assert AccessEvent.objects.filter(
        user=world.uploader, action="create", patient_code=identity.patient.code
    ).exists()
    assert "Marie Curie" in client.get(response.url).content.decode()


def test_registration_outside_a_care_team_is_a_404_audited_as_denied(world, login):
    for user in (world.statistician, world.admin):
        for response in (login(user).get(reverse("patient_register")), _register(login(user), world)):
            assert response.status_code == 404  # as for a patient one may not see: nothing said
            assert "Nothing was found at this address" in response.content.decode()
        assert (
            AccessEvent.objects.filter(
                user=user, outcome="denied", action="denied", object_type="patient_register"
            ).count()
            == 2
        )
    assert not PatientIdentity.objects.filter(hospital_number="H-0777").exists()


def test_a_care_team_cannot_register_into_another_team(world, login):
    response = _register(login(world.clinician), world, care_team=world.child_psychiatry.pk)
    assert response.status_code == 400
    assert not PatientIdentity.objects.filter(hospital_number="H-0777").exists()


def test_a_duplicate_in_the_team_is_refused_with_the_existing_pseudonym(world, login):
    before = Patient.objects.count()
    response = _register(login(world.clinician), world, hospital_number=" h-0001 ")
    html = response.content.decode()
    assert response.status_code == 400 and world.patient.code in html and "already registered" in html
    assert Patient.objects.count() == before


def test_another_teams_number_is_registered_without_a_word_about_their_patient(world, login):
    """H-0002 is Lucas Bernard of Child psychiatry: the memory clinic may use the same number
    (another hospital's numbering) and learns nothing about him."""
    response = _register(login(world.clinician), world, hospital_number="H-0002")
    assert response.status_code == 302
    html = login(world.clinician).get(response.url).content.decode()
    assert world.other_patient.code not in html and "Lucas" not in html
    assert PatientIdentity.objects.filter(hospital_number="H-0002").count() == 2


def test_bad_registration_input_gets_sentences_and_keeps_what_was_typed(world, login):
    response = _register(login(world.clinician), world, date_of_birth="2999-01-01", full_name="")
    html = response.content.decode()
    assert response.status_code == 400
    assert "in the future" in html and "full name" in html and "h-0777" in html


def test_a_misspelled_name_is_corrected_with_a_history(world, login):
    client = login(world.clinician)
    url = reverse("identity_correct", args=[world.patient.code])
    response = client.post(
        url,
        {
            "full_name": "Jeanne Martins",
            "date_of_birth": "1948-03-14",
            "hospital_number": "H-0001",
            "reason": "",
        },
    )
    assert response.status_code == 400 and "Say why" in response.content.decode()
    response = client.post(
        url,
        {
            "full_name": "Jeanne Martins",
            "date_of_birth": "1948-03-15",
            "hospital_number": "H-0001",
            "sex": "female",
            "reason": "typed wrongly at registration",
        },
    )
    assert response.status_code == 302
    identity = PatientIdentity.objects.get(patient=world.patient)
    assert (identity.full_name, identity.date_of_birth) == ("Jeanne Martins", date(1948, 3, 15))
    correction = IdentityCorrection.objects.get(identity=identity)
    assert correction.changes == {
        "full_name": ["Jeanne Martin", "Jeanne Martins"],
        "date_of_birth": ["1948-03-14", "1948-03-15"],
        "sex": ["not_recorded", "female"],
    }
    assert Patient.objects.get(pk=world.patient.pk).sex == "female"
    audit = AccessEvent.objects.get(
        action="update", object_type="patient_identity", patient_code=world.patient.code
    )
    assert audit.details["fields"] == ["date_of_birth", "full_name", "sex"]
    assert "Jeanne" not in str(audit.details)  # administrators read the audit log
    history = client.get(url).content.decode()
    assert "Jeanne Martin → Jeanne Martins" in history and "typed wrongly at registration" in history


def test_identity_corrections_belong_to_the_care_team(world, login):
    url = reverse("identity_correct", args=[world.patient.code])
    assert login(world.outsider).get(url).status_code == 404
    assert login(world.statistician).get(url).status_code == 404
    assert login(world.uploader).get(url).status_code == 200
    refused = AccessEvent.objects.filter(outcome="denied", object_type="identity_correct")
    assert {(e.username, e.patient_code) for e in refused} == {
        (world.outsider.username, world.patient.code),
        (world.statistician.username, world.patient.code),
    }


def test_search_finds_by_name_number_or_pseudonym_within_the_team(world, login):
    client = login(world.clinician)
    for query in ("jeanne", "h-0001", world.patient.code.lower()):
        html = client.get(reverse("patient_list"), {"q": query}).content.decode()
        assert world.patient.code in html, query
    html = client.get(reverse("patient_list"), {"q": "Lucas"}).content.decode()
    assert world.other_patient.code not in html and "No patient of your care teams matches" in html
    client.get(reverse("patient_list"), {"q": "Jeanne"})
    audit = (
        AccessEvent.objects.filter(user=world.clinician, patient_code=world.patient.code)
        .order_by("pk")
        .last()
    )
    assert audit.details["searched"] is True and "Jeanne" not in str(audit.details)


def test_a_session_is_corrected_and_its_results_move_with_the_date(world, login):
    session = make_session(world.patient, by=world.clinician)
    other = make_protocol("free-play", kind="free_play")
    url = reverse("session_edit", args=[world.patient.code, session.pk])
    client = login(world.uploader)
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "protocol": other.pk,
            "session_date": "2026-10-30",
            "clinician": world.colleague.pk,
            "notes": "moved",
        },
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.protocol, session.session_date, session.clinician) == (
        other,
        date(2026, 10, 30),
        world.colleague,
    )
    audit = AccessEvent.objects.get(action="update", object_type="session", object_id=str(session.pk))
    assert audit.details["before"]["session_date"] == "2026-11-02"
    assert sorted(audit.details["fields"]) == ["clinician", "notes", "protocol", "session_date"]
    assert "moved" not in str(audit.details)  # free-text notes stay out of the audit log


def test_a_session_correction_refuses_a_clinician_of_another_team_and_a_future_date(world, login):
    session = make_session(world.patient, by=world.clinician)
    url = reverse("session_edit", args=[world.patient.code, session.pk])
    client = login(world.clinician)
    response = client.post(url, {"protocol": session.protocol.pk, "session_date": "2999-01-01"})
    assert response.status_code == 400 and "future" in response.content.decode()
    assert login(world.outsider).get(url).status_code == 404

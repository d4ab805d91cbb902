"""A study's view of a patient: a random study pseudonym and a random non-zero date shift per
enrolment, drawn on every path that enrols (service, admin), never typed or shown in a form."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.services import study_create
from patients.models import StudyEnrolment
from patients.services import study_enrol
from patients.study_view import (
    date_shift,
    date_unshift,
    filter_shifted_dates,
    session_id_for_key,
    study_pseudonym,
    study_session_key,
)
from recordings.models import ClinicalSession
from tests.factories import make_session


def test_enrolment_draws_a_study_pseudonym_unrelated_to_the_patient_code(world):
    second = study_create(code="second-study", title="Second study")
    enrolment = study_enrol(patient=world.patient, study=second, by=world.clinician)
    assert enrolment.pseudonym.startswith("S-")
    assert world.patient.code[2:] not in enrolment.pseudonym
    first = world.study.enrolments.get(patient=world.patient)
    assert first.pseudonym != enrolment.pseudonym  # two studies cannot link the patient
    assert study_pseudonym(study=second, patient=world.patient) == enrolment.pseudonym
    with pytest.raises(LookupError):
        study_pseudonym(study=second, patient=world.other_patient)


def test_the_shift_is_never_zero_and_stays_in_the_studys_range(world):
    # A range of exactly one day leaves two outcomes, -1 and +1: 40 draws see both (chance of
    # missing one: 2 * 2^-40).
    narrow = study_create(code="narrow", title="Narrow", date_shift_min_days=1, date_shift_max_days=1)
    shifts = set()
    for _ in range(40):
        enrolment = StudyEnrolment.objects.create(study=narrow, patient=world.other_patient)
        shifts.add(enrolment.date_shift_days)
        enrolment.delete()
    assert shifts == {-1, 1}
    default = study_create(code="default", title="Default range")
    drawn = [StudyEnrolment(study=default, patient=world.patient, date_shift_days=None) for _ in range(200)]
    for enrolment in drawn:
        enrolment.draw_date_shift()
    assert all(1 <= abs(e.date_shift_days) <= 180 for e in drawn)
    assert min(e.date_shift_days for e in drawn) < 0 < max(e.date_shift_days for e in drawn)


def test_the_database_refuses_a_zero_shift_and_a_bad_range(world):
    enrolment = world.study.enrolments.get(patient=world.patient)
    with pytest.raises(IntegrityError), transaction.atomic():
        StudyEnrolment.objects.filter(pk=enrolment.pk).update(date_shift_days=0)
    with pytest.raises(ValidationError, match="largest date shift"):
        study_create(code="bad", title="Bad", date_shift_min_days=30, date_shift_max_days=10)


def test_an_enrolment_added_in_the_admin_gets_a_random_shift_no_one_types(world, login):
    world.admin.is_superuser = True
    world.admin.save()
    client = login(world.admin)
    add_url = reverse("admin:patients_studyenrolment_add")
    form = client.get(add_url).content.decode()
    assert "date_shift_days" not in form and "pseudonym" not in form
    response = client.post(
        add_url,
        {"study": world.study.pk, "patient": world.other_patient.pk, "date_shift_days": "0"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    enrolment = StudyEnrolment.objects.get(study=world.study, patient=world.other_patient)
    assert enrolment.date_shift_days != 0
    assert 1 <= abs(enrolment.date_shift_days) <= world.study.date_shift_max_days
    listing = client.get(reverse("admin:patients_studyenrolment_changelist")).content.decode()
    assert "column-date_shift_days" not in listing and "column-pseudonym" not in listing


def test_dates_shift_and_filters_apply_to_shifted_dates(world):
    enrolment = world.study.enrolments.get(patient=world.patient)  # shift -17 days
    assert date_shift(date(2026, 11, 2), enrolment=enrolment) == date(2026, 10, 16)
    assert date_unshift(date(2026, 10, 16), enrolment=enrolment) == date(2026, 11, 2)
    make_session(world.patient, by=world.clinician, on=date(2026, 11, 2))
    sessions = ClinicalSession.objects.filter(patient=world.patient)

    def dates(**bounds):
        filtered = filter_shifted_dates(sessions, study=world.study, date_path="session_date", **bounds)
        return list(filtered.values_list("session_date", flat=True))

    assert dates(date_from=date(2026, 10, 16), date_to=date(2026, 10, 16)) == [date(2026, 11, 2)]
    assert dates(date_from=date(2026, 11, 2), date_to=date(2026, 11, 2)) == []


def test_session_keys_are_stable_per_study_and_unrelated_across_studies(world):
    session = make_session(world.patient, by=world.clinician)
    second = study_create(code="second-study", title="Second study")
    in_first = world.study.enrolments.get(patient=world.patient)
    in_second = study_enrol(patient=world.patient, study=second, by=world.clinician)
    key = study_session_key(enrolment=in_first, session_id=session.pk)
    assert key == study_session_key(enrolment=in_first, session_id=session.pk)
    assert key.split("-")[-1] != study_session_key(enrolment=in_second, session_id=session.pk).split("-")[-1]
    ids = ClinicalSession.objects.values_list("pk", flat=True)
    assert session_id_for_key(study=world.study, key=key, session_ids=ids) == session.pk
    assert session_id_for_key(study=second, key=key, session_ids=ids) is None
    assert session_id_for_key(study=world.study, key="nonsense", session_ids=ids) is None

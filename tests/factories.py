"""Test data built with the ORM: personas in the style of healthchecks' alice/bob/charlie.

- clinician and colleague: clinicians of care team "Memory clinic" (patient `patient`)
- outsider: a clinician of another care team ("Child psychiatry", patient `other_patient`)
- uploader: hospital staff of the memory clinic
- statistician: member of study "apathy-2026", in which `patient` is enrolled
- admin: platform administrator, in no care team
"""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import CareTeam, Study
from accounts.roles import ALL_ROLES, Role
from patients.models import Consent, ConsentScope, Patient, PatientIdentity, StudyEnrolment
from recordings.models import ClinicalSession, Protocol

PASSWORD = "correct-horse-battery-staple"


def make_user(username: str, *roles: Role, care_teams=(), studies=()):
    for role in ALL_ROLES:
        Group.objects.get_or_create(name=role.value)
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, is_staff=Role.ADMIN in roles, email=f"{username}@example.org"
    )
    user.groups.set(Group.objects.filter(name__in=[r.value for r in roles]))
    for team in care_teams:
        team.members.add(user)
    for study in studies:
        study.members.add(user)
    return user


def make_patient(
    care_team: CareTeam, *, name: str, hospital_number: str, scopes=tuple(ConsentScope), by=None
):
    patient = Patient.objects.create(care_team=care_team)
    PatientIdentity.objects.create(
        patient=patient, full_name=name, date_of_birth=date(1948, 3, 14), hospital_number=hospital_number
    )
    for version, scope in enumerate(scopes, start=1):
        Consent.objects.create(
            patient=patient, scope=scope, version=version, given_at=timezone.now(), recorded_by=by
        )
    return patient


def make_protocol(code: str = "apathy-interview", kind: str = Protocol.Kind.APATHY_INTERVIEW) -> Protocol:
    protocol, _ = Protocol.objects.get_or_create(
        code=code, defaults={"name": code.replace("-", " "), "kind": kind}
    )
    return protocol


def make_session(patient: Patient, *, by, protocol: Protocol | None = None, on: date | None = None):
    return ClinicalSession.objects.create(
        patient=patient,
        protocol=protocol or make_protocol(),
        session_date=on or date(2026, 11, 2),
        clinician=by,
        created_by=by,
    )


@dataclass
class World:
    memory_clinic: CareTeam
    child_psychiatry: CareTeam
    study: Study
    clinician: object
    colleague: object
    outsider: object
    uploader: object
    statistician: object
    admin: object
    patient: Patient
    other_patient: Patient


def make_world() -> World:
    memory_clinic = CareTeam.objects.create(name="Memory clinic")
    child_psychiatry = CareTeam.objects.create(name="Child psychiatry")
    study = Study.objects.create(code="apathy-2026", title="Apathy in older adults 2026")
    clinician = make_user("clinician", Role.CLINICIAN, care_teams=[memory_clinic])
    colleague = make_user("colleague", Role.CLINICIAN, care_teams=[memory_clinic])
    outsider = make_user("outsider", Role.CLINICIAN, care_teams=[child_psychiatry])
    uploader = make_user("uploader", Role.UPLOADER, care_teams=[memory_clinic])
    statistician = make_user("statistician", Role.STATISTICIAN, studies=[study])
    admin = make_user("admin", Role.ADMIN)
    patient = make_patient(memory_clinic, name="Jeanne Martin", hospital_number="H-0001", by=clinician)
    other_patient = make_patient(
        child_psychiatry, name="Lucas Bernard", hospital_number="H-0002", by=outsider
    )
    StudyEnrolment.objects.create(study=study, patient=patient, date_shift_days=-17)
    return World(
        memory_clinic=memory_clinic,
        child_psychiatry=child_psychiatry,
        study=study,
        clinician=clinician,
        colleague=colleague,
        outsider=outsider,
        uploader=uploader,
        statistician=statistician,
        admin=admin,
        patient=patient,
        other_patient=other_patient,
    )

"""The permission module over every role: who may do what with which patient."""

import pytest

from accounts.permissions import Action, can, can_export, patients_for, restrict
from patients.models import Consent, ConsentScope, PatientIdentity

ALL = set(Action)
UPLOADER = {
    Action.VIEW_PATIENT,
    Action.VIEW_IDENTITY,
    Action.MANAGE_CONSENT,
    Action.REGISTER_SESSION,
    Action.UPLOAD,
    Action.MANAGE_JOBS,
}


@pytest.mark.parametrize(
    ("persona", "allowed_on_patient"),
    [
        ("clinician", ALL),
        ("colleague", ALL),
        ("outsider", set()),
        ("uploader", UPLOADER),
        ("statistician", {Action.VIEW_PATIENT, Action.VIEW_METRICS}),
        ("admin", {Action.VIEW_PATIENT, Action.MANAGE_JOBS}),
    ],
)
def test_it_grants_each_role_exactly_its_actions(world, persona, allowed_on_patient):
    user = getattr(world, persona)
    granted = {action for action in Action if can(user, action, world.patient)}
    assert granted == allowed_on_patient


def test_it_narrows_querysets_to_the_care_team(world):
    identities = restrict(PatientIdentity.objects.all(), world.outsider, Action.VIEW_IDENTITY)
    assert list(identities) == [world.other_patient.identity]


def test_it_drops_study_patients_whose_research_consent_is_withdrawn(world):
    from django.utils import timezone

    assert world.patient in patients_for(world.statistician, Action.VIEW_METRICS)
    Consent.objects.filter(patient=world.patient, scope=ConsentScope.RESEARCH_EXPORT).update(
        withdrawn_at=timezone.now(), withdrawn_by=world.clinician
    )
    assert world.patient not in patients_for(world.statistician, Action.VIEW_METRICS)


def test_it_lets_only_study_statisticians_export(world):
    assert can_export(world.statistician, world.study)
    assert not can_export(world.clinician, world.study)
    assert not can_export(world.admin, world.study)

"""The permission module over every role: who may do what with which patient."""

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from accounts.models import Study
from accounts.permissions import (
    PATIENT_ACTIONS,
    Action,
    allowed_actions,
    can,
    can_export,
    can_manage_models,
    can_view_audit_log,
    patients_for,
    restrict,
    studies_for,
)
from patients.models import Consent, ConsentScope, PatientIdentity, StudyEnrolment
from results.models import BehaviourEvent, MetricSample

ALL = set(PATIENT_ACTIONS)
UPLOADER = {
    Action.VIEW_PATIENT,
    Action.VIEW_IDENTITY,
    Action.VIEW_CARE_RECORD,
    Action.VIEW_NOTES,
    Action.VIEW_CONSENT,
    Action.MANAGE_CONSENT,
    Action.REGISTER_SESSION,
    Action.UPLOAD,
    Action.MANAGE_JOBS,
    Action.REGISTER_PATIENT,
    Action.CORRECT_IDENTITY,
    Action.EDIT_SESSION,
}


@pytest.mark.parametrize(
    ("persona", "allowed_on_patient"),
    [
        ("clinician", ALL),
        ("colleague", ALL),
        ("outsider", set()),
        ("uploader", UPLOADER),
        ("statistician", set()),  # only through the study: see below
        ("admin", {Action.VIEW_PATIENT, Action.MANAGE_JOBS, Action.VIEW_CONSENT}),
    ],
)
def test_it_grants_each_role_exactly_its_actions(world, persona, allowed_on_patient):
    user = getattr(world, persona)
    granted = {action for action in PATIENT_ACTIONS if can(user, action, world.patient)}
    assert granted == allowed_on_patient


@pytest.mark.parametrize(
    ("persona", "allowed_through_the_study"),
    [
        ("clinician", set()),
        ("outsider", set()),
        ("uploader", set()),
        ("statistician", {Action.VIEW_PATIENT, Action.VIEW_METRICS}),
        ("admin", set()),
    ],
)
def test_study_members_reach_study_patients_only_through_the_study(world, persona, allowed_through_the_study):
    user = getattr(world, persona)
    granted = {action for action in Action if can(user, action, world.patient, study=world.study)}
    assert granted == allowed_through_the_study


def test_it_narrows_querysets_to_the_care_team(world):
    identities = restrict(PatientIdentity.objects.all(), world.outsider, Action.VIEW_IDENTITY)
    assert list(identities) == [world.other_patient.identity]


def test_it_drops_study_patients_whose_research_consent_is_withdrawn(world):
    assert world.patient in patients_for(world.statistician, Action.VIEW_METRICS, study=world.study)
    Consent.objects.filter(patient=world.patient, scope=ConsentScope.RESEARCH_EXPORT).update(
        withdrawn_at=timezone.now(), withdrawn_by=world.clinician
    )
    assert world.patient not in patients_for(world.statistician, Action.VIEW_METRICS, study=world.study)


def test_it_lets_only_study_statisticians_export(world):
    assert can_export(world.statistician, world.study)
    assert not can_export(world.clinician, world.study)
    assert not can_export(world.admin, world.study)


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("clinician", {"patient"}),
        ("colleague", {"patient"}),
        ("outsider", {"other_patient"}),
        ("uploader", {"patient"}),
        ("statistician", set()),
        ("admin", {"patient", "other_patient"}),
    ],
)
def test_each_role_sees_exactly_its_patients(world, persona, visible):
    user = getattr(world, persona)
    expected = {getattr(world, name).pk for name in visible}
    assert set(patients_for(user, Action.VIEW_PATIENT).values_list("pk", flat=True)) == expected


@pytest.mark.parametrize("persona", ["statistician", "admin", "outsider"])
def test_identity_never_reaches_anyone_outside_the_care_team(world, persona):
    identities = restrict(PatientIdentity.objects.all(), getattr(world, persona), Action.VIEW_IDENTITY)
    assert world.patient.identity not in identities


def test_anonymous_and_inactive_users_may_do_nothing(world):
    world.clinician.is_active = False
    world.clinician.save()
    for user in (AnonymousUser(), world.clinician, None):
        assert not any(can(user, action, world.patient) for action in Action)


def test_a_study_patient_is_seen_only_while_enrolled(world):
    assert can(world.statistician, Action.VIEW_METRICS, world.patient, study=world.study)
    StudyEnrolment.objects.filter(patient=world.patient).delete()
    assert not can(world.statistician, Action.VIEW_METRICS, world.patient, study=world.study)


def test_restrict_knows_every_patient_data_model(world):
    for label in ("patients", "recordings", "results", "audit"):
        for model in apps.get_app_config(label).get_models():
            if model.__name__ in (
                "Protocol",
                "EthogramLabel",
                "ProtocolTask",
                "ModelVersion",
                "GestureReference",
            ):
                continue  # not patient data
            if model.__name__ == "AccessEvent":
                continue  # names patients by pseudonym only; admins read it as the audit log (a role action)
            restrict(model.objects.all(), world.clinician, Action.VIEW_PATIENT).count()
    with pytest.raises(ValueError, match="not a patient-data model"):
        restrict(Study.objects.all(), world.clinician, Action.VIEW_PATIENT)
    assert not restrict(MetricSample.objects.all(), world.outsider, Action.VIEW_METRICS).exists()
    assert not restrict(BehaviourEvent.objects.all(), world.uploader, Action.VIEW_METRICS).exists()


def test_only_admins_read_the_audit_log_and_manage_models(world):
    for persona in ("clinician", "colleague", "outsider", "uploader", "statistician", "admin"):
        user = getattr(world, persona)
        assert can_view_audit_log(user) == (persona == "admin")
        assert can_manage_models(user) == (persona == "admin")


def test_studies_for_each_role(world):
    assert list(studies_for(world.statistician)) == [world.study]
    assert list(studies_for(world.admin)) == [world.study]
    assert not studies_for(world.clinician).exists()


@pytest.mark.parametrize(
    "persona", ["clinician", "colleague", "outsider", "uploader", "statistician", "admin"]
)
def test_allowed_actions_agrees_with_can_for_every_action(world, persona):
    user = getattr(world, persona)
    for patient in (world.patient, world.other_patient):
        assert allowed_actions(user, patient) == {action for action in Action if can(user, action, patient)}

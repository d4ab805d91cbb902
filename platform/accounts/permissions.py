"""The one place that decides who may do what with which patient's data.

Every view, API endpoint, Dash callback and export asks this module, never its own rules.
A permission is an Action on a Patient; the role (a Django group) says which actions a user
may take, and membership says on which patients:

- care team member with role clinician: every action on the team's patients;
- care team member with role uploader: register sessions, record consent, upload and see the
  patient's identity (to pick the right person); no video playback, no metrics, no review;
- study member with role statistician: pseudonymised metrics and events of patients enrolled
  in that study whose *current* consent includes research_export; never identity, never video;
  and only through that study (`study=` below, the study-scoped API under /api/v1/studies/<id>/),
  so that what they read is always under the study's pseudonym and date shift;
- admin: operational access (pseudonyms, analysis jobs) and the audit log; patient data only
  through care-team membership like anyone else.

`restrict(queryset, user, action)` narrows any patient-data queryset to what the user may see,
so that list views, the API and dashboards all share one rule. Without a study, the study route
is closed: care-team pages and endpoints never serve study members. Actions that concern no
patient (the pages of a role, the audit log, tokens) are answered by `may(user, action)`.

A refusal on a patient is a 404 (`require` raises PatientRefused, an Http404): a forbidden
patient and an unknown one give the same answer, so that pseudonyms and ids do not leak.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404

from accounts.models import CareTeam, Study
from accounts.roles import Role
from patients.models import ConsentScope, Patient


class Action(StrEnum):
    # On a patient (can, require, patients_for, restrict).
    VIEW_PATIENT = "view_patient"  # pseudonym, sessions, job status
    VIEW_IDENTITY = "view_identity"  # name, date of birth, hospital number
    VIEW_CARE_RECORD = "view_care_record"  # the care team's patient page and its forms
    VIEW_NOTES = "view_notes"  # free text the care team wrote (session notes)
    VIEW_CONSENT = "view_consent"  # consent metadata: scope, version, dates, who recorded it
    MANAGE_CONSENT = "manage_consent"
    REGISTER_SESSION = "register_session"
    UPLOAD = "upload"
    VIEW_VIDEO = "view_video"  # stream the video and its tracks overlay
    VIEW_METRICS = "view_metrics"  # metric samples, behaviour events
    VIEW_CLINICAL_PAGES = "view_clinical_pages"  # dashboards and session pages (real dates, video)
    REVIEW_EVENTS = "review_events"
    MANAGE_JOBS = "manage_jobs"  # retry or cancel an analysis
    REGISTER_PATIENT = "register_patient"  # on a care team: add a patient to it
    CORRECT_IDENTITY = "correct_identity"  # fix a misspelled name, birth date, hospital number
    EDIT_SESSION = "edit_session"  # date, protocol, clinician, notes of a registered session
    CHOOSE_ANALYSED_PERSON = "choose_analysed_person"  # say which tracked person is the patient
    REQUEST_ERASURE = "request_erasure"  # ask that everything of the patient be erased
    MARK_TASKS = "mark_tasks"  # mark, accept, correct or delete the tasks of a semi-guided session
    # Of a role, on no patient (may).
    USE_CARE_TEAM_PAGES = "use_care_team_pages"  # patient list, patient pages
    USE_DASHBOARDS = "use_dashboards"
    USE_STUDY_PAGES = "use_study_pages"
    VIEW_AUDIT_LOG = "view_audit_log"
    MANAGE_MODELS = "manage_models"  # model registry, model-vs-clinician agreement
    MANAGE_OWN_TOKENS = "manage_own_tokens"  # create, list and revoke one's own API tokens
    CONFIRM_ERASURE = "confirm_erasure"  # the second person of an erasure (never the one who asked)
    REVOKE_ANY_TOKEN = "revoke_any_token"  # noqa: S105 (a name); never create one for another user


PATIENT_ACTIONS = frozenset(
    {
        Action.VIEW_PATIENT,
        Action.VIEW_IDENTITY,
        Action.VIEW_CARE_RECORD,
        Action.VIEW_NOTES,
        Action.VIEW_CONSENT,
        Action.MANAGE_CONSENT,
        Action.REGISTER_SESSION,
        Action.UPLOAD,
        Action.VIEW_VIDEO,
        Action.VIEW_METRICS,
        Action.VIEW_CLINICAL_PAGES,
        Action.REVIEW_EVENTS,
        Action.MANAGE_JOBS,
        Action.REGISTER_PATIENT,
        Action.CORRECT_IDENTITY,
        Action.EDIT_SESSION,
        Action.CHOOSE_ANALYSED_PERSON,
        Action.REQUEST_ERASURE,
        Action.MARK_TASKS,
    }
)
CARE_TEAM_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.CLINICIAN: PATIENT_ACTIONS,
    Role.UPLOADER: frozenset(
        {
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
    ),
}
STUDY_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.STATISTICIAN: frozenset({Action.VIEW_PATIENT, Action.VIEW_METRICS}),
}
# Operational access to every patient: pseudonyms, jobs and consent metadata, never identity,
# free text, video or metrics (those only through care-team membership, like anyone else).
ADMIN_ACTIONS = frozenset({Action.VIEW_PATIENT, Action.MANAGE_JOBS, Action.VIEW_CONSENT})
ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.CLINICIAN: frozenset({Action.USE_CARE_TEAM_PAGES, Action.USE_DASHBOARDS, Action.MANAGE_OWN_TOKENS}),
    Role.UPLOADER: frozenset({Action.USE_CARE_TEAM_PAGES, Action.MANAGE_OWN_TOKENS}),
    Role.STATISTICIAN: frozenset({Action.USE_STUDY_PAGES, Action.MANAGE_OWN_TOKENS}),
    Role.ADMIN: frozenset(
        {
            Action.USE_STUDY_PAGES,
            Action.VIEW_AUDIT_LOG,
            Action.MANAGE_MODELS,
            Action.MANAGE_OWN_TOKENS,
            Action.REVOKE_ANY_TOKEN,
            Action.CONFIRM_ERASURE,
        }
    ),
}

NOT_FOUND_MESSAGE = "Nothing was found at this address, or you are not allowed to see it."


class PatientRefused(Http404):
    """An action on a patient was refused: answered as a 404, like an unknown patient, and
    audited as a refusal (it carries the action and the patient)."""

    def __init__(self, action: Action, patient: Patient | None) -> None:
        super().__init__(NOT_FOUND_MESSAGE)
        self.action = action
        self.patient = patient


# How each patient-data model reaches its patient.
PATIENT_PATHS: dict[str, str] = {
    "patients.patient": "pk",
    "patients.patientidentity": "patient",
    "patients.identitycorrection": "identity__patient",
    "patients.erasurerequest": "patient",
    "patients.consent": "patient",
    "patients.studyenrolment": "patient",
    "recordings.clinicalsession": "patient",
    "recordings.recording": "session__patient",
    "recordings.chunkedupload": "session__patient",
    "results.analysisjob": "recording__session__patient",
    "results.metricsample": "patient",
    "results.behaviourevent": "patient",
    "results.eventreview": "event__patient",
    "results.codedevent": "session__patient",
    "results.tasksegment": "session__patient",
    "results.speechsegment": "patient",
    "results.eyecontactepisode": "patient",
}


def user_roles(user: Any) -> frozenset[Role]:
    """The user's roles (cached on the user object for the request). Superusers are admins."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_platform_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = frozenset(role for role in Role if role.value in names)
        if user.is_superuser:
            cached = cached | {Role.ADMIN}
        user._platform_roles = cached
    return cached


def has_role(user: Any, role: Role) -> bool:
    return role in user_roles(user)


def patients_for(user: Any, action: Action, *, study: Study | None = None) -> QuerySet[Patient]:
    """Every patient on whom the user may take this action: through care teams (and the admin
    role) when no study is given; through membership of `study` only when one is."""
    roles = user_roles(user)
    allowed = Patient.objects.none()
    if not roles:
        return allowed
    if study is not None:
        if any(action in STUDY_ACTIONS.get(role, ()) for role in roles) and (
            study.members.filter(pk=user.pk).exists()
        ):
            allowed = research_export_patients(study)
        return allowed.distinct()
    care_team_roles = [role for role in roles if action in CARE_TEAM_ACTIONS.get(role, ())]
    if care_team_roles:
        allowed = allowed | Patient.objects.filter(care_team__members=user)
    if Role.ADMIN in roles and action in ADMIN_ACTIONS:
        allowed = Patient.objects.all()
    return allowed.distinct()


def care_teams_for(user: Any, action: Action) -> QuerySet[CareTeam]:
    """The care teams on which the user may take a team-level action (REGISTER_PATIENT): those
    the user belongs to with a role that grants it."""
    if not any(action in CARE_TEAM_ACTIONS.get(role, ()) for role in user_roles(user)):
        return CareTeam.objects.none()
    return CareTeam.objects.filter(members=user).order_by("name")


def can(user: Any, action: Action, patient: Patient, *, study: Study | None = None) -> bool:
    """May this user take this action on this patient (through `study`, when given)?"""
    if patient is None or patient.pk is None:
        return False
    return patients_for(user, action, study=study).filter(pk=patient.pk).exists()


def allowed_actions(user: Any, patient: Patient) -> frozenset[Action]:
    """Every action the user may take on this patient outside any study, in at most one query:
    for pages that show or hide many controls at once. The same rules as patients_for (a test
    checks that)."""
    roles = user_roles(user)
    if not roles or patient is None or patient.pk is None:
        return frozenset()
    allowed: set[Action] = set(ADMIN_ACTIONS) if Role.ADMIN in roles else set()
    care_team_roles = [role for role in roles if role in CARE_TEAM_ACTIONS]
    if care_team_roles and Patient.objects.filter(pk=patient.pk, care_team__members=user).exists():
        for role in care_team_roles:
            allowed |= CARE_TEAM_ACTIONS[role]
    return frozenset(allowed)


def require(user: Any, action: Action, patient: Patient | None) -> None:
    """Raise PatientRefused (HTTP 404, audited) unless `can(user, action, patient)`."""
    if not can(user, action, patient):
        raise PatientRefused(action, patient)


def require_patient(user: Any, action: Action, **lookup: Any) -> Patient:
    """The patient matching the lookup (e.g. code=...) if the user may take this action on
    them; otherwise PatientRefused (404), whether the patient is unknown or forbidden."""
    patient = Patient.objects.select_related("care_team").filter(**lookup).first()
    require(user, action, patient)
    return patient


def may(user: Any, action: Action) -> bool:
    """May this user take an action that concerns no patient (a role's pages, the audit log)?"""
    return any(action in ROLE_ACTIONS.get(role, ()) for role in user_roles(user))


def require_role_action(user: Any, action: Action, message: str) -> None:
    """Raise PermissionDenied (HTTP 403, audited) unless `may(user, action)`."""
    if not may(user, action):
        raise PermissionDenied(message)


def restrict(
    queryset: QuerySet[Model], user: Any, action: Action, *, study: Study | None = None
) -> QuerySet[Model]:
    """Narrow a queryset of any patient-data model to the rows the user may act on (through
    `study`, when given)."""
    label = queryset.model._meta.label_lower
    try:
        path = PATIENT_PATHS[label]
    except KeyError:
        raise ValueError(f"{label} is not a patient-data model known to accounts.permissions") from None
    return queryset.filter(**{f"{path}__in": patients_for(user, action, study=study).values("pk")})


def can_export(user: Any, study: Study) -> bool:
    """Study exports and the study-scoped API: statisticians who are members of the study."""
    return has_role(user, Role.STATISTICIAN) and study.members.filter(pk=user.pk).exists()


def studies_for(user: Any) -> QuerySet[Study]:
    if has_role(user, Role.ADMIN):
        return Study.objects.all()
    if has_role(user, Role.STATISTICIAN):
        return Study.objects.filter(members=user)
    return Study.objects.none()


def research_export_patients(study: Study) -> QuerySet[Patient]:
    """The patients of a study whose current consent includes research_export: the only ones
    whose data a study member reads or exports."""
    return Patient.objects.filter(
        enrolments__study=study,
        consents__scope=ConsentScope.RESEARCH_EXPORT,
        consents__withdrawn_at__isnull=True,
    ).distinct()


def can_view_audit_log(user: Any) -> bool:
    return may(user, Action.VIEW_AUDIT_LOG)


def can_confirm_erasure(user: Any, erasure: Any) -> bool:
    """The second person of an erasure: an administrator who did not ask for it (a clinician of
    the care team asks: Action.REQUEST_ERASURE)."""
    return may(user, Action.CONFIRM_ERASURE) and erasure.requested_by_id != getattr(user, "pk", None)


def can_view_erasures(user: Any) -> bool:
    """The erasure requests page: administrators, who confirm them."""
    return may(user, Action.CONFIRM_ERASURE)


def can_manage_models(user: Any) -> bool:
    """Register and activate model versions, see model-vs-clinician agreement."""
    return may(user, Action.MANAGE_MODELS)

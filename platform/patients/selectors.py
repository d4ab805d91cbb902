"""Reads about patients and their consent.

Every selector that takes a user narrows through accounts.permissions: the care-team pages list
the patients on whom the user holds VIEW_CARE_RECORD (a statistician's study patients are
reached through exports and the API, never through these pages).
"""

from django.db.models import Max, Q, QuerySet

from accounts.permissions import Action, patients_for, require_patient
from patients.models import Consent, IdentityCorrection, Patient


def consent_active_scopes(*, patient: Patient) -> set[str]:
    """The scopes the patient's current consent includes."""
    return set(
        Consent.objects.filter(patient=patient, withdrawn_at__isnull=True).values_list("scope", flat=True)
    )


def care_team_patients(*, user, action: Action = Action.VIEW_PATIENT) -> QuerySet[Patient]:
    """The patients whose care record the user may open and on whom they may take this action."""
    care_records = patients_for(user, Action.VIEW_CARE_RECORD)
    if action == Action.VIEW_CARE_RECORD:
        return care_records
    return care_records.filter(pk__in=patients_for(user, action).values("pk"))


def patient_list(*, user, search: str = "") -> QuerySet[Patient]:
    """The patient list page: pseudonyms of the user's care teams, with the last session date.

    `search` matches the pseudonym for everyone, and the name or hospital number only of the
    patients whose identity the user may see (so a search cannot probe hidden identities).
    """
    patients = care_team_patients(user=user)
    search = " ".join(search.split())
    if search:
        identity_visible = patients_for(user, Action.VIEW_IDENTITY).values("pk")
        by_identity = Q(pk__in=identity_visible) & (
            Q(identity__full_name__icontains=search) | Q(identity__hospital_number__icontains=search)
        )
        patients = patients.filter(Q(code__icontains=search) | by_identity)
    return (
        patients.select_related("care_team", "identity")
        .annotate(last_session_date=Max("sessions__session_date"))
        .order_by("code")
    )


def identity_corrections(*, patient: Patient) -> QuerySet[IdentityCorrection]:
    """The patient's identity corrections, newest first (the care team's audited history)."""
    return IdentityCorrection.objects.filter(identity__patient=patient).select_related("corrected_by")


def patient_get_visible(*, user, code: str) -> Patient:
    """The patient with this pseudonym if the user may open their care record, else the 404 of
    an unknown patient (accounts.permissions.PatientRefused)."""
    return require_patient(user, Action.VIEW_CARE_RECORD, code=code)


def consent_history(*, patient: Patient) -> QuerySet[Consent]:
    """Every consent row of the patient, newest version first."""
    return (
        Consent.objects.filter(patient=patient)
        .select_related("recorded_by", "withdrawn_by")
        .order_by("-version")
    )

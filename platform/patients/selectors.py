"""Reads about patients and their consent."""

from patients.models import Consent, Patient


def consent_active_scopes(*, patient: Patient) -> set[str]:
    """The scopes the patient's current consent includes."""
    return set(Consent.objects.filter(patient=patient, withdrawn_at__isnull=True).values_list("scope", flat=True))

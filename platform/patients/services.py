"""Writes about patients and their consent.

Consent is append-only: a grant is a new row with the patient's next version; a withdrawal sets
withdrawn_at once. What a withdrawal does to recordings and results is care.withdrawal's.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.errors import ApplicationError
from accounts.models import CareTeam
from audit.models import AccessEvent
from audit.services import access_record
from patients.models import (
    Consent,
    ConsentScope,
    IdentityCorrection,
    Patient,
    PatientIdentity,
    Sex,
    StudyEnrolment,
)
from patients.selectors import consent_active_scopes

_PSEUDONYM_ATTEMPTS = 5


def _normalised_hospital_number(hospital_number: str) -> str:
    return " ".join(hospital_number.split()).upper()


def _hospital_number_taken(
    *, care_team: CareTeam, hospital_number: str, exclude: Patient | None = None
) -> Patient | None:
    """The patient of this care team who already holds this hospital number, if any. Only the
    team's own patients are looked at: another team's numbering is none of its business."""
    identities = PatientIdentity.objects.filter(
        patient__care_team=care_team, hospital_number__iexact=hospital_number
    ).select_related("patient")
    if exclude is not None:
        identities = identities.exclude(patient=exclude)
    identity = identities.first()
    return identity.patient if identity else None


@transaction.atomic
def patient_create(
    *,
    care_team: CareTeam,
    full_name: str,
    date_of_birth: date,
    hospital_number: str,
    by: Any,
    sex: str = Sex.NOT_RECORDED,
    request: Any = None,
) -> Patient:
    """A patient with a generated pseudonym and their identity, kept in a separate table.

    Hospital numbers are unique within a care team; the team row is locked while checking so
    that two registrations of the same number at once cannot both pass.
    """
    full_name = " ".join(full_name.split())
    hospital_number = _normalised_hospital_number(hospital_number)
    if not full_name or not hospital_number:
        raise ApplicationError("Enter the patient's full name and hospital number.")
    if date_of_birth > timezone.localdate():
        raise ApplicationError("The date of birth is in the future. Check the year.")
    CareTeam.objects.select_for_update().get(pk=care_team.pk)
    existing = _hospital_number_taken(care_team=care_team, hospital_number=hospital_number)
    if existing is not None:
        raise ApplicationError(
            f"Hospital number {hospital_number} is already registered in {care_team.name} as "
            f"patient {existing.code}. Open that patient instead of registering them twice.",
            extra={"field": "hospital_number", "existing": existing.code},
        )
    for _attempt in range(_PSEUDONYM_ATTEMPTS):
        patient = Patient(care_team=care_team, sex=sex)
        patient.full_clean()
        try:
            with transaction.atomic():
                patient.save()
            break
        except IntegrityError:  # pseudonym collision: draw another one
            continue
    else:
        raise ApplicationError("No free pseudonym could be drawn. Try again.")
    identity = PatientIdentity(
        patient=patient, full_name=full_name, date_of_birth=date_of_birth, hospital_number=hospital_number
    )
    identity.full_clean()
    identity.save()
    access_record(
        user=by,
        action=AccessEvent.Action.CREATE,
        object_type="patient",
        object_id=patient.pk,
        patient=patient,
        request=request,
    )
    return patient


_IDENTITY_FIELDS = ("full_name", "date_of_birth", "hospital_number")
_PATIENT_FIELDS = ("sex",)  # stored on Patient (studies receive it), corrected with the identity


@transaction.atomic
def patient_identity_correct(
    *,
    patient: Patient,
    by: Any,
    reason: str,
    request: Any = None,
    **values: Any,
) -> IdentityCorrection | None:
    """Correct the patient's identity (full_name, date_of_birth, hospital_number, and sex, which
    is kept on the patient) and keep the values before and after in an IdentityCorrection. The caller has checked
    Action.CORRECT_IDENTITY. Returns None when nothing changed (nothing is written)."""
    unknown = set(values) - set(_IDENTITY_FIELDS) - set(_PATIENT_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown identity field: {', '.join(sorted(unknown))}.")
    reason = reason.strip()
    if not reason:
        raise ApplicationError("Say why the identity is corrected (e.g. 'name misspelled at registration').")
    identity = (
        PatientIdentity.objects.select_for_update().select_related("patient__care_team").get(patient=patient)
    )
    if "full_name" in values:
        values["full_name"] = " ".join(str(values["full_name"]).split())
    if "hospital_number" in values:
        values["hospital_number"] = _normalised_hospital_number(str(values["hospital_number"]))
    if not values.get("full_name", identity.full_name) or not values.get(
        "hospital_number", identity.hospital_number
    ):
        raise ApplicationError("The full name and the hospital number cannot be empty.")
    if values.get("date_of_birth") and values["date_of_birth"] > timezone.localdate():
        raise ApplicationError("The date of birth is in the future. Check the year.")
    patient = identity.patient

    def current(name: str) -> Any:
        return getattr(patient if name in _PATIENT_FIELDS else identity, name)

    changes = {
        name: [str(current(name)), str(value)]
        for name, value in values.items()
        if value is not None and current(name) != value
    }
    if not changes:
        return None
    if "hospital_number" in changes:
        CareTeam.objects.select_for_update().get(pk=patient.care_team_id)
        existing = _hospital_number_taken(
            care_team=patient.care_team, hospital_number=values["hospital_number"], exclude=patient
        )
        if existing is not None:
            raise ApplicationError(
                f"Hospital number {values['hospital_number']} already belongs to patient {existing.code} "
                "of this care team. Nothing was changed.",
                extra={"field": "hospital_number", "existing": existing.code},
            )
    identity_fields = [name for name in changes if name in _IDENTITY_FIELDS]
    patient_fields = [name for name in changes if name in _PATIENT_FIELDS]
    for name in changes:
        setattr(patient if name in _PATIENT_FIELDS else identity, name, values[name])
    if identity_fields:
        identity.full_clean()
        identity.save(update_fields=identity_fields)
    if patient_fields:
        patient.full_clean()
        patient.save(update_fields=patient_fields)
    correction = IdentityCorrection(identity=identity, changes=changes, reason=reason, corrected_by=by)
    correction.full_clean()
    correction.save()
    access_record(
        user=by,
        action=AccessEvent.Action.UPDATE,
        object_type="patient_identity",
        object_id=patient.pk,
        patient=patient,
        # Field names only: the audit log is read by administrators, who never see identity.
        details={"fields": sorted(changes), "correction_id": correction.pk},
        request=request,
    )
    return correction


def _lock(patient: Patient) -> Patient:
    """Serialise consent changes of one patient (versions are per patient)."""
    return Patient.objects.select_for_update().get(pk=patient.pk)


@transaction.atomic
def consent_record(
    *,
    patient: Patient,
    scopes: Iterable[str],
    by: Any,
    document: File | None = None,
    note: str = "",
    given_at: datetime | None = None,
) -> list[Consent]:
    """Record the patient's grant of one or more scopes, one new row (and version) per scope.

    A scope that is already active cannot be granted twice: withdraw it first. The signed
    document, if any, is stored once and referenced by every row of this grant.
    """
    scopes = list(dict.fromkeys(scopes))
    if not scopes:
        raise ApplicationError("Choose at least one consent scope to record.")
    unknown = [scope for scope in scopes if scope not in ConsentScope.values]
    if unknown:
        raise ApplicationError(f"Unknown consent scope: {', '.join(unknown)}.")
    patient = _lock(patient)
    already = sorted(set(scopes) & consent_active_scopes(patient=patient))
    if already:
        labels = ", ".join(ConsentScope(scope).label for scope in already)
        raise ApplicationError(
            f"Patient {patient.code} already consents to: {labels}. Nothing was recorded; "
            "withdraw a scope before recording it again."
        )
    given_at = given_at or timezone.now()
    if given_at > timezone.now():
        raise ApplicationError("The consent date is in the future. Enter the date it was signed.")
    last = (
        Consent.objects.filter(patient=patient).order_by("-version").values_list("version", flat=True).first()
    )
    version = last or 0
    created: list[Consent] = []
    stored_document = ""
    for scope in scopes:
        version += 1
        consent = Consent(
            patient=patient, scope=scope, version=version, given_at=given_at, recorded_by=by, note=note
        )
        if document is not None and not stored_document:
            consent.document.save(document.name or "consent", document, save=False)
            stored_document = consent.document.name
        elif stored_document:
            consent.document.name = stored_document
        consent.full_clean()
        consent.save()
        created.append(consent)
    access_record(
        user=by,
        action=AccessEvent.Action.CREATE,
        object_type="consent",
        object_id=",".join(str(consent.pk) for consent in created),
        patient=patient,
        details={"scopes": scopes, "versions": [consent.version for consent in created]},
    )
    return created


@transaction.atomic
def consent_withdrawal_record(*, patient: Patient, scope: str, by: Any, note: str = "") -> Consent:
    """Mark one active scope withdrawn, audited. Its consequences for recordings and results are
    care.withdrawal.consent_withdraw's, which calls this in the same transaction."""
    patient = _lock(patient)
    consent = Consent.objects.filter(patient=patient, scope=scope, withdrawn_at__isnull=True).first()
    if consent is None:
        label = ConsentScope(scope).label if scope in ConsentScope.values else scope
        raise ApplicationError(
            f"Patient {patient.code} has no active consent to {label}; nothing was withdrawn."
        )
    consent.withdrawn_at = timezone.now()
    consent.withdrawn_by = by
    consent.withdrawal_note = note
    consent.full_clean()
    consent.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_note"])
    access_record(
        user=by,
        action=AccessEvent.Action.UPDATE,
        object_type="consent",
        object_id=consent.pk,
        patient=patient,
        details={"withdrawn_scope": scope, "version": consent.version},
    )
    return consent


@transaction.atomic
def study_enrol(*, patient: Patient, study: Any, by: Any) -> StudyEnrolment:
    """Enrol a patient in a study (idempotent). The enrolment draws the study's pseudonym of the
    patient and a random non-zero date shift within the study's range (patients.study_view).

    Enrolment alone exposes nothing: statisticians see a patient only while their current
    consent includes research_export (accounts.permissions).
    """
    enrolment = StudyEnrolment.objects.filter(study=study, patient=patient).first()
    if enrolment is not None:
        return enrolment
    for _attempt in range(_PSEUDONYM_ATTEMPTS):
        enrolment = StudyEnrolment(study=study, patient=patient)
        enrolment.draw_date_shift()
        enrolment.full_clean()
        try:
            with transaction.atomic():
                enrolment.save()
            break
        except IntegrityError:  # study pseudonym collision: draw another one
            continue
    else:
        raise ApplicationError("No free study pseudonym could be drawn. Try again.")
    access_record(
        user=by,
        action=AccessEvent.Action.CREATE,
        object_type="study_enrolment",
        object_id=enrolment.pk,
        patient=patient,
        details={"study": study.code},
    )
    return enrolment

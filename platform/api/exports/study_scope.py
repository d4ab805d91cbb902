"""Which sessions a study export holds and the keys and covariates of each session.

A study sees: patients enrolled in it whose current consent includes research_export; each
under its study pseudonym, with dates shifted by the enrolment's offset (patients.study_view).
Per session it gets the study's session key (session_id), which links the rows of every export
of the study, the visit number among all of the patient's sessions (so it does
not change with filters), the session day counted from the patient's first exported session
(day 0), and the covariates the care team recorded: age at the session (or an age band), sex,
group or arm and diagnosis group. Identity never leaves: age is computed here from the date of
birth and only the age goes out.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import QuerySet

from accounts.models import Study
from accounts.permissions import research_export_patients
from patients.models import Patient, PatientIdentity, Sex
from patients.study_view import date_shift, study_enrolments, study_session_key
from recordings.models import ClinicalSession

_DAYS_PER_YEAR = 365.2425


@dataclass(frozen=True)
class ExportRequest:
    """A validated request; dates are on the study's (shifted) calendar."""

    study: Study
    metrics: tuple[str, ...] = ()
    metric_prefixes: tuple[str, ...] = ()
    protocols: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    pipeline_version: str = ""
    shape: str = "long"
    filters: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class SessionKey:
    """One exported session as the study sees it."""

    session_pk: int
    patient_pk: int
    order: int
    pseudonym: str
    session_id: str
    visit_number: int
    session_date: date
    session_day: int
    protocol: str
    age: float | str | None
    sex: str | None
    group: str | None
    diagnosis_group: str | None

    def columns(self) -> tuple:
        """The session's key and covariate columns, in the order every study table starts with
        after the study code (pseudonym through diagnosis_group)."""
        return (
            self.pseudonym,
            self.session_id,
            self.visit_number,
            self.session_date,
            self.session_day,
            self.protocol,
            self.age,
            self.sex,
            self.group,
            self.diagnosis_group,
        )


def consenting_patients(study: Study) -> QuerySet[Patient]:
    """Enrolled patients whose current consent includes research_export (accounts.permissions)."""
    return research_export_patients(study)


def age_value(study: Study, born: date | None, on: date) -> float | str | None:
    """Age at the session in years with one decimal, or its band ("70-74") when the study
    exports bands; None when no date of birth is recorded."""
    if born is None:
        return None
    years = (on - born).days / _DAYS_PER_YEAR
    if not study.age_band_years:
        return round(years, 1)
    width = study.age_band_years
    low = int(years // width) * width
    return f"{low}-{low + width - 1}"


def session_keys(request: ExportRequest, session_pks: set[int]) -> list[SessionKey]:
    """Keys of the given sessions that pass the protocol and (shifted) date filters, in export
    order: by pseudonym, then date. session_pks are sessions that hold rows for the export."""
    study = request.study
    sessions = list(
        ClinicalSession.objects.filter(pk__in=session_pks, patient__in=consenting_patients(study))
        .order_by("patient_id", "session_date", "pk")
        .values_list("pk", "patient_id", "session_date", "protocol__code")
    )
    patient_pks = sorted({patient_pk for _, patient_pk, _, _ in sessions})
    enrolments = study_enrolments(study=study)
    visits = _visit_numbers(patient_pks)
    births = dict(
        PatientIdentity.objects.filter(patient_id__in=patient_pks).values_list("patient_id", "date_of_birth")
    )
    sexes = dict(Patient.objects.filter(pk__in=patient_pks).values_list("pk", "sex"))
    kept = []
    for session_pk, patient_pk, real_date, protocol in sessions:
        shifted = date_shift(real_date, enrolment=enrolments[patient_pk])
        if request.protocols and protocol not in request.protocols:
            continue
        if (request.date_from and shifted < request.date_from) or (
            request.date_to and shifted > request.date_to
        ):
            continue
        kept.append((session_pk, patient_pk, real_date, shifted, protocol))
    kept.sort(key=lambda row: (enrolments[row[1]].pseudonym, row[3], row[0]))
    first_day: dict[int, date] = {}
    keys = []
    for order, (session_pk, patient_pk, real_date, shifted, protocol) in enumerate(kept):
        enrolment = enrolments[patient_pk]
        first = first_day.setdefault(patient_pk, shifted)
        visit = visits[session_pk]
        sex = sexes[patient_pk]
        keys.append(
            SessionKey(
                session_pk=session_pk,
                patient_pk=patient_pk,
                order=order,
                pseudonym=enrolment.pseudonym,
                session_id=study_session_key(enrolment=enrolment, session_id=session_pk),
                visit_number=visit,
                session_date=shifted,
                session_day=(shifted - first).days,
                protocol=protocol,
                age=age_value(study, births.get(patient_pk), real_date),
                sex=None if sex == Sex.NOT_RECORDED else sex,
                group=enrolment.group or None,
                diagnosis_group=enrolment.diagnosis_group or None,
            )
        )
    return keys


def rows_per_patient(keys: list[SessionKey], rows_per_session: dict[int, int]) -> dict[int, int]:
    """patient pk -> rows the export holds of that patient (the audit record's per-patient count)."""
    counts: dict[int, int] = {}
    for key in keys:
        counts[key.patient_pk] = counts.get(key.patient_pk, 0) + rows_per_session[key.session_pk]
    return counts


def _visit_numbers(patient_pks: list[int]) -> dict[int, int]:
    """session pk -> 1-based number of the visit among all of its patient's sessions."""
    numbers: dict[int, int] = {}
    counts: dict[int, int] = {}
    for session_pk, patient_pk in (
        ClinicalSession.objects.filter(patient_id__in=patient_pks)
        .order_by("patient_id", "session_date", "pk")
        .values_list("pk", "patient_id")
    ):
        counts[patient_pk] = counts.get(patient_pk, 0) + 1
        numbers[session_pk] = counts[patient_pk]
    return numbers

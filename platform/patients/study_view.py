"""What a study sees of a patient, in one place: its pseudonym, its shifted dates, its session keys.

A study never sees the care team's patient code, a real date or a database id. Each enrolment
holds a random study pseudonym and a random non-zero date shift (StudyEnrolment); every date a
study member reads, or filters on, is the real date plus that shift, so that a patient enrolled
in two studies has two unrelated pseudonyms and two unrelated calendars. Sessions are named by a
key derived from the enrolment's secret salt and the session id (`study_session_key`), so two
studies cannot link a patient through their sessions either.

Python callers use the functions on one enrolment; querysets use the expressions, which compute
the same values in SQL (PostgreSQL and SQLite) so that lists, filters and exports agree.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any

from django.db.models import DateField, Expression, F, Func, OuterRef, QuerySet, Subquery

from accounts.models import Study
from patients.models import Patient, StudyEnrolment

SESSION_KEY_HEX_DIGITS = 8


def study_enrolment(*, study: Study, patient: Patient | int) -> StudyEnrolment | None:
    """The patient's enrolment in the study, or None when they are not enrolled."""
    patient_id = patient if isinstance(patient, int) else patient.pk
    return StudyEnrolment.objects.filter(study=study, patient_id=patient_id).first()


def study_enrolments(*, study: Study) -> dict[int, StudyEnrolment]:
    """Every enrolment of the study by patient id, in one query (for exports and lists)."""
    return {enrolment.patient_id: enrolment for enrolment in StudyEnrolment.objects.filter(study=study)}


def study_enrolment_by_pseudonym(*, study: Study, pseudonym: str) -> StudyEnrolment | None:
    return StudyEnrolment.objects.filter(study=study, pseudonym=pseudonym).first()


def study_pseudonym(*, study: Study, patient: Patient | int) -> str:
    """The study's name for the patient. Raises LookupError when the patient is not enrolled."""
    enrolment = study_enrolment(study=study, patient=patient)
    if enrolment is None:
        raise LookupError("The patient is not enrolled in this study.")
    return enrolment.pseudonym


def date_shift(day: date, *, enrolment: StudyEnrolment) -> date:
    """The date as the study sees it."""
    return day + timedelta(days=enrolment.date_shift_days)


def date_unshift(day: date, *, enrolment: StudyEnrolment) -> date:
    """The real date of a date the study sees (for the care team's side only)."""
    return day - timedelta(days=enrolment.date_shift_days)


def study_session_key(*, enrolment: StudyEnrolment, session_id: int) -> str:
    """The study's name for one session of the patient: "<pseudonym>-<8 hex digits>".

    The digits are the start of sha256("<salt>:<session id>") with the enrolment's secret salt:
    stable for the study, unrelated across studies. In PostgreSQL the same digits are
    left(encode(sha256((salt || ':' || session_id)::bytea), 'hex'), 8).
    """
    digest = hashlib.sha256(f"{enrolment.session_key_salt}:{session_id}".encode()).hexdigest()
    return f"{enrolment.pseudonym}-{digest[:SESSION_KEY_HEX_DIGITS]}"


def split_session_key(key: str) -> tuple[str, str] | None:
    """(pseudonym, digits) of a session key, or None when it is not shaped like one."""
    pseudonym, _, digits = key.rpartition("-")
    if not pseudonym or len(digits) != SESSION_KEY_HEX_DIGITS:
        return None
    return pseudonym, digits


def session_id_for_key(*, study: Study, key: str, session_ids: QuerySet[Any]) -> int | None:
    """The id of the session this study calls `key`, among `session_ids` (a values_list of the
    patient's session ids the caller may see); None when no session matches."""
    parts = split_session_key(key)
    if parts is None:
        return None
    enrolment = study_enrolment_by_pseudonym(study=study, pseudonym=parts[0])
    if enrolment is None:
        return None
    for session_id in session_ids.filter(patient_id=enrolment.patient_id):
        if study_session_key(enrolment=enrolment, session_id=session_id) == key:
            return session_id
    return None


class ShiftedDate(Func):
    """date + days, as a date, on PostgreSQL and SQLite."""

    output_field = DateField()
    arity = 2

    def as_sql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" + ")

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="date(%(expressions)s || ' days')",
            arg_joiner=", ",
        )


def _enrolment_column(column: str, *, study: Study, patient_path: str) -> Subquery:
    return Subquery(
        StudyEnrolment.objects.filter(study=study, patient=OuterRef(patient_path)).values(column)[:1]
    )


def study_pseudonym_expression(*, study: Study, patient_path: str = "patient") -> Subquery:
    """The study pseudonym of each row's patient (annotate with it, never with the patient code)."""
    return _enrolment_column("pseudonym", study=study, patient_path=patient_path)


def date_shift_expression(*, study: Study, patient_path: str = "patient") -> Subquery:
    return _enrolment_column("date_shift_days", study=study, patient_path=patient_path)


def shifted_date_expression(date_path: str, *, study: Study, patient_path: str = "patient") -> Expression:
    """Each row's date (at `date_path`) as the study sees it."""
    return ShiftedDate(F(date_path), date_shift_expression(study=study, patient_path=patient_path))


def filter_shifted_dates(
    queryset: QuerySet,
    *,
    study: Study,
    date_path: str,
    patient_path: str = "patient",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet:
    """Rows whose shifted date lies within [date_from, date_to]: the study's filters are on the
    dates it sees, never on the real ones (which would reveal each patient's shift)."""
    if date_from is None and date_to is None:
        return queryset
    queryset = queryset.annotate(
        _study_date=shifted_date_expression(date_path, study=study, patient_path=patient_path)
    )
    if date_from is not None:
        queryset = queryset.filter(_study_date__gte=date_from)
    if date_to is not None:
        queryset = queryset.filter(_study_date__lte=date_to)
    return queryset

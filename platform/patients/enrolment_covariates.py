"""The covariates the care team records per study enrolment: the group or arm and the diagnosis
group, short codes a study exports with the pseudonym (never with identity)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.errors import ApplicationError
from accounts.permissions import Action, require
from audit.models import AccessEvent
from audit.services import access_record
from patients.models import StudyEnrolment


@transaction.atomic
def enrolment_covariates_set(
    *, enrolment: StudyEnrolment, group: str, diagnosis_group: str, by: Any, request: Any = None
) -> StudyEnrolment:
    """Record the enrolment's group and diagnosis group (empty clears one). Raises
    PatientRefused unless `by` manages the patient's consent in their care team, and
    ApplicationError (a sentence) when a value is not a short code."""
    require(by, Action.MANAGE_CONSENT, enrolment.patient)
    before = {"group": enrolment.group, "diagnosis_group": enrolment.diagnosis_group}
    enrolment.group, enrolment.diagnosis_group = group.strip(), diagnosis_group.strip()
    try:
        enrolment.full_clean()
    except ValidationError as error:
        raise ApplicationError(
            "The study covariates were not saved: " + " ".join(error.messages), extra=error.message_dict
        ) from error
    enrolment.save(update_fields=["group", "diagnosis_group"])
    access_record(
        user=by,
        action=AccessEvent.Action.UPDATE,
        object_type="study_enrolment",
        object_id=enrolment.pk,
        patient=enrolment.patient,
        details={
            "study": enrolment.study.code,
            "before": before,
            "after": {"group": enrolment.group, "diagnosis_group": enrolment.diagnosis_group},
        },
        request=request,
    )
    return enrolment

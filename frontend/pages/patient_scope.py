"""The start of a care-team page about one patient, shared by the registration and erasure pages:
the patient in the user's scope, the page's action allowed on them, the page's read audited."""

from django.http import HttpRequest

from accounts.permissions import Action, require
from audit.models import AccessEvent
from audit.services import access_read
from patients.models import Patient
from patients.selectors import patient_get_visible


def patient_page_open(
    request: HttpRequest,
    code: str,
    action: Action,
    *,
    object_type: str,
    read: AccessEvent.Action = AccessEvent.Action.VIEW,
    shown: bool = True,
) -> Patient:
    """The patient with this code if the user may open their care record and take the action;
    otherwise PatientRefused (404, audited as a refusal). When the request shows the page (shown),
    one read of it (object_type, on the patient) is audited."""
    patient = patient_get_visible(user=request.user, code=code)
    require(request.user, action, patient)
    if shown:
        access_read(
            request=request, action=read, object_type=object_type, object_id=patient.pk, patient=patient
        )
    return patient

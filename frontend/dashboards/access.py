"""Who may open the clinical dashboards and session pages.

VIEW_METRICS on the patient (accounts.permissions), and the clinician role: a study
statistician also holds VIEW_METRICS on consenting study patients, but sees them only through
the pseudonymised, date-shifted exports, never through these pages, which show real session
dates and the video.
"""

from typing import Any

from django.core.exceptions import PermissionDenied

from accounts.permissions import Action, has_role, require
from accounts.roles import Role
from patients.models import Patient


def require_clinical_view(user: Any, patient: Patient) -> None:
    """Raise PermissionDenied (403) unless the user is a clinician who may see the patient's metrics."""
    require(user, Action.VIEW_METRICS, patient)
    if not has_role(user, Role.CLINICIAN):
        raise PermissionDenied(
            "Dashboards and session pages are for the patient's clinicians; study data is in the exports."
        )

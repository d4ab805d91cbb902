"""Corrections of a registered session that reach its results: the session date is copied onto
the metric samples (trend queries need no join), so both change together."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.errors import ApplicationError
from audit.models import AccessEvent
from audit.services import access_record
from recordings.models import ClinicalSession
from recordings.services import session_clinician_check
from results.models import MetricSample

_SESSION_FIELDS = ("protocol", "session_date", "clinician", "notes")


@transaction.atomic
def session_update(*, session: ClinicalSession, by: Any, request: Any = None, **values: Any) -> list[str]:
    """Correct a registered session (protocol, session_date, clinician, notes) and return the
    names of the fields that changed. The caller has checked Action.EDIT_SESSION.

    The session date is copied onto metric samples (trend queries need no join), so a new
    date is written there too. The audit keeps field names and, except for free-text notes,
    the values before and after.
    """
    unknown = set(values) - set(_SESSION_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown session field: {', '.join(sorted(unknown))}.")
    session = ClinicalSession.objects.select_for_update().select_related("patient").get(pk=session.pk)
    if "session_date" in values and values["session_date"] > timezone.localdate():
        raise ApplicationError("The session date is in the future. Enter the date the session took place.")
    if "clinician" in values:
        session_clinician_check(clinician=values["clinician"], patient=session.patient)
    if "notes" in values:
        values["notes"] = (values["notes"] or "").strip()
    changed = [name for name, value in values.items() if getattr(session, name) != value]
    if not changed:
        return []
    before = {name: str(getattr(session, name) or "") for name in changed if name != "notes"}
    for name in changed:
        setattr(session, name, values[name])
    session.full_clean()
    session.save(update_fields=changed)
    if "session_date" in changed:
        MetricSample.objects.filter(session=session).update(session_date=session.session_date)
    access_record(
        user=by,
        action=AccessEvent.Action.UPDATE,
        object_type="session",
        object_id=session.pk,
        patient=session.patient,
        details={
            "fields": changed,
            "before": before,
            "after": {name: str(getattr(session, name) or "") for name in before},
        },
        request=request,
    )
    return changed

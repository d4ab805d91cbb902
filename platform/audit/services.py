"""Writing the audit trail. Every read of patient data and every export is recorded here:
access_record for any event, access_read for a page or endpoint showing patient data to the
person making the request, access_record_per_patient for one event on each patient of an export.
"""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from audit.chain import chain_append
from audit.models import AccessEvent


def client_address(request: HttpRequest | None) -> str | None:
    """The client's address: nginx's X-Real-IP when settings.TRUST_X_REAL_IP (behind deploy/nginx,
    where REMOTE_ADDR is nginx's own address), else the peer's REMOTE_ADDR."""
    if request is None:
        return None
    if settings.TRUST_X_REAL_IP and request.META.get("HTTP_X_REAL_IP"):
        return request.META["HTTP_X_REAL_IP"].strip()
    return request.META.get("REMOTE_ADDR") or None


def _patient_code(patient: Any) -> str:
    """The pseudonym of a Patient (or a pseudonym given as it is)."""
    if patient is None:
        return ""
    return patient if isinstance(patient, str) else patient.code


def access_event(
    *,
    user: Any,
    action: AccessEvent.Action | str,
    object_type: str,
    object_id: Any = "",
    patient: Any = None,
    details: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    outcome: AccessEvent.Outcome | str = AccessEvent.Outcome.ALLOWED,
) -> AccessEvent:
    """An unsaved AccessEvent (audit.chain.chain_append saves it). A request authenticated by
    an API token is recorded with the token's label."""
    authenticated = user is not None and user.is_authenticated
    token = getattr(request, "auth", None) if request is not None else None
    if token is not None and hasattr(token, "label"):
        details = {**(details or {}), "token": token.label}
    return AccessEvent(
        user=user if authenticated else None,
        username=user.get_username() if authenticated else "",
        action=action,
        outcome=outcome,
        object_type=object_type,
        object_id=str(object_id or ""),
        patient_code=_patient_code(patient),
        details=details or {},
        client_address=client_address(request),
    )


def access_record(**fields: Any) -> AccessEvent:
    """Append one AccessEvent (the fields of access_event). `patient` is a Patient, a pseudonym
    or None (e.g. a study export)."""
    return chain_append([access_event(**fields)])[0]


# What a person does to patient data by looking at it (or taking a copy of a file).
READ_ACTIONS = frozenset(
    {
        AccessEvent.Action.VIEW,
        AccessEvent.Action.LIST,
        AccessEvent.Action.VIEW_IDENTITY,
        AccessEvent.Action.STREAM_VIDEO,
        AccessEvent.Action.DOWNLOAD,
    }
)


def access_read(
    *,
    request: HttpRequest,
    object_type: str,
    object_id: Any = "",
    patient: Any = None,
    details: dict[str, Any] | None = None,
    action: AccessEvent.Action = AccessEvent.Action.VIEW,
) -> AccessEvent:
    """Record that the requesting user was shown patient data (a page, an API row, a chart)."""
    if action not in READ_ACTIONS:
        raise ValueError(f"{action} is not a read; record it with access_record.")
    return access_record(
        user=request.user,
        action=action,
        object_type=object_type,
        object_id=object_id,
        patient=patient,
        details=details,
        request=request,
    )


def access_record_per_patient(
    *,
    user: Any,
    action: AccessEvent.Action | str,
    object_type: str,
    object_id: Any,
    details_by_patient: Mapping[Any, dict[str, Any]],
    request: HttpRequest | None = None,
) -> list[AccessEvent]:
    """One AccessEvent on each patient's own trail (e.g. the patients of a study export)."""
    return chain_append(
        [
            access_event(
                user=user,
                action=action,
                object_type=object_type,
                object_id=object_id,
                patient=patient,
                details=details,
                request=request,
            )
            for patient, details in details_by_patient.items()
        ]
    )

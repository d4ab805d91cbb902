"""Writing the audit trail. Call access_record for every read of patient data and every export."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from audit.models import AccessEvent


def client_address(request: HttpRequest | None) -> str | None:
    """The client's address: nginx's X-Real-IP when settings.TRUST_X_REAL_IP (behind deploy/nginx,
    where REMOTE_ADDR is nginx's own address), else the peer's REMOTE_ADDR."""
    if request is None:
        return None
    if settings.TRUST_X_REAL_IP and request.META.get("HTTP_X_REAL_IP"):
        return request.META["HTTP_X_REAL_IP"].strip()
    return request.META.get("REMOTE_ADDR") or None


def access_record(
    *,
    user: Any,
    action: AccessEvent.Action | str,
    object_type: str,
    object_id: Any = "",
    patient: Any = None,
    details: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AccessEvent:
    """Append one AccessEvent. `patient` is a Patient or None (e.g. a study export). A request
    authenticated by an API token is recorded with the token's label."""
    authenticated = user is not None and user.is_authenticated
    token = getattr(request, "auth", None) if request is not None else None
    if token is not None and hasattr(token, "label"):
        details = {**(details or {}), "token": token.label}
    return AccessEvent.objects.create(
        user=user if authenticated else None,
        username=user.get_username() if authenticated else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        patient=patient,
        details=details or {},
        client_address=client_address(request),
    )

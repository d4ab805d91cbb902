"""Every refusal leaves an AccessEvent (outcome denied), whichever part of the application refused:
a 401, 403, 404, 405 or 429 answer, a redirect to a log-in page, or the admin's redirect away
from an object it does not show (unknown, or outside what the user may see). A refusal that
named a patient (accounts.permissions.PatientRefused) records that patient's pseudonym."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.urls import reverse

from accounts.permissions import PatientRefused
from audit.models import AccessEvent
from audit.services import access_record

REFUSAL_STATUSES = frozenset({401, 403, 404, 405, 429})
REFUSED_PATIENT = "_audit_refused_patient"


def remember_refusal(request: HttpRequest, exception: Exception) -> None:
    """Keep the patient a PatientRefused named, for the refusal's audit row."""
    if isinstance(exception, PatientRefused) and exception.patient is not None:
        setattr(request, REFUSED_PATIENT, exception.patient)


# The admin answers an unknown or refused object's page with a redirect to its index.
ADMIN_OBJECT_PAGES = ("_change", "_history", "_delete")


def is_refusal(request: HttpRequest, response: HttpResponse) -> bool:
    """A refusing status, a redirect to a log-in page (the site's, or the admin's for a user who
    is not staff), or the admin's redirect to its index from an object it will not show."""
    if response.status_code in REFUSAL_STATUSES:
        return True
    if response.status_code == 302:
        location = response.get("Location", "")
        if location.startswith((resolve_url(settings.LOGIN_URL), reverse("admin:login"))):
            return True
        match = getattr(request, "resolver_match", None)
        return (
            location == reverse("admin:index")
            and match is not None
            and match.namespace == "admin"
            and (match.url_name or "").endswith(ADMIN_OBJECT_PAGES)
        )
    return False


class RefusalAuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if is_refusal(request, response):
            match = getattr(request, "resolver_match", None)
            access_record(
                user=request.user,
                action=AccessEvent.Action.DENIED,
                outcome=AccessEvent.Outcome.DENIED,
                object_type=(match.view_name if match else "unknown address")[:60],
                patient=getattr(request, REFUSED_PATIENT, None),
                details={
                    "method": request.method,
                    "path": request.path[:300],
                    "status": response.status_code,
                },
                request=request,
            )
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        remember_refusal(request, exception)

"""The answer to a locked-out log-in (django-axes): a page for the browser, JSON for the API."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

LOCKED_MESSAGE = (
    "Too many failed log-in attempts from this address or for this account. "
    "Wait {minutes} minutes and try again, or ask an administrator to unlock it."
)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = LOCKED_MESSAGE.format(minutes=minutes)
    if request.path.startswith("/api/"):
        return JsonResponse({"message": message, "extra": {"retry_after_s": minutes * 60}}, status=429)
    return render(request, "registration/locked_out.html", {"message": message}, status=429)

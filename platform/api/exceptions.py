"""One error shape for the whole API: {"message": ..., "extra": {...}}."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from accounts.errors import ApplicationError
from audit.middleware import remember_refusal

# The same words whether the row does not exist or the user may not see it: ids do not leak.
NOT_FOUND_MESSAGE = "Nothing was found at this address, or you are not allowed to see it."


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return Response({"message": exc.message, "extra": exc.extra}, status=exc.http_status)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, Http404):
        remember_refusal(context["request"]._request, exc)
        exc = exceptions.NotFound(NOT_FOUND_MESSAGE)
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, RequestDataTooBig):  # a sentence in JSON, not Django's bare HTML 400
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(
            {
                "message": f"The request body is too large: at most {limit} bytes are accepted. "
                "Send videos in chunks through the upload endpoints.",
                "extra": {"max_bytes": limit},
            },
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, exceptions.ParseError):  # DRF's detail alone is not a sentence
        exc = exceptions.ParseError(f"The request body could not be read ({exc.detail}). Send valid JSON.")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    if isinstance(detail, dict) and "detail" in detail:
        response.data = {"message": str(detail["detail"]), "extra": {}}
    else:
        response.data = {
            "message": "The request is not valid; see extra for each field.",
            "extra": {"fields": detail},
        }
    return response

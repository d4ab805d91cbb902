"""Hand a Django request to a WSGI application (the Dash app's Flask server) and return its
answer as a Django response.

Mounting Dash this way, rather than beside Django in the WSGI stack, means every Dash request
(page, layout, dependencies, callbacks, component scripts) first passes Django's middleware:
session, authentication, CSRF. The Django view decides access; the Flask app never sees a
request Django has not authorised. The authorised Django request and patient travel in the
WSGI environ under ENVIRON_REQUEST and ENVIRON_PATIENT, so that callbacks can check again.
"""

from __future__ import annotations

import sys
from io import BytesIO
from typing import Any

from django.http import HttpRequest, StreamingHttpResponse
from werkzeug.test import run_wsgi_app

ENVIRON_REQUEST = "platform.django_request"
ENVIRON_PATIENT = "platform.patient"
ENVIRON_REQUESTS_PREFIX = "platform.requests_prefix"

# Headers that describe one hop of the connection, which Django sets itself.
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


def wsgi_environ(request: HttpRequest, path_info: str, extra: dict[str, Any]) -> dict[str, Any]:
    """A WSGI environ for path_info carrying the request's method, headers and body."""
    body = request.body
    environ = {key: value for key, value in request.META.items() if isinstance(key, str) and key.isupper()}
    environ.update(
        {
            "REQUEST_METHOD": request.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": path_info,
            "QUERY_STRING": request.META.get("QUERY_STRING", ""),
            "CONTENT_LENGTH": str(len(body)),
            "SERVER_NAME": request.META.get("SERVER_NAME", "localhost"),
            "SERVER_PORT": str(request.META.get("SERVER_PORT", "80")),
            "SERVER_PROTOCOL": request.META.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": request.scheme,
            "wsgi.input": BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
    )
    environ.update(extra)
    return environ


def forward(request: HttpRequest, app: Any, path_info: str, extra: dict[str, Any]) -> StreamingHttpResponse:
    """Run the WSGI app on this request (at path_info) and stream its response back."""
    app_iter, status, headers = run_wsgi_app(app, wsgi_environ(request, path_info, extra))
    response = StreamingHttpResponse(app_iter, status=int(status.split(" ", 1)[0]))
    for name, value in headers.items():
        if name.lower() not in _HOP_BY_HOP:
            response[name] = value
    return response

"""Response headers every answer of the application carries.

No response of a view is cached by a browser or a proxy unless the view says otherwise: pages,
JSON and the API carry patient data (identity, notes, metrics, video), and a shared computer's
cache must not keep them. Views that serve files without patient data (Plotly.js, Dash's
component scripts) set their own Cache-Control; static files are served by WhiteNoise before
this middleware.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

NO_STORE = "no-store, private"


class NoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Cache-Control" not in response:
            response["Cache-Control"] = NO_STORE
        return response

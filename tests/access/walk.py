"""Walk every address of the site as one role: the status of each answer and the audit rows it
left (reads allowed, refusals denied)."""

from dataclasses import dataclass

from django.test import Client

from audit.models import AccessEvent
from tests.access.matrix import Objects, admin_routes
from tests.access.routes import ROUTES

REFUSALS = frozenset({401, 403, 404, 405, 429})


@dataclass(frozen=True)
class Answer:
    route: str
    path: str
    status: int
    carries_patient_data: bool
    allowed_rows: int
    denied_rows: int
    empty: bool  # a list (JSON or admin change list) that showed no row


def _empty_list(response) -> bool:
    changelist = (getattr(response, "context_data", None) or {}).get("cl")
    if changelist is not None:  # an admin change list
        return changelist.result_count == 0
    if "json" not in response.get("Content-Type", "") or getattr(response, "streaming", False):
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    rows = body.get("results") if isinstance(body, dict) else body
    return isinstance(rows, list) and not rows


def every_route(objects: Objects) -> list[tuple[str, str, str, bool]]:
    values = objects.values
    return [
        (route, method, path.format(**values), data) for route, method, path, data in ROUTES
    ] + admin_routes(values)


def walk(objects: Objects, role: str) -> list[Answer]:
    client = Client(raise_request_exception=False)
    user = objects.users[role]
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    answers = []
    for route, method, path, data in every_route(objects):
        last = AccessEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        response = getattr(client, method)(path)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
        empty = _empty_list(response)
        new = AccessEvent.objects.filter(id__gt=last)
        answers.append(
            Answer(
                route=route,
                path=path,
                status=response.status_code,
                carries_patient_data=data,
                allowed_rows=new.filter(outcome="allowed").count(),
                denied_rows=new.filter(outcome="denied").count(),
                empty=empty,
            )
        )
    return answers

"""Walk every probe of the access table as one role: the status of each answer and the audit rows
it left (reads allowed, refusals denied)."""

import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import DatabaseError, transaction
from django.test import Client

from audit.models import AccessEvent
from tests.access.access_table import TABLE, Probe
from tests.access.admin_table import admin_probes
from tests.access.matrix import ROLES, Objects
from tests.frontend.builders import callback_body

REFUSALS = frozenset({401, 403, 404, 405, 429})
# Answers to a form or upload step that failed validation: nothing was shown or changed.
INVALID = frozenset({400, 409})
# API bodies (JSON, filled from make_objects' values) of the writes that must succeed.
JSON_BODIES = {
    "api_session": {"patient": "{code}", "protocol": "apathy-interview", "session_date": "{today}"},
    "api_review": {"decision": "confirm"},
}
# Form bodies of the writes that must succeed (and be audited) for whoever may make them.
BODIES = {
    "review": {"decision": "confirm"},
    "coded_event": {"label": "rock", "start_s": "0.1", "end_s": "0.2"},
    "task_mark": {"task_code": "phone_call", "start_s": "10", "end_s": "20"},
    "task_correct": {"start_s": "1", "end_s": "6"},
}


@dataclass(frozen=True)
class Answer:
    pattern: str
    probe: Probe
    path: str
    expected: int
    status: int
    location: str  # where a redirect goes
    allowed_rows: int
    denied_rows: int
    empty: bool  # a list (JSON or admin change list) that showed no row
    shows: frozenset[str]  # which of the patient's marks (code, name) the body holds
    error: str = ""  # a database error that ended the request

    @property
    def refused(self) -> bool:
        """A refusing status, or a redirect to the site's or the admin's log-in page."""
        if self.status in REFUSALS:
            return True
        if self.status == 302 and self.location.startswith(("/login/", "/admin/login/")):
            return True
        # the admin's answer to an object it does not show (unknown, or not the user's to see)
        return (
            self.status == 302
            and self.location == "/admin/"
            and self.path.endswith(("/change/", "/history/"))
        )

    @property
    def is_read(self) -> bool:
        """An allowed answer of a request that shows or changes patient data."""
        return self.probe.patient_data and not self.refused and self.status not in INVALID

    def describe(self) -> str:
        method = self.probe.method.upper()
        extra = "".join(f" [{text}]" for text in (self.probe.note, self.error) if text)
        return f"{self.pattern}: {method} {self.path}{extra}"


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


def _body(probe: Probe, objects: Objects) -> dict:
    if probe.body == "dash_callback":
        return {"data": json.dumps(callback_body(objects.values["code"])), "content_type": "application/json"}
    if probe.body in JSON_BODIES:
        body = {key: value.format(**objects.values) for key, value in JSON_BODIES[probe.body].items()}
        return {"data": json.dumps(body), "content_type": "application/json"}
    return {"data": BODIES.get(probe.body, {})}


def _request(client: Client, probe: Probe, path: str, role: str, objects: Objects):
    headers = dict(probe.headers)
    key = objects.api_keys.get(role)
    if path.startswith("/api/") and key is not None:
        headers["Authorization"] = f"Token {key}"
    response = getattr(client, probe.method)(path, headers=headers, **_body(probe, objects))
    streamed = getattr(response, "streaming", False)
    content = b"".join(response.streaming_content) if streamed else response.content
    return response, content


def every_probe(values: dict) -> Iterator[tuple[str, Probe]]:
    """(URL pattern, probe) for every probe of the table and of the admin: the reads first,
    then the writes in the table's order (the last erases a patient)."""
    probes = [(pattern, each) for pattern, listed in TABLE.items() for each in listed]
    probes += list(admin_probes(values))
    yield from (item for item in probes if item[1].method == "get")
    yield from (item for item in probes if item[1].method != "get")


def walk(objects: Objects, role: str) -> list[Answer]:
    """Every probe as `role` (an API token on /api/, the session cookie elsewhere), each in a
    savepoint so that a failing one cannot break the others."""
    client = Client(raise_request_exception=False)
    user = objects.users[role]
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    index = ROLES.index(role)
    identity = objects.world.patient.identity
    marks = {"code": objects.values["code"].encode(), "name": identity.full_name.encode()}
    answers = []
    for pattern, probe in every_probe(objects.values):
        path = probe.path.format(**objects.values)
        last = AccessEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        content, error = b"", ""
        try:
            with transaction.atomic():
                response, content = _request(client, probe, path, role, objects)
        except DatabaseError as failure:  # reported as a 500 with its reason
            response, error = None, str(failure)[:200]
        new = AccessEvent.objects.filter(id__gt=last)
        status = response.status_code if response is not None else 500
        answers.append(
            Answer(
                pattern=pattern,
                probe=probe,
                path=path,
                expected=probe.expected[index],
                status=status,
                location=response.get("Location", "") if response is not None else "",
                allowed_rows=new.filter(outcome=AccessEvent.Outcome.ALLOWED).count(),
                denied_rows=new.filter(outcome=AccessEvent.Outcome.DENIED).count(),
                empty=response is not None and _empty_list(response),
                shows=frozenset(mark for mark, text in marks.items() if text in content),
                error=error,
            )
        )
    return answers

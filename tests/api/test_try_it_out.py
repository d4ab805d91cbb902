"""Content negotiation as Swagger's "Try it out" and the documented curl lines use it: every
media type the OpenAPI schema declares for a study file answers 200 with that type when sent as
the Accept header alone, and every curl line of docs/statisticians.md answers 200."""

import itertools
import re
import shlex
from pathlib import Path

from patients.study_view import study_session_key

DOCS = Path(__file__).resolve().parents[2] / "docs" / "statisticians.md"


def _declared(api, world) -> list[tuple[str, str]]:
    schema = api(world.admin).get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    found = []
    for path, operations in schema["paths"].items():
        if not (path.startswith("/api/v1/studies/{id}/") or path.endswith("/events-export/")):
            continue
        for media_type in operations["get"]["responses"]["200"]["content"]:
            found.append((path, media_type))
    return found


def test_every_declared_media_type_answers_as_try_it_out_asks(world, analysed, api):
    enrolment = world.study.enrolments.get(patient=world.patient)
    values = {
        "{id}": str(world.study.pk),
        "{study_pk}": str(world.study.pk),
        "{session_key}": study_session_key(enrolment=enrolment, session_id=analysed.session.pk),
    }
    declared = _declared(api, world)
    assert len(declared) >= 14
    for template, media_type in declared:
        user, path = world.statistician, template
        if template.startswith("/api/v1/sessions/"):
            user, path = world.clinician, template.replace("{id}", str(analysed.session.pk))
        for placeholder, value in values.items():
            path = path.replace(placeholder, value)
        response = api(user).get(path, HTTP_ACCEPT=media_type)
        assert response.status_code == 200, (path, media_type, response.status_code)
        assert response["Content-Type"].split(";")[0] == media_type, (path, media_type)


def _curl_lines() -> list[tuple[str, str]]:
    """(URL path and query, Accept header) of each curl line of the guide that reads a study."""
    lines = []
    for line in DOCS.read_text().splitlines():
        if not line.startswith("curl ") or "$API/studies" not in line:
            continue
        words = shlex.split(line.split("  #")[0].replace("$API", "/api/v1").replace('"$H"', "H"))
        accept = "*/*"  # curl's own
        for flag, value in itertools.pairwise(words):
            if flag == "-H" and value.lower().startswith("accept:"):
                accept = value.split(":", 1)[1].strip()
        url = next(word for word in words if word.startswith("/api/v1/studies"))
        lines.append((url, accept))
    return lines


def test_the_guides_curl_lines_answer(world, analysed, api):
    lines = _curl_lines()
    assert len(lines) >= 7
    for documented, accept in lines:
        url = re.sub(r"/studies/1/", f"/studies/{world.study.pk}/", documented)
        response = api(world.statistician).get(url, HTTP_ACCEPT=accept)
        assert response.status_code == 200, (url, accept, response.status_code)

"""Every role against every endpoint, from one table: own care team (clinician, uploader),
another care team (outsider), study member (statistician), admin and anonymous.

404 means the object is unknown or the action on it is refused (the same answer, so ids do not
leak); 403 is a refusal that names no patient (e.g. exporting a study one is not a member of).
"""

import pytest

from audit.models import AccessEvent
from patients.study_view import study_session_key

PERSONAS = ("clinician", "outsider", "uploader", "statistician", "admin", "anonymous")

# (method, path template, body, expected status per persona in PERSONAS order)
MATRIX = [
    ("get", "/api/v1/patients/", None, (200, 200, 200, 200, 200, 401)),
    ("get", "/api/v1/patients/{code}/", None, (200, 404, 200, 404, 200, 401)),
    ("get", "/api/v1/patients/{code}/identity/", None, (200, 404, 200, 404, 404, 401)),
    ("delete", "/api/v1/patients/{code}/", None, (405, 405, 405, 405, 405, 401)),
    ("get", "/api/v1/sessions/{session}/", None, (200, 404, 200, 404, 200, 401)),
    ("post", "/api/v1/sessions/", "new_session", (201, 404, 201, 404, 404, 401)),
    ("get", "/api/v1/sessions/{session}/events-export/?format=eaf", None, (200, 404, 404, 404, 404, 401)),
    ("get", "/api/v1/sessions/{session}/events-export/?format=boris", None, (200, 404, 404, 404, 404, 401)),
    ("get", "/api/v1/recordings/{recording}/", None, (200, 404, 200, 404, 200, 401)),
    ("get", "/api/v1/jobs/{job}/", None, (200, 404, 200, 404, 200, 401)),
    ("post", "/api/v1/jobs/{queued_job}/cancel/", None, (200, 404, 200, 404, 200, 401)),
    ("get", "/api/v1/metric-samples/", None, (200, 200, 200, 200, 200, 401)),
    ("get", "/api/v1/events/{event}/", None, (200, 404, 404, 404, 404, 401)),
    ("post", "/api/v1/events/{event}/reviews/", "review", (201, 404, 404, 404, 404, 401)),
    ("get", "/api/v1/studies/", None, (200, 200, 200, 200, 200, 401)),
    ("get", "/api/v1/studies/{study}/", None, (404, 404, 404, 200, 200, 401)),
    ("get", "/api/v1/studies/{study}/export/?format=csv", None, (404, 404, 404, 200, 403, 401)),
    ("get", "/api/v1/studies/{study}/data-dictionary/", None, (404, 404, 404, 200, 200, 401)),
    ("put", "/api/v1/studies/{study}/", None, (405, 405, 405, 405, 405, 401)),
    # Study members read patient data only here, under the study's pseudonyms and shifted dates.
    ("get", "/api/v1/studies/{study}/sessions/", None, (404, 404, 404, 200, 404, 401)),
    ("get", "/api/v1/studies/{study}/sessions/{study_session}/", None, (404, 404, 404, 200, 404, 401)),
    (
        "get",
        "/api/v1/studies/{study}/sessions/{study_session}/events-export/?format=boris",
        None,
        (404, 404, 404, 200, 404, 401),
    ),
    ("get", "/api/v1/studies/{study}/recordings/", None, (404, 404, 404, 200, 404, 401)),
    ("get", "/api/v1/studies/{study}/metric-samples/", None, (404, 404, 404, 200, 404, 401)),
    ("get", "/api/v1/studies/{study}/behaviour-events/", None, (404, 404, 404, 200, 404, 401)),
]

BODIES = {
    "new_session": lambda w: {
        "patient": w.patient.code,
        "protocol": "apathy-interview",
        "session_date": "2026-11-20",
    },
    "review": lambda w: {"decision": "confirm"},
}


def _cases():
    for method, template, body, expected in MATRIX:
        for persona, status in zip(PERSONAS, expected, strict=True):
            yield pytest.param(
                method, template, body, persona, status, id=f"{method} {template} as {persona}"
            )


@pytest.mark.parametrize(("method", "template", "body", "persona", "expected"), list(_cases()))
def test_it_answers_each_role_as_the_matrix_says(
    world, analysed, api, method, template, body, persona, expected
):
    user = None if persona == "anonymous" else getattr(world, persona)
    path = template.format(
        code=world.patient.code,
        session=analysed.session.pk,
        recording=analysed.recording.pk,
        job=analysed.job.pk,
        queued_job=analysed.queued_job.pk,
        event=analysed.event.pk,
        study=world.study.pk,
        study_session=study_session_key(
            enrolment=world.study.enrolments.get(patient=world.patient), session_id=analysed.session.pk
        ),
    )
    data = BODIES[body](world) if body else None
    response = getattr(api(user), method)(path, data=data, format="json")
    assert response.status_code == expected, response.content[:300]


def test_it_lists_only_the_rows_each_role_may_see(world, analysed, api):
    def codes(user):
        return {row["patient"] for row in api(user).get("/api/v1/metric-samples/").json()["results"]}

    assert codes(world.clinician) == {world.patient.code}
    assert codes(world.statistician) == set()  # study members read through their study only
    assert codes(world.outsider) == set()
    assert codes(world.uploader) == set()
    assert codes(world.admin) == set()


def test_it_audits_every_read_of_patient_data(world, analysed, api):
    before = AccessEvent.objects.count()
    api(world.clinician).get(f"/api/v1/patients/{world.patient.code}/identity/")
    api(world.statistician).get(
        f"/api/v1/studies/{world.study.pk}/metric-samples/", {"metric": "apathy.neutral_share"}
    )
    events = list(AccessEvent.objects.order_by("id")[before:])
    assert [(e.username, e.action, e.patient_code) for e in events] == [
        ("clinician", AccessEvent.Action.VIEW_IDENTITY, world.patient.code),
        ("statistician", AccessEvent.Action.LIST, world.patient.code),
    ]
    assert events[1].details["rows"] == 3
    assert events[1].details["filters"] == {"metric": ["apathy.neutral_share"]}

"""The patient page stays fast for a patient followed for years: it draws one page of sessions
(newest first, the others one link away) and its queries do not grow with the number of
sessions, recordings or analysis jobs."""

from datetime import date, timedelta

import plotly.graph_objects as go
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from results.models import AnalysisJob
from results.selectors import SESSIONS_PER_PAGE
from tests.factories import make_analysed_session, make_recording, make_session


def _add_sessions(world, count: int, first: date) -> list[int]:
    """Sessions a day apart, each with a recording and a running analysis."""
    ids = []
    for day in range(count):
        session = make_session(world.patient, by=world.clinician, on=first + timedelta(days=day))
        recording = make_recording(session, by=world.uploader)
        AnalysisJob.objects.create(recording=recording, pipeline_version="1", status="running", progress=40)
        ids.append(session.pk)
    return ids


def _patient_page(client, world, **query):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("patient_detail", args=[world.patient.code]), query)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_the_patient_page_queries_do_not_grow_with_the_sessions(world, login):
    client = login(world.clinician)
    _add_sessions(world, 3, date(2025, 1, 1))
    _, few = _patient_page(client, world)
    _add_sessions(world, 3 * SESSIONS_PER_PAGE, date(2025, 6, 1))
    _, many = _patient_page(client, world)
    assert many == few


def test_the_patient_page_draws_the_newest_sessions_and_links_to_the_older(world, login):
    client = login(world.clinician)
    ids = _add_sessions(world, SESSIONS_PER_PAGE + 5, date(2025, 1, 1))
    newest_first = ids[::-1]
    html, _ = _patient_page(client, world)
    drawn = [pk for pk in ids if f'id="session-{pk}"' in html]
    assert sorted(drawn) == sorted(newest_first[:SESSIONS_PER_PAGE])
    assert f"({len(ids)})" in html and f"1\N{EN DASH}{SESSIONS_PER_PAGE} of {len(ids)}" in html
    assert "?sessions_page=2" in html and "Older sessions" in html

    older, _ = _patient_page(client, world, sessions_page=2)
    drawn = [pk for pk in ids if f'id="session-{pk}"' in older]
    assert sorted(drawn) == sorted(newest_first[SESSIONS_PER_PAGE:])
    assert "?sessions_page=1" in older and "Newer sessions" in older
    assert "Video uploaded" in older and "40 %" in older


def test_a_patient_with_few_sessions_gets_no_page_links(world, login):
    client = login(world.clinician)
    ids = _add_sessions(world, 2, date(2025, 1, 1))
    html, _ = _patient_page(client, world)
    assert all(f'id="session-{pk}"' in html for pk in ids)
    assert "sessions_page" not in html


def _session_page_queries(client, session_id: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/sessions/{session_id}/")
    assert response.status_code == 200
    return len(queries)


def test_the_session_page_queries_do_not_grow_with_the_events(world, login):
    client = login(world.clinician)
    windows = {"stereotypy.episodes_per_min": [1.0, 2.0, 3.0], "apathy.neutral_share": [0.2, 0.4, 0.6]}
    few = make_analysed_session(
        world.patient, by=world.clinician, windows=windows, events=[("body_rocking", 1.0, 2.0)]
    )
    many = make_analysed_session(
        world.patient,
        by=world.clinician,
        windows=windows,
        events=[("body_rocking" if i % 2 else "hand_flapping", 3.0 * i, 3.0 * i + 2.0) for i in range(40)],
    )
    assert _session_page_queries(client, many.recording.session_id) == _session_page_queries(
        client, few.recording.session_id
    )


def test_the_session_timeline_built_without_plotly_objects_is_a_valid_figure(world, login):
    job = make_analysed_session(
        world.patient,
        by=world.clinician,
        windows={"stereotypy.episodes_per_min": [1.0, 2.0, 3.0]},
        events=[("body_rocking", 1.0, 2.0), ("hand_flapping", 5.0, 7.5)],
    )
    timeline = login(world.clinician).get(f"/sessions/{job.recording.session_id}/").context["timeline"]
    figure = go.Figure(timeline)  # plotly checks every property and axis reference here
    assert [trace.type for trace in figure.data] == ["bar", "bar", "scatter"]
    assert figure.data[2].yaxis == "y2" and figure.layout.yaxis2.title.text is None
    assert figure.layout.xaxis2.title.text == "time in the video (s)"
    assert list(figure.data[0].base) + list(figure.data[1].base) == [1.0, 5.0]

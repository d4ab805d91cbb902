"""The patient dashboard and every Dash endpoint behind it: who gets in; everyone else gets the
404 an unknown patient gets (JSON 403 only for an anonymous Dash request)."""

import json
from datetime import date

import pytest

from audit.models import AccessEvent
from tests.factories import make_analysed_session
from tests.frontend.builders import callback_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def analysed(world):
    """Two analysed sessions of `patient`, one of `other_patient`."""
    for day, values in ((date(2026, 9, 1), [0.4, 0.5, 0.6]), (date(2026, 10, 1), [0.7, 0.8, 0.9])):
        make_analysed_session(
            world.patient, by=world.clinician, on=day, windows={"apathy.neutral_share": values}
        )
    make_analysed_session(
        world.other_patient,
        by=world.outsider,
        on=date(2026, 10, 5),
        windows={"apathy.neutral_share": [0.11, 0.12]},
    )
    return world


def page_url(patient):
    return f"/dashboards/patient/{patient.code}/"


def post_callback(client, url_patient, body_patient_code):
    return client.post(
        page_url(url_patient) + "_dash-update-component",
        data=json.dumps(callback_body(body_patient_code)),
        content_type="application/json",
    )


def content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_it_shows_the_dashboard_page_to_the_clinician_and_audits_it(analysed, login):
    client = login(analysed.clinician)
    response = client.get(page_url(analysed.patient))
    assert response.status_code == 200
    html = content(response).decode()
    assert 'id="react-entry-point"' in html
    assert f'"requests_pathname_prefix": "/dashboards/patient/{analysed.patient.code}/"' in html
    assert "cdn.plot.ly" not in html and "unpkg.com" not in html
    assert "/dashboards/app/_dash-component-suites/" in html
    assert AccessEvent.objects.filter(
        user=analysed.clinician, object_type="dashboard", patient_code=analysed.patient.code, action="view"
    ).exists()


@pytest.mark.parametrize("persona", ["outsider", "uploader", "statistician", "admin"])
def test_it_answers_404_to_anyone_but_the_care_teams_clinicians(analysed, login, persona):
    """The statistician may read the study patient's metrics through the pseudonymised exports,
    not on this page, which shows real dates."""
    assert login(getattr(analysed, persona)).get(page_url(analysed.patient)).status_code == 404


def test_it_sends_anonymous_visitors_of_the_page_to_login(analysed, client):
    response = client.get(page_url(analysed.patient))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_it_answers_404_for_an_unknown_patient(analysed, login):
    assert login(analysed.clinician).get("/dashboards/patient/P-NOBODY/").status_code == 404


@pytest.mark.parametrize("endpoint", ["_dash-layout", "_dash-dependencies"])
def test_it_serves_dash_endpoints_to_the_clinician(analysed, login, endpoint):
    response = login(analysed.clinician).get(page_url(analysed.patient) + endpoint)
    assert response.status_code == 200
    json.loads(content(response))


@pytest.mark.parametrize("endpoint", ["_dash-layout", "_dash-dependencies"])
def test_it_refuses_dash_endpoints_to_the_outsider(analysed, login, endpoint):
    assert login(analysed.outsider).get(page_url(analysed.patient) + endpoint).status_code == 404


@pytest.mark.parametrize("endpoint", ["_dash-layout", "_dash-dependencies", "_dash-update-component"])
def test_it_refuses_dash_endpoints_to_anonymous_json_with_403(analysed, client, endpoint):
    response = client.post(page_url(analysed.patient) + endpoint, data="{}", content_type="application/json")
    if endpoint != "_dash-update-component":
        response = client.get(page_url(analysed.patient) + endpoint, HTTP_ACCEPT="application/json")
    assert response.status_code == 403
    assert "Log in" in response.json()["message"]


def test_it_refuses_the_dash_layout_to_the_uploader(analysed, login):
    assert login(analysed.uploader).get(page_url(analysed.patient) + "_dash-layout").status_code == 404


def test_the_data_callback_returns_the_patients_points_and_audits(analysed, login):
    client = login(analysed.clinician)
    before = AccessEvent.objects.filter(object_type="dashboard_data").count()
    response = post_callback(client, analysed.patient, analysed.patient.code)
    assert response.status_code == 200
    payload = json.loads(content(response))
    graphs = json.dumps(payload["response"]["metric-graphs"]["children"])
    # Medians of the two sessions, shown in %: 50 and 80; the other patient's 11.5 never appears.
    assert "50.0" in graphs and "80.0" in graphs
    assert "11.5" not in graphs
    assert AccessEvent.objects.filter(object_type="dashboard_data").count() == before + 1


def test_the_callback_refuses_the_outsider_on_the_clinicians_patient(analysed, login):
    client = login(analysed.outsider)
    assert post_callback(client, analysed.patient, analysed.patient.code).status_code == 404


def test_the_callback_does_not_trust_a_patient_named_in_its_body(analysed, login):
    """The outsider calls the dashboard of his own patient but names the clinician's patient in
    the body: refused, and nothing of the clinician's patient is returned."""
    client = login(analysed.outsider)
    response = post_callback(client, analysed.other_patient, analysed.patient.code)
    assert response.status_code == 404
    assert b"80.0" not in content(response)
    # The same request naming his own patient works: the refusal came from the body check.
    assert post_callback(client, analysed.other_patient, analysed.other_patient.code).status_code == 200


def test_unknown_dash_endpoints_are_404(analysed, login):
    client = login(analysed.clinician)
    assert client.get(page_url(analysed.patient) + "_reload-hash").status_code == 404


def test_component_scripts_need_a_login(analysed, client, login):
    page = content(login(analysed.clinician).get(page_url(analysed.patient))).decode()
    start = page.index("/dashboards/app/_dash-component-suites/")
    script = page[start : page.index('"', start)]
    assert login(analysed.clinician).get(script).status_code == 200
    client.logout()
    assert client.get(script).status_code == 403

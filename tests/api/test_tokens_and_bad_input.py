"""Tokens can be revoked; bad input gets a 4xx with a clear JSON message, never a 500."""

import pytest
from rest_framework.test import APIClient

from tests.factories import PASSWORD


def test_it_issues_and_revokes_tokens(world):
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/", {"username": "clinician", "password": PASSWORD}, format="json"
    )
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/patients/").status_code == 200
    assert client.delete("/api/v1/auth/token/").status_code == 204
    response = client.get("/api/v1/patients/")
    assert response.status_code == 401
    assert "revoked" in response.json()["message"]


def test_it_refuses_wrong_passwords_without_saying_which_part_is_wrong(world):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "clinician", "password": "nope"}, format="json"
    )
    assert response.status_code == 401
    assert "username or password is wrong" in response.json()["message"]


@pytest.mark.parametrize(
    ("path", "params", "status", "fragment"),
    [
        ("/api/v1/metric-samples/", {"date_from": "yesterday"}, 400, "date_from"),
        ("/api/v1/metric-samples/", {"session": "abc"}, 400, "session"),
        ("/api/v1/events/", {"kind": "dancing"}, 400, "kind"),
        ("/api/v1/metric-samples/", {"page_size": "100000000"}, 200, None),
        ("/api/v1/jobs/", {"cursor": "not-a-cursor"}, 404, "Invalid cursor"),
        ("/api/v1/events/999999/", {}, 404, "or you are not allowed to see it"),
        ("/api/v1/events/not-a-number/", {}, 404, "not allowed to see it"),
        ("/api/v1/uploads/not-a-uuid/", {}, 404, None),
    ],
)
def test_it_answers_bad_queries_with_a_clear_4xx(world, api, path, params, status, fragment):
    response = api(world.clinician).get(path, params)
    assert response.status_code == status
    if fragment:
        assert fragment in str(response.json())


def test_it_caps_huge_page_sizes(world, analysed, api):
    body = api(world.clinician).get("/api/v1/metric-samples/", {"page_size": "100000000"}).json()
    assert len(body["results"]) == 4  # all rows, capped at max_page_size (1000), no error


def test_it_rejects_malformed_json(world, analysed, api):
    response = api(world.clinician).post(
        "/api/v1/sessions/", data=b'{"patient": ', content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["message"]


def test_it_rejects_reversed_review_times(world, analysed, api):
    response = api(world.clinician).post(
        f"/api/v1/events/{analysed.event.pk}/reviews/",
        {"decision": "correct", "corrected_start_s": 9.0, "corrected_end_s": 4.0},
        format="json",
    )
    assert response.status_code == 400
    assert analysed.event.reviews.count() == 0

"""Agreement of model events with clinicians' reviews: every figure of a hand-computed example,
and who may see them (page and API). Kappa itself is tested in tests/analysis/test_statistics.py."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AccessEvent
from results.agreement import NONE_LABEL, agreement_from_pairs, agreement_report
from results.reviews import event_review_create
from tests.factories import make_analysed_session
from tests.praxis_platform.conftest import PIPELINE_VERSION, add_event, praxis_protocol


def _pairs(*groups: tuple[str, str, int]) -> list[tuple[str, str]]:
    return [(a, b) for a, b, n in groups for _ in range(n)]


# The hand-computed example (12 reviewed events, 1 unreviewed):
#   body_rocking: 3 confirmed, 1 rejected, 1 corrected to hand_flapping
#   hand_flapping: 2 confirmed, 1 with corrected times only, 1 corrected to body_rocking,
#                  1 rejected then confirmed (the latest review counts: confirmed)
#   gesture: 2 rejected
# body_rocking: precision 3/5, recall 3/4 (clinician's 4 = 3 kept + 1 corrected from hand_flapping)
# hand_flapping: precision 4/5, recall 4/5; gesture: precision 0/2, recall undefined (no labels).
# Overall: p_o = 7/12; marginals model (5, 5, 2, 0) clinician (4, 5, 0, 3) over
# (body_rocking, hand_flapping, gesture, none): p_e = (20 + 25) / 144; kappa = 13/33.
# Binary: body_rocking 2x2 (3, 2 | 1, 6): kappa 8/17; hand_flapping (4, 1 | 1, 6): 23/35;
# gesture (0, 2 | 0, 10): p_o = p_e = 10/12, kappa 0.
EXPECTED = {
    "body_rocking": {
        "n_model": 5,
        "n_kept": 3,
        "n_clinician": 4,
        "n_rejected": 1,
        "precision": 3 / 5,
        "recall": 3 / 4,
        "kappa": 8 / 17,
    },
    "hand_flapping": {
        "n_model": 5,
        "n_kept": 4,
        "n_clinician": 5,
        "n_rejected": 0,
        "precision": 4 / 5,
        "recall": 4 / 5,
        "kappa": 23 / 35,
    },
    "gesture": {
        "n_model": 2,
        "n_kept": 0,
        "n_clinician": 0,
        "n_rejected": 2,
        "precision": 0.0,
        "recall": None,
        "kappa": 0.0,
    },
}


@pytest.fixture
def reviewed(world):
    job = make_analysed_session(
        world.patient,
        by=world.clinician,
        tracks=None,
        protocol=praxis_protocol(),
        pipeline_version=PIPELINE_VERSION,
    )
    t = iter(range(0, 100, 2))

    def event(kind):
        start = float(next(t))
        return add_event(job, kind=kind, start_s=start, end_s=start + 1.0)

    def review(evt, decision, **kwargs):
        return event_review_create(event=evt, reviewer=world.clinician, decision=decision, **kwargs)

    for _ in range(3):
        review(event("body_rocking"), "confirm")
    review(event("body_rocking"), "reject")
    review(event("body_rocking"), "correct", corrected_kind="hand_flapping")
    for _ in range(2):
        review(event("hand_flapping"), "confirm")
    review(event("hand_flapping"), "correct", corrected_start_s=4.5, corrected_end_s=6.0)
    review(event("hand_flapping"), "correct", corrected_kind="body_rocking")
    changed_mind = event("hand_flapping")
    review(changed_mind, "reject")
    review(changed_mind, "confirm", note="Looked again: it is flapping.")
    for _ in range(2):
        review(event("gesture"), "reject")
    event("body_rocking")  # never reviewed
    return job


def test_it_computes_the_hand_computed_example(reviewed):
    report = agreement_report()
    assert (report.n_events, report.n_reviewed) == (13, 12)
    assert report.kappa == pytest.approx(13 / 33)
    assert [row.kind for row in report.kinds] == ["body_rocking", "hand_flapping", "gesture"]
    for row in report.kinds:
        expected = EXPECTED[row.kind]
        for name, value in expected.items():
            actual = getattr(row, name)
            assert actual == (pytest.approx(value) if value is not None else None), (row.kind, name)
    assert report.labels == ["body_rocking", "hand_flapping", "gesture", NONE_LABEL]
    assert report.confusion["body_rocking"] == {
        "body_rocking": 3,
        "hand_flapping": 1,
        "gesture": 0,
        NONE_LABEL: 1,
    }
    assert report.confusion["hand_flapping"]["body_rocking"] == 1


def test_it_filters_by_pipeline_version(reviewed):
    assert agreement_report(pipeline_version="another").n_reviewed == 0
    assert agreement_report(pipeline_version=reviewed.pipeline_version).n_reviewed == 12


def test_the_pure_function_agrees_with_the_selector():
    pairs = _pairs(("gesture", "gesture", 2), ("gesture", NONE_LABEL, 1))
    report = agreement_from_pairs(pairs)
    (row,) = report.kinds
    assert (row.precision, row.recall) == (pytest.approx(2 / 3), 1.0)


def test_the_page_shows_the_figures_to_admins(world, login, reviewed):
    response = login(world.admin).get(reverse("models_admin"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="overall-kappa">0.394<' in html
    assert 'id="agreement-chart"' in html  # the server-rendered Plotly div
    assert reverse("plotly_js") in html and "cdn" not in html.lower()  # the vendored bundle, served here
    assert "upper bound" in html  # the definition is on the page
    assert AccessEvent.objects.filter(user=world.admin, object_type="model_agreement").exists()


@pytest.mark.parametrize("persona", ["clinician", "statistician", "uploader"])
def test_the_page_refuses_everyone_else(world, login, persona):
    assert login(getattr(world, persona)).get(reverse("models_admin")).status_code == 403


def test_the_page_sends_anonymous_people_to_log_in(client, world):
    response = client.get(reverse("models_admin"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_api_gives_admins_the_same_figures(world, login, reviewed):
    response = login(world.admin).get("/api/v1/agreement/")
    assert response.status_code == 200
    body = response.json()
    assert (body["n_reviewed"], body["n_events"]) == (12, 13)
    assert body["kappa"] == pytest.approx(13 / 33)
    rows = {row["kind"]: row for row in body["kinds"]}
    assert rows["gesture"]["recall"] is None
    assert rows["body_rocking"]["precision"] == pytest.approx(0.6)
    assert body["confusion"]["gesture"][NONE_LABEL] == 2
    assert (
        login(world.admin).get("/api/v1/agreement/", {"pipeline_version": "other"}).json()["n_reviewed"] == 0
    )


@pytest.mark.parametrize("persona", ["clinician", "statistician"])
def test_the_api_refuses_everyone_else(world, login, persona):
    response = login(getattr(world, persona)).get("/api/v1/agreement/")
    assert response.status_code == 403
    assert "administrators" in response.json()["message"]


def test_the_api_needs_authentication(client, world):
    assert client.get("/api/v1/agreement/").status_code == 401


def test_the_api_refuses_other_methods(world, login):
    assert login(world.admin).post("/api/v1/agreement/").status_code == 405

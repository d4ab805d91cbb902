"""The interaction family (conversation and eye contact) on the patient's dashboard: its own
heading in the picker, plain names, its values drawn in their units, and the family's headline
chosen when the dashboard opens."""

import json
from datetime import date

import pytest

from analysis.metrics.interaction import METRIC_DEFINITIONS as INTERACTION_DEFINITIONS
from frontend.dashboards.components import metric_options
from frontend.dashboards.labels import default_metrics, metric_label, metric_unit
from tests.factories import make_analysed_session
from tests.frontend.builders import callback_body

pytestmark = pytest.mark.django_db
SPEAKING = "interaction.patient_speaking_share"


def test_the_picker_has_a_conversation_heading_with_every_interaction_metric():
    keys = sorted(INTERACTION_DEFINITIONS)
    options = metric_options(keys)
    headings = [option["label"] for option in options if option.get("disabled")]
    assert headings == ["— Conversation and eye contact —"]
    labels = {option["value"]: option["label"] for option in options if not option.get("disabled")}
    assert set(labels) == set(keys)
    assert len(set(labels.values())) == len(keys), "two interaction metrics share a name"
    assert labels[SPEAKING] == "Patient's share of the speech"
    assert default_metrics(keys) == [SPEAKING]


def test_the_speaking_share_is_drawn_in_percent_of_the_time(world, private_media, login):
    for day, share in ((1, 0.35), (20, 0.6)):
        make_analysed_session(
            world.patient, by=world.clinician, on=date(2026, 10, day), windows={"apathy.neutral_share": [0.5]},
            session_values={SPEAKING: share},
        )  # fmt: skip
    response = login(world.clinician).post(
        f"/dashboards/patient/{world.patient.code}/_dash-update-component",
        data=json.dumps(callback_body(world.patient.code, metrics=[SPEAKING])),
        content_type="application/json",
    )
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    outputs = json.loads(body)["response"]
    cards = json.dumps(outputs["summary-cards"]["children"])
    assert metric_label(SPEAKING) in cards and "25 percentage points higher" in cards
    figure = outputs["metric-graphs"]["children"][0]["props"]["children"][0]["props"]["figure"]
    assert figure["data"][0]["y"] == [pytest.approx(35.0), pytest.approx(60.0)]
    assert metric_unit(SPEAKING).words == "% of the time"

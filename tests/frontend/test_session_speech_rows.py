"""The session page's timeline shows who speaks when: a speech row under the events, one lane and
colour per speaker (patient, other person, unknown), named in plain words in the legend; where
the analysis heard no speech, the row says why (the reason stored with the conversation
measures); an analysis that did not listen for speech has no such row."""

from datetime import date

import pytest

from results.models import MetricSample, SpeechSegment
from tests.factories import make_analysed_session

pytestmark = pytest.mark.django_db

HEARD = [
    (0.5, 2.0, "patient", 0.8),
    (2.5, 4.0, "other", 0.6),
    (4.5, 5.0, "unknown", 0.0),
    (6.0, 7.5, "patient", 0.7),
]


@pytest.fixture
def conversation(world):
    job = make_analysed_session(
        world.patient, by=world.clinician, on=date(2026, 11, 5), windows={"apathy.neutral_share": [0.4]}
    )
    for start_s, end_s, speaker, confidence in HEARD:
        SpeechSegment.objects.create(
            job=job, patient=world.patient, session=job.recording.session, start_s=start_s, end_s=end_s,
            speaker=speaker, confidence=confidence, speech_probability=0.9,
        )  # fmt: skip
    return job


def _speech_traces(figure: dict) -> dict[str, dict]:
    return {t["name"]: t for t in figure["data"] if t.get("showlegend")}


def test_speech_is_shown_by_speaker_with_a_legend_in_plain_words(world, login, conversation):
    response = login(world.clinician).get(f"/sessions/{conversation.recording.session_id}/")
    figure = response.context["timeline"]

    traces = _speech_traces(figure)
    assert set(traces) == {"the patient speaks", "the other person speaks", "speech, speaker unknown"}
    patient = traces["the patient speaks"]
    assert list(patient["base"]) == [0.5, 6.0] and set(patient["y"]) == {"patient"}
    assert "attribution confidence 80%" in patient["hovertemplate"][0]
    assert list(traces["the other person speaks"]["base"]) == [2.5]
    colours = {t["marker"]["color"] for t in traces.values()}
    assert len(colours) == 3, "each speaker has its own colour"
    assert figure["layout"]["showlegend"] is True
    titles = [a["text"] for a in figure["layout"]["annotations"]]
    assert "Who speaks (heard on the audio track; see the legend)" in titles


def test_an_analysis_that_did_not_listen_for_speech_has_no_speech_row(world, login, conversation):
    SpeechSegment.objects.filter(job=conversation).delete()
    figure = login(world.clinician).get(f"/sessions/{conversation.recording.session_id}/").context["timeline"]

    assert _speech_traces(figure) == {}
    assert not any("Who speaks" in a["text"] for a in figure["layout"]["annotations"])


NO_AUDIO = "the recording has no audio track"
NO_SPEECH = "no speech was detected in the audio track (silence, noise or music only)"


@pytest.mark.parametrize("reason", [NO_AUDIO, NO_SPEECH, "the audio track cannot be decoded"])
def test_without_speech_heard_the_row_says_why(world, login, reason):
    job = make_analysed_session(
        world.patient,
        by=world.clinician,
        on=date(2026, 11, 5),
        windows={"apathy.neutral_share": [0.4]},
        session_values={"interaction.pauses_per_min": None, "interaction.patient_speaking_share": None},
        units={"interaction.pauses_per_min": "per_min"},
    )
    MetricSample.objects.filter(job=job, metric__startswith="interaction.").update(reason=reason)
    figure = login(world.clinician).get(f"/sessions/{job.recording.session_id}/").context["timeline"]

    notes = [a["text"] for a in figure["layout"]["annotations"] if a.get("name") == "speech note"]
    assert notes == [f"No speech to show: {reason}."]
    titles = [a["text"] for a in figure["layout"]["annotations"]]
    assert "Who speaks (heard on the audio track)" in titles  # no legend to point to
    assert _speech_traces(figure) == {} and figure["layout"]["showlegend"] is False

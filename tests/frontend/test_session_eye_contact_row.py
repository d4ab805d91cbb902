"""The session page's timeline has an eye-contact row: the episodes in which the patient looked
at the other person's face and those of mutual gaze, on their own lanes named in plain words;
where eye contact (or mutual gaze only) could not be measured, the row says why instead of
staying empty; an analysis that did not measure eye contact has no such row."""

from datetime import date

import pytest

from results.models import EyeContactEpisode, MetricSample
from tests.factories import make_analysed_session

pytestmark = pytest.mark.django_db

SHARE, MUTUAL = "interaction.eye_contact_share", "interaction.mutual_gaze_episodes_per_min"
EPISODES = [("eye_contact", 2.0, 6.5), ("mutual_gaze", 3.0, 4.5), ("eye_contact", 12.0, 14.0)]


def _session(world, share: float | None, mutual: float | None, reasons: dict[str, str] | None = None):
    job = make_analysed_session(
        world.patient,
        by=world.clinician,
        on=date(2026, 11, 5),
        windows={"apathy.neutral_share": [0.4, 0.5]},
        session_values={SHARE: share, MUTUAL: mutual},
        units={MUTUAL: "per_min"},
    )
    MetricSample.objects.filter(job=job, metric=SHARE).update(analysable_s=18.0)
    for metric, reason in (reasons or {}).items():
        MetricSample.objects.filter(job=job, metric=metric).update(reason=reason)
    return job


def _figure(login, world, job) -> dict:
    return login(world.clinician).get(f"/sessions/{job.recording.session_id}/").context["timeline"]


def _notes(figure: dict) -> list[str]:
    return [a["text"] for a in figure["layout"]["annotations"] if a.get("name") == "eye contact note"]


def _titles(figure: dict) -> list[str]:
    return [a["text"] for a in figure["layout"]["annotations"]]


def test_episodes_of_eye_contact_and_of_mutual_gaze_are_on_their_own_lanes(world, login):
    job = _session(world, 0.35, 2.0)
    for kind, start_s, end_s in EPISODES:
        EyeContactEpisode.objects.create(
            job=job,
            patient=world.patient,
            session=job.recording.session,
            kind=kind,
            start_s=start_s,
            end_s=end_s,
        )
    figure = _figure(login, world, job)

    bars = {
        t["name"]: t
        for t in figure["data"]
        if t.get("name") in ("the patient looks at the other person's face", "both look at each other")
    }
    contact = bars["the patient looks at the other person's face"]
    assert list(contact["base"]) == [2.0, 12.0] and list(contact["x"]) == [4.5, 2.0]
    assert set(contact["y"]) == {"looks at the other person"}
    mutual = bars["both look at each other"]
    assert list(mutual["base"]) == [3.0] and set(mutual["y"]) == {"mutual gaze"}
    assert "3.0 to 4.5 s" in mutual["hovertemplate"][0]
    assert contact["marker"]["color"] != mutual["marker"]["color"]
    assert any(t.startswith("Eye contact") for t in _titles(figure))
    assert _notes(figure) == []


def test_eye_contact_that_cannot_be_measured_says_why_on_the_row(world, login):
    job = _session(world, None, None, {SHARE: "needs calibration", MUTUAL: "needs calibration"})
    figure = _figure(login, world, job)

    assert _notes(figure) == ["Eye contact not measured: needs calibration."]
    assert not any(t.get("type") == "bar" and t.get("y") and "mutual gaze" in t["y"] for t in figure["data"])


def test_a_second_person_missing_and_mutual_gaze_missing_are_said_apart(world, login):
    alone = _session(world, None, None, {SHARE: "no second person's face was in view"})
    assert _notes(_figure(login, world, alone)) == [
        "Eye contact not measured: no second person's face was in view."
    ]
    never = _session(world, 0.0, None, {MUTUAL: "the other person's head pose was never measured"})
    assert _notes(_figure(login, world, never)) == [
        "No eye contact in the 18 s measured. Mutual gaze not measured: the other person's head pose "
        "was never measured."
    ]


def test_an_analysis_that_did_not_measure_eye_contact_has_no_such_row(world, login):
    job = make_analysed_session(
        world.patient, by=world.clinician, on=date(2026, 11, 5), windows={"apathy.neutral_share": [0.4]}
    )
    figure = _figure(login, world, job)
    assert not any(t.startswith("Eye contact") for t in _titles(figure))
    assert _notes(figure) == []

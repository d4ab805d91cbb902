"""Speech in the coder files: ELAN (read back by pympi-ling) gains one tier per speaker, for the
care team and, under the study's pseudonym, for study members; BORIS pairs each speech interval
with the speaker as modifier."""

import csv
import io

import pympi
import pytest

from results.models import SpeechSegment

HEARD = [
    (0.5, 2.0, "patient", 0.81),
    (2.5, 4.0, "other", 0.62),
    (4.5, 5.0, "unknown", 0.0),
    (6.0, 7.5, "patient", 0.7),
]


@pytest.fixture
def conversation(analysed):
    for start_s, end_s, speaker, confidence in HEARD:
        SpeechSegment.objects.create(
            job=analysed.job, patient=analysed.session.patient, session=analysed.session, start_s=start_s,
            end_s=end_s, speaker=speaker, confidence=confidence, speech_probability=0.9,
        )  # fmt: skip
    return analysed


def _speech_tiers(path) -> dict[str, list]:
    eaf = pympi.Elan.Eaf(str(path))
    return {
        name: sorted(eaf.get_annotation_data_for_tier(name))
        for name in eaf.get_tier_names()
        if name.startswith("speech")
    }


def test_elan_has_one_speech_tier_per_speaker_for_the_care_team(world, conversation, api, tmp_path):
    response = api(world.clinician).get(
        f"/api/v1/sessions/{conversation.session.pk}/events-export/", {"format": "eaf"}
    )
    assert response.status_code == 200
    (tmp_path / "session.eaf").write_bytes(response.content)

    tiers = _speech_tiers(tmp_path / "session.eaf")
    assert tiers == {
        "speech patient": [(500, 2000, "speaker confidence 0.81"), (6000, 7500, "speaker confidence 0.70")],
        "speech other": [(2500, 4000, "speaker confidence 0.62")],
        "speech unknown": [(4500, 5000, "speaker confidence 0.00")],
    }


def test_study_members_get_the_speech_tiers_under_the_pseudonym(world, conversation, api, tmp_path):
    client = api(world.statistician)
    key = client.get(f"/api/v1/studies/{world.study.pk}/sessions/").json()["results"][0]["session"]
    url = f"/api/v1/studies/{world.study.pk}/sessions/{key}/events-export/"
    eaf = client.get(url, {"format": "eaf"})
    assert eaf.status_code == 200
    (tmp_path / "study.eaf").write_bytes(eaf.content)

    assert set(_speech_tiers(tmp_path / "study.eaf")) == {"speech patient", "speech other", "speech unknown"}
    text = eaf.content.decode()
    assert f"file:///{key}.mp4" in text
    assert world.patient.code not in text and conversation.recording.original_filename not in text
    pseudonym = world.study.enrolments.get(patient=world.patient).pseudonym
    rows = list(csv.DictReader(io.StringIO(client.get(url, {"format": "boris-csv"}).content.decode())))
    speech = [(r["code"], r["modifier"], r["time"]) for r in rows if r["code"] == "speech"]
    assert speech[:2] == [("speech", "patient", "0.500"), ("speech", "patient", "2.000")]
    assert {r["subject"] for r in rows} == {pseudonym}

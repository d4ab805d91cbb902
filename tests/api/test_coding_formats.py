"""Events for behaviour coders: ELAN EAF and BORIS tabular events."""

import csv
import io
from xml.etree import ElementTree as ET

from results.models import EventReview


def test_it_writes_an_eaf_tier_per_kind_with_reviews_beside(world, analysed, api):
    EventReview.objects.create(
        event=analysed.event,
        reviewer=world.clinician,
        decision="correct",
        corrected_start_s=4.0,
        corrected_end_s=10.5,
    )
    response = api(world.clinician).get(
        f"/api/v1/sessions/{analysed.session.pk}/events-export/", {"format": "eaf"}
    )
    assert response.status_code == 200
    root = ET.fromstring(response.content)  # noqa: S314
    slots = {s.get("TIME_SLOT_ID"): int(s.get("TIME_VALUE")) for s in root.iter("TIME_SLOT")}
    tiers = {t.get("TIER_ID"): t for t in root.iter("TIER")}
    assert set(tiers) == {"body_rocking", "body_rocking (reviewed)"}

    def spans(tier_id):
        return [
            (slots[a.get("TIME_SLOT_REF1")], slots[a.get("TIME_SLOT_REF2")], a.findtext("ANNOTATION_VALUE"))
            for a in tiers[tier_id].iter("ALIGNABLE_ANNOTATION")
        ]

    assert spans("body_rocking") == [(3000, 11000, "torso (confidence 0.90)")]
    assert spans("body_rocking (reviewed)") == [(4000, 10500, "corrected by clinician")]


def test_it_writes_boris_start_and_stop_rows_in_time_order(world, analysed, api):
    response = api(world.clinician).get(
        f"/api/v1/sessions/{analysed.session.pk}/events-export/", {"format": "boris"}
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["Behavior"], r["Status"], r["Time"]) for r in rows] == [
        ("body_rocking", "START", "3.000"),
        ("body_rocking", "STOP", "11.000"),
    ]
    assert rows[0]["Subject"] == world.patient.code
    assert rows[0]["FPS"] == "25.000"


def test_it_leaves_rejected_events_out_of_the_reviewed_tier(world, analysed, api):
    EventReview.objects.create(event=analysed.event, reviewer=world.clinician, decision="reject")
    response = api(world.clinician).get(f"/api/v1/sessions/{analysed.session.pk}/events-export/")
    root = ET.fromstring(response.content)  # noqa: S314
    assert [t.get("TIER_ID") for t in root.iter("TIER")] == ["body_rocking"]

"""Exports carry what clinicians decided (results.reviewed): one session, reviewed (one event
rejected, one relabelled, one added), exported in every format, with known answers.

A 60 s session whose whole minute is measurable (pose coverage 1.0), with three rocking episodes
the model measured at 0-10, 20-25 and 40-50 s (3 per minute, 25 s, share 25/60). The review:
20-25 rejected, 0-10 relabelled hand flapping, a rocking episode added at 30-36 s. Reviewed:
rocking 2 per minute, 16 s (share 16/60); hand flapping 1 per minute, 10 s; any kind 3 per
minute, 26 s (share 26/60).
"""

import io
import json
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
import pytest

from api.exports.metric_catalogue import variable_name
from results.models import BehaviourEvent
from results.reviews import coded_event_create, event_review_create
from tests.factories import make_analysed_session

STORED = {
    "stereotypy.pose_coverage": 1.0,
    "stereotypy.body_rocking.episodes_per_min": 3.0,
    "stereotypy.body_rocking.total_s": 25.0,
    "stereotypy.body_rocking.share": 25 / 60,
    "stereotypy.hand_flapping.episodes_per_min": 0.0,
    "stereotypy.hand_flapping.total_s": 0.0,
    "stereotypy.hand_flapping.share": 0.0,
    "stereotypy.episodes_per_min": 3.0,
    "stereotypy.total_s": 25.0,
    "stereotypy.share": 25 / 60,
}
REVIEWED = {
    "stereotypy.body_rocking.episodes_per_min": 2.0,
    "stereotypy.body_rocking.total_s": 16.0,
    "stereotypy.body_rocking.share": 16 / 60,
    "stereotypy.hand_flapping.episodes_per_min": 1.0,
    "stereotypy.hand_flapping.total_s": 10.0,
    "stereotypy.hand_flapping.share": 10 / 60,
    "stereotypy.episodes_per_min": 3.0,
    "stereotypy.total_s": 26.0,
    "stereotypy.share": 26 / 60,
}
WINDOW_SHARES = [1.0, 0.0, 0.5, 0.0, 1.0, 0.0]


@pytest.fixture
def rocking(world):
    job = make_analysed_session(
        world.patient,
        by=world.clinician,
        on=date(2026, 11, 2),
        windows={"stereotypy.share": WINDOW_SHARES, "apathy.neutral_share": [0.4] * 6},
        session_values=STORED,
        units={key: "per_min" for key in STORED if key.endswith("per_min")}
        | {key: "s" for key in STORED if key.endswith("total_s")},
        events=[("body_rocking", 0.0, 10.0), ("body_rocking", 20.0, 25.0), ("body_rocking", 40.0, 50.0)],
        event_fields={"body_part": "torso", "frequency_hz": 1.2, "confidence": 0.9},
    )
    return world, job


def _review(world, job) -> None:
    first, second, _ = BehaviourEvent.objects.filter(job=job).order_by("start_s")
    event_review_create(event=second, reviewer=world.clinician, decision="reject")
    event_review_create(
        event=first, reviewer=world.clinician, decision="correct", corrected_kind="hand_flapping"
    )
    coded_event_create(
        session=job.recording.session,
        job=job,
        label="body_rocking",
        start_s=30.0,
        end_s=36.0,
        by=world.clinician,
        note="seen on the video",  # free text: never exported
    )


def _get(api, world, what: str, **params) -> bytes:
    response = api(world.statistician).get(f"/api/v1/studies/{world.study.pk}/{what}/", params)
    body = b"".join(response.streaming_content)
    assert response.status_code == 200, body[:300]
    return body


def _session_level(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["is_session_level"] == 1].set_index("metric")


def test_the_long_export_changes_exactly_as_the_review_says(rocking, api):
    world, job = rocking
    before = _session_level(pd.read_csv(io.BytesIO(_get(api, world, "export"))))
    for key, value in STORED.items():
        assert before.loc[key, "value"] == pytest.approx(value) == before.loc[key, "model_value"]
    assert set(before["is_reviewed"]) == {0}
    _review(world, job)
    long = pd.read_csv(io.BytesIO(_get(api, world, "export")))
    after = _session_level(long)
    for key, value in REVIEWED.items():
        assert after.loc[key, "value"] == pytest.approx(value), key
        assert after.loc[key, "model_value"] == pytest.approx(STORED[key]), key
        assert after.loc[key, "is_reviewed"] == 1
    # Not made of events: the model's value, not marked reviewed.
    assert after.loc["stereotypy.pose_coverage", "value"] == 1.0
    assert after.loc["stereotypy.pose_coverage", "is_reviewed"] == 0
    windows = long[(long["is_session_level"] == 0) & (long["metric"] == "stereotypy.share")]
    assert windows["value"].isna().all() and list(windows["model_value"]) == WINDOW_SHARES
    assert windows["missing_reason"].str.contains("whole session").all()
    apathy = long[long["metric"] == "apathy.neutral_share"]
    assert set(apathy["value"]) == {0.4} and set(apathy["is_reviewed"]) == {0}
    assert "seen on the video" not in long.to_csv()

    parquet = pq.read_table(io.BytesIO(_get(api, world, "export", format="parquet"))).to_pandas()
    pd.testing.assert_series_equal(
        parquet["value"], long["value"].astype(float), check_names=False, check_index=False
    )
    assert parquet["is_reviewed"].dtype == bool


def _wide_expectations() -> dict[str, float]:
    expected = {}
    for key, value in REVIEWED.items():
        expected[variable_name(key)] = value
        expected[variable_name(key) + "_mo"] = STORED[key]
    return expected


def test_the_wide_export_has_a_reviewed_and_a_model_only_column(rocking, api, tmp_path):
    world, job = rocking
    _review(world, job)
    expected = _wide_expectations()
    wide = pd.read_csv(io.BytesIO(_get(api, world, "export", shape="wide")))
    assert len(wide) == 1 and wide.iloc[0]["is_reviewed"] == 1
    for name, value in expected.items():
        assert wide.iloc[0][name] == pytest.approx(value), name
    assert variable_name("stereotypy.pose_coverage") + "_mo" not in wide.columns  # not made of events
    columns = list(wide.columns)
    rocking_rate = variable_name("stereotypy.body_rocking.episodes_per_min")
    assert columns.index(rocking_rate + "_mo") == columns.index(rocking_rate) + 1

    parquet = pq.read_table(
        io.BytesIO(_get(api, world, "export", format="parquet", shape="wide"))
    ).to_pandas()
    for name, value in expected.items():
        assert parquet.iloc[0][name] == pytest.approx(value), name
    for file_format, reader in (("sav", pyreadstat.read_sav), ("dta", pyreadstat.read_dta)):
        path = tmp_path / f"wide.{file_format}"
        path.write_bytes(_get(api, world, "export", format=file_format, shape="wide"))
        frame, meta = reader(str(path))
        for name, value in expected.items():
            assert frame.iloc[0][name] == pytest.approx(value), (file_format, name)
        labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
        assert labels[rocking_rate].startswith(
            "stereotypy.body_rocking.episodes_per_min (per minute), reviewed"
        )
        assert "model only" in labels[rocking_rate + "_mo"]
        assert all(len(name) <= 32 for name in meta.column_names)
        path = tmp_path / f"long.{file_format}"
        path.write_bytes(_get(api, world, "export", format=file_format))
        long, meta = reader(str(path))
        metric = {code: key for code, key in meta.variable_value_labels["metric"].items()}
        long["metric"] = long["metric"].map(metric)
        rate = long[(long["metric"] == "stereotypy.body_rocking.episodes_per_min")].iloc[0]
        assert (rate["value"], rate["model_value"], rate["is_reviewed"]) == (2.0, 3.0, 1)


def test_the_events_export_lists_decisions_reviewed_values_and_added_events(rocking, api):
    world, job = rocking
    _review(world, job)
    events = pd.read_csv(io.BytesIO(_get(api, world, "events")), keep_default_na=False, na_values=[""])
    shown = events[
        [
            "source",
            "kind",
            "start_s",
            "review_decision",
            "reviewed_kind",
            "reviewed_start_s",
            "reviewed_end_s",
        ]
    ]
    rows = [tuple(None if pd.isna(v) else v for v in row) for row in shown.itertuples(index=False)]
    assert rows == [
        ("model", "body_rocking", 0.0, "correct", "hand_flapping", 0.0, 10.0),
        ("model", "body_rocking", 20.0, "reject", None, None, None),
        ("clinician", None, None, "added", "body_rocking", 30.0, 36.0),
        ("model", "body_rocking", 40.0, None, "body_rocking", 40.0, 50.0),
    ]
    assert list(events["counted"]) == [1, 0, 1, 1] and list(events["event_id"]) == [1, 2, 3, 4]
    assert events["session_id"].nunique() == 1 and events.iloc[2]["pipeline_version"] == "1.0.0"
    assert pd.isna(events.iloc[2]["confidence"]) and events.iloc[0]["confidence"] == 0.9
    # The reviewed events give the wide table's reviewed rocking figures.
    counted = events[(events["counted"] == 1) & (events["reviewed_kind"] == "body_rocking")]
    assert len(counted) == REVIEWED["stereotypy.body_rocking.episodes_per_min"]
    assert (counted["reviewed_end_s"] - counted["reviewed_start_s"]).sum() == REVIEWED[
        "stereotypy.body_rocking.total_s"
    ]
    parquet = pq.read_table(io.BytesIO(_get(api, world, "events", format="parquet"))).to_pandas()
    assert list(parquet["source"]) == list(events["source"]) and list(parquet["counted"]) == [
        True,
        False,
        True,
        True,
    ]
    response = api(world.statistician).get(
        f"/api/v1/studies/{world.study.pk}/events/", {"kind": "body_rocking"}
    )
    assert response["X-Export-Rows"] == "4"  # three detected as rocking, one added as rocking


def test_the_data_package_with_reviewed_values_passes_frictionless(rocking, api, tmp_path):
    world, job = rocking
    _review(world, job)
    with zipfile.ZipFile(io.BytesIO(_get(api, world, "datapackage", format="zip"))) as archive:
        archive.extractall(tmp_path)
    result = subprocess.run(
        [str(Path(sys.executable).with_name("frictionless")), "validate", "datapackage.json", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(result.stdout)
    assert report["valid"], json.dumps(report, indent=1)[:3000]
    wide = pd.read_csv(tmp_path / "data/metrics_wide.csv")
    for name, value in _wide_expectations().items():
        assert wide.iloc[0][name] == pytest.approx(value), name
    events = pd.read_csv(tmp_path / "data/events.csv")
    assert list(events["review_decision"].fillna("")) == ["correct", "reject", "added", ""]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["files"]["data/events.csv"]["rows"] == 4
    package = json.loads((tmp_path / "datapackage.json").read_text())
    fields = {f["name"]: f for f in package["resources"][2]["schema"]["fields"]}
    assert fields["source"]["constraints"]["enum"] == ["model", "clinician", "marked", "automatic"]


def test_a_replaced_analysis_leaves_the_events_table(rocking, api):
    """A new analysis of the same recording and version replaces the earlier one's events; the
    earlier reviewed event kept (superseded) for the record is not a row."""
    world, job = rocking
    rejected = BehaviourEvent.objects.get(job=job, start_s=20.0)
    event_review_create(event=rejected, reviewer=world.clinician, decision="reject")
    BehaviourEvent.objects.filter(pk=rejected.pk).update(attributes={"superseded": True})
    BehaviourEvent.objects.filter(job=job).exclude(pk=rejected.pk).delete()
    make_analysed_session(
        world.patient,
        by=world.clinician,
        session=job.recording.session,
        events=[("hand_flapping", 5.0, 9.0)],
        event_fields={"body_part": "left_hand", "confidence": 0.8},
    )
    events = pd.read_csv(io.BytesIO(_get(api, world, "events")), keep_default_na=False, na_values=[""])
    assert [(row.kind, row.start_s, row.counted) for row in events.itertuples()] == [
        ("hand_flapping", 5.0, 1)
    ]

"""The study export carries the interaction family (conversation and eye contact): each of its
metrics in the data dictionary with unit, range and why it can be missing, a column of the wide
table, and a data package that frictionless still validates."""

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd

from analysis.metrics.interaction import METRIC_DEFINITIONS as INTERACTION_DEFINITIONS
from results.models import MetricSample

SPEAKING = "interaction.patient_speaking_share"
LATENCY = "interaction.response_latency_mean_s"


def _body(response) -> bytes:
    assert response.status_code == 200, b"".join(response.streaming_content)[:300]
    return b"".join(response.streaming_content)


def _conversation(analysed) -> None:
    """The session's interaction metrics: a measured speaking share, and a response latency that
    could not be measured (no other person's speech), as the analysis stores them."""
    base = MetricSample.objects.filter(job=analysed.job, is_session_level=True).first()
    for metric, value, unit, reason in (
        (SPEAKING, 0.4, "share", ""),
        (LATENCY, None, "s", "no speech was attributed to another person"),
    ):
        MetricSample.objects.create(
            job=analysed.job, patient=base.patient, session=base.session, session_date=base.session_date,
            metric=metric, value=value, unit=unit, reason=reason, window_start_s=0.0,
            window_end_s=base.window_end_s, is_session_level=True, pipeline_version=base.pipeline_version,
        )  # fmt: skip


def test_the_data_dictionary_lists_every_interaction_metric(world, api):
    dictionary = api(world.statistician).get(f"/api/v1/studies/{world.study.pk}/data-dictionary/").json()
    metrics = {m["metric"]: m for m in dictionary["metrics"]}
    for key, definition in INTERACTION_DEFINITIONS.items():
        entry = metrics[key]
        assert (entry["family"], entry["unit"], entry["definition"]) == (
            "interaction",
            definition.unit,
            definition.description,
        ), key
        assert entry["wide_name"].startswith("ia_") and len(entry["wide_name"]) <= 28, key
        assert "audio" in entry["missing_reason"], key
    assert (metrics[SPEAKING]["minimum"], metrics[SPEAKING]["maximum"]) == (0.0, 1.0)


def test_the_wide_table_carries_the_interaction_columns_and_frictionless_validates(
    world, analysed, api, tmp_path
):
    _conversation(analysed)
    response = api(world.statistician).get(
        f"/api/v1/studies/{world.study.pk}/datapackage/", {"format": "zip"}
    )
    with zipfile.ZipFile(io.BytesIO(_body(response))) as archive:
        archive.extractall(tmp_path)
    result = subprocess.run(
        [str(Path(sys.executable).with_name("frictionless")), "validate", "datapackage.json", "--json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    report = json.loads(result.stdout)
    assert report["valid"], json.dumps(report, indent=1)[:3000]

    wide = pd.read_csv(tmp_path / "data" / "metrics_wide.csv")
    assert wide["ia_pt_speaking_share"].tolist() == [0.4]
    assert wide["ia_resp_lat_mean_s"].isna().all()
    package = json.loads((tmp_path / "datapackage.json").read_text())
    fields = {f["name"]: f for f in package["resources"][1]["schema"]["fields"]}
    assert fields["ia_pt_speaking_share"]["constraints"] == {"minimum": 0.0, "maximum": 1.0}
    assert {f"ia_{k}" for k in ("turns_pm", "eyec_share")} <= set(fields)
    long = pd.read_csv(tmp_path / "data" / "metrics_long.csv")
    latency = long[long["metric"] == LATENCY]
    assert len(latency) == 1 and latency["value"].isna().all()

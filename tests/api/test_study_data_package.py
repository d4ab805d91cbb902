"""Study events export, data package (validated by `frictionless validate`; its speech table is
the speech export's), codebook, manifest, the package's audit and data dictionary; and R reading
the CSV, the Stata file and the packaged speech table."""

import hashlib
import io
import json
import shutil
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from frictionless import Package

from audit.models import AccessEvent
from results.models import EventReview
from tests.api.conftest import HEARD, add_speech, make_analysed_session


def _body(response) -> bytes:
    assert response.status_code == 200, b"".join(response.streaming_content)[:300]
    return b"".join(response.streaming_content)


def _unzipped_package(api, world, tmp_path: Path, **filters) -> Path:
    response = api(world.statistician).get(
        f"/api/v1/studies/{world.study.pk}/datapackage/", {"format": "zip", **filters}
    )
    assert response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(_body(response))) as archive:
        archive.extractall(tmp_path)
    return tmp_path


def _frictionless_report(folder: Path) -> dict:
    result = subprocess.run(
        [str(Path(sys.executable).with_name("frictionless")), "validate", "datapackage.json", "--json"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return json.loads(result.stdout)


@pytest.fixture
def reviewed(world, analysed):
    """Two sessions: the first event corrected by a clinician, the second rejected."""
    EventReview.objects.create(
        event=analysed.event,
        reviewer=world.clinician,
        decision="correct",
        corrected_start_s=4.0,
        corrected_end_s=10.5,
    )
    later = make_analysed_session(world.patient, by=world.clinician, on=date(2026, 11, 20))
    EventReview.objects.create(event=later.event, reviewer=world.clinician, decision="confirm")
    EventReview.objects.create(event=later.event, reviewer=world.colleague, decision="reject")
    return analysed, later


def test_events_export_has_one_row_per_event_with_its_latest_review(world, reviewed, api):
    url = f"/api/v1/studies/{world.study.pk}/events/"
    frame = pd.read_csv(io.BytesIO(_body(api(world.statistician).get(url))))
    assert len(frame) == 2
    assert list(frame["review_decision"]) == ["correct", "reject"]
    assert (frame.iloc[0]["reviewed_start_s"], frame.iloc[0]["reviewed_end_s"]) == (4.0, 10.5)
    assert frame.iloc[0]["reviewed_kind"] == "body_rocking"
    assert pd.isna(frame.iloc[1]["reviewed_start_s"])  # rejected: no reviewed values
    assert list(frame["session_day"]) == [0, 18] and frame["session_id"].nunique() == 2
    assert set(frame["confidence"]) == {0.9} and set(frame["frequency_hz"]) == {1.0}
    parquet = pq.read_table(
        io.BytesIO(_body(api(world.statistician).get(url, {"format": "parquet"})))
    ).to_pandas()
    assert list(parquet["review_decision"]) == ["correct", "reject"]
    assert list(parquet["session_id"]) == list(frame["session_id"])


def test_the_zip_holds_data_package_codebook_and_manifest_that_frictionless_validates(
    world, analysed, reviewed, api, tmp_path
):
    add_speech(analysed)
    folder = _unzipped_package(api, world, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    for path, entry in manifest["files"].items():
        assert hashlib.sha256((folder / path).read_bytes()).hexdigest() == entry["sha256"], path
    assert manifest["files"]["data/metrics_long.csv"]["rows"] == 8
    assert manifest["files"]["data/speech.csv"]["rows"] == len(HEARD) == 3
    report = _frictionless_report(folder)
    assert report["valid"], json.dumps(report, indent=1)[:3000]
    assert {task["name"] for task in report["tasks"]} == {"metrics_long", "metrics_wide", "events", "speech"}
    assert {task["name"]: task["stats"]["rows"] for task in report["tasks"]}["speech"] == 3
    package = json.loads((folder / "datapackage.json").read_text())
    wide = {f["name"]: f for f in package["resources"][1]["schema"]["fields"]}
    assert wide["ap_valence_mean"]["constraints"] == {"minimum": -1.0, "maximum": 1.0}
    assert "face" in wide["ap_valence_mean"]["missingReason"]
    speech = {f["name"]: f for f in package["resources"][3]["schema"]["fields"]}
    assert speech["speaker"]["constraints"] == {"enum": ["patient", "other", "unknown"]}
    assert speech["confidence"]["constraints"] == {"minimum": 0, "maximum": 1}
    assert (speech["start_s"]["unit"], speech["start_s"]["constraints"]) == ("s", {"minimum": 0})
    assert speech["session_date"]["type"] == "date" and speech["segment_number"]["type"] == "integer"
    codebook = (folder / "codebook.html").read_text()
    assert "Window samples cover consecutive windows of 10 s" in codebook
    assert "<td>speech</td><td>speaker</td><td>string</td>" in codebook and "The speech table" in codebook


def test_the_packaged_speech_table_is_the_speech_export(world, analysed, api, tmp_path):
    """Same builder, same rules: pseudonym, shifted dates, consent and current analyses."""
    add_speech(analysed)
    folder = _unzipped_package(api, world, tmp_path)
    own = _body(api(world.statistician).get(f"/api/v1/studies/{world.study.pk}/speech/", {"format": "csv"}))
    assert (folder / "data/speech.csv").read_bytes() == own
    frame = pd.read_csv(folder / "data/speech.csv")
    assert list(frame["speaker"]) == ["patient", "other", "unknown"]
    assert list(frame["duration_s"]) == [1.5, 1.5, 0.5] and frame["session_id"].nunique() == 1
    assert world.patient.code not in (folder / "data/speech.csv").read_text()
    typed = Package(str(folder / "datapackage.json")).get_resource("speech").to_pandas()
    assert list(typed["confidence"]) == [0.8, 0.6, 0.0] and len(typed) == 3


def test_filters_apply_to_the_packaged_speech_table(world, analysed, api, tmp_path):
    """A date range before the (shifted) session leaves a speech file of its header alone, still valid."""
    add_speech(analysed)
    folder = _unzipped_package(api, world, tmp_path, date_to="2000-01-01")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["files"]["data/speech.csv"]["rows"] == 0
    assert (folder / "data/speech.csv").read_text().startswith("study,pseudonym,session_id,")
    assert len((folder / "data/speech.csv").read_text().splitlines()) == 1
    assert _frictionless_report(folder)["valid"]


@pytest.mark.parametrize(
    ("column", "value"), [("ap_neutral_share", "1.7"), ("speaker", "nurse"), ("confidence", "1.3")]
)
def test_a_broken_data_file_fails_frictionless_validation(world, analysed, api, tmp_path, column, value):
    """The validation above has teeth: a share of 1.7 breaks the wide table's maximum, a speaker
    outside patient/other/unknown the speech table's enum, a confidence of 1.3 its maximum."""
    add_speech(analysed)
    folder = _unzipped_package(api, world, tmp_path)
    path = folder / ("data/speech.csv" if column in ("speaker", "confidence") else "data/metrics_wide.csv")
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table.loc[0, column] = value
    table.to_csv(path, index=False)
    report = _frictionless_report(folder)
    assert report["valid"] is False
    assert {task["name"] for task in report["tasks"] if not task["valid"]} == {path.stem}


def test_the_package_download_is_audited_with_the_rows_of_every_table(world, analysed, api, tmp_path):
    """Long metrics (4), events (1) and speech (3): the wide table repeats the long one's session values."""
    add_speech(analysed)
    folder = _unzipped_package(api, world, tmp_path)
    files = json.loads((folder / "manifest.json").read_text())["files"]
    counted = [files[f"data/{name}.csv"]["rows"] for name in ("metrics_long", "events", "speech")]
    assert counted == [4, 1, 3]
    summary = AccessEvent.objects.get(action=AccessEvent.Action.EXPORT, object_type="study")
    assert summary.details["export"] == "data package"
    assert (summary.details["rows"], summary.details["patients"]) == (8, 1)
    per_patient = AccessEvent.objects.get(action=AccessEvent.Action.EXPORT, object_type="study_export")
    assert per_patient.patient_code == world.patient.code and per_patient.details["rows"] == 8


def test_the_descriptor_and_the_codebook_are_served_on_their_own(world, api):
    descriptor = api(world.statistician).get(f"/api/v1/studies/{world.study.pk}/datapackage/").json()
    assert [r["path"] for r in descriptor["resources"]] == [
        "data/metrics_long.csv",
        "data/metrics_wide.csv",
        "data/events.csv",
        "data/speech.csv",
    ]
    page = api(world.statistician).get(f"/api/v1/studies/{world.study.pk}/codebook/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    text = page.content.decode()
    assert "apathy.valence_mean" in text and "-1 to 1" in text and "Why a metric can be missing" in text
    assert "not recorded" in text


def test_the_data_dictionary_lists_ranges_allowed_values_and_missing_reasons(world, api):
    url = f"/api/v1/studies/{world.study.pk}/data-dictionary/"
    dictionary = api(world.statistician).get(url).json()
    metrics = {m["metric"]: m for m in dictionary["metrics"]}
    assert (metrics["apathy.valence_mean"]["minimum"], metrics["apathy.valence_mean"]["maximum"]) == (-1, 1)
    assert metrics["apathy.valence_mean"]["wide_name"] == "ap_valence_mean"
    assert dictionary["window_length_s"] == 10.0
    columns = {(c["table"], c["name"]): c for c in dictionary["columns"]}
    assert columns["metrics_long", "sex"]["allowed_values"] == ["female", "male", "other"]
    assert columns["metrics_long", "session_date"]["type"] == "date"  # not Arrow's date32[day]
    as_csv = api(world.statistician).get(url, {"format": "csv"}, HTTP_ACCEPT="text/csv")
    assert as_csv.content.decode().splitlines()[0].startswith("kind,table,name,wide_name,type,unit,minimum")


R_SCRIPT = r"""
library(haven)
args <- commandArgs(trailingOnly = TRUE)
long <- read.csv(args[1], stringsAsFactors = FALSE)
stopifnot(is.numeric(long$is_session_level), is.numeric(long$value), is.integer(long$session_day))
session <- long[long$is_session_level == 1, ]
stopifnot(nrow(session) == 2, !anyNA(session$value))
stopifnot(!anyNA(as.Date(long$session_date)))
wide <- read_dta(args[2])
stopifnot(inherits(wide$session_date, "Date"), is.numeric(wide$st_epis_pm), nrow(wide) == 2)
stopifnot(as.character(as_factor(wide$sex))[1] == "female")
stopifnot(grepl("stereotypy.episodes_per_min", attr(wide$st_epis_pm, "label"), fixed = TRUE))
cat("R read", nrow(long), "long rows and", nrow(wide), "wide rows\n")
"""


def test_r_reads_the_csv_and_the_stata_file_with_the_right_types(world, reviewed, api, tmp_path):
    rscript = shutil.which("Rscript")
    assert rscript, "bin/test installs r-base-core and r-cran-haven"
    world.patient.sex = "female"
    world.patient.save()
    url = f"/api/v1/studies/{world.study.pk}/export/"
    (tmp_path / "long.csv").write_bytes(_body(api(world.statistician).get(url, {"format": "csv"})))
    (tmp_path / "wide.dta").write_bytes(
        _body(api(world.statistician).get(url, {"format": "dta", "shape": "wide"}))
    )
    (tmp_path / "check.R").write_text(R_SCRIPT)
    result = subprocess.run(
        [rscript, str(tmp_path / "check.R"), str(tmp_path / "long.csv"), str(tmp_path / "wide.dta")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "R read 8 long rows and 2 wide rows" in result.stdout


R_SPEECH_SCRIPT = r"""
speech <- read.csv(commandArgs(trailingOnly = TRUE)[1], stringsAsFactors = FALSE)
stopifnot(is.numeric(speech$start_s), is.numeric(speech$confidence), is.integer(speech$segment_number))
stopifnot(all(speech$speaker %in% c("patient", "other", "unknown")), !anyNA(as.Date(speech$session_date)))
stopifnot(isTRUE(all.equal(speech$end_s - speech$start_s, speech$duration_s)))
cat("R read", nrow(speech), "speech rows\n")
"""


def test_r_reads_the_packaged_speech_table(world, analysed, api, tmp_path):
    rscript = shutil.which("Rscript")
    assert rscript, "bin/test installs r-base-core"
    add_speech(analysed)
    folder = _unzipped_package(api, world, tmp_path / "package")
    (tmp_path / "speech.R").write_text(R_SPEECH_SCRIPT)
    result = subprocess.run(
        [rscript, str(tmp_path / "speech.R"), str(folder / "data/speech.csv")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "R read 3 speech rows" in result.stdout

"""Coder files read by the coders' own tools: ELAN's EAF through pympi-ling, and the BORIS
spreadsheet through BORIS 8's own import function (boris-behav-obs, loaded headless)."""

import csv
import importlib
import importlib.util
import io
import itertools
import sys
import types

import pympi
import pytest
from django.utils import timezone

from results.models import BehaviourEvent, CodedEvent, EventReview


def _gesture(analysed, body_part: str, start_s: float, end_s: float) -> BehaviourEvent:
    return BehaviourEvent.objects.create(
        job=analysed.job,
        patient=analysed.session.patient,
        session=analysed.session,
        kind="gesture",
        body_part=body_part,
        start_s=start_s,
        end_s=end_s,
        confidence=0.8,
        pipeline_version="1.0.0",
    )


@pytest.fixture
def gestures(world, analysed):
    """On an 8.0 s video: a whole-session both_hands gesture ending at 8.034 s over six
    right_hand gestures, two of which overlap each other; the body_rocking event corrected."""
    recording = analysed.recording
    recording.duration_s = 8.0
    recording.save()
    BehaviourEvent.objects.filter(pk=analysed.event.pk).update(start_s=1.0, end_s=7.0)
    _gesture(analysed, "both_hands", 0.0, 8.034)
    for start in (0.5, 1.5, 3.0, 4.5, 6.0):
        _gesture(analysed, "right_hand", start, start + 0.8)
    _gesture(analysed, "right_hand", 6.5, 7.5)  # overlaps the one at 6.0-6.8
    EventReview.objects.create(
        event=analysed.event,
        reviewer=world.clinician,
        decision="correct",
        corrected_start_s=1.5,
        corrected_end_s=6.5,
    )
    return analysed


def _download(api, world, analysed, file_format: str, tmp_path, suffix: str):
    response = api(world.clinician).get(
        f"/api/v1/sessions/{analysed.session.pk}/events-export/", {"format": file_format}
    )
    assert response.status_code == 200, response.content[:300]
    path = tmp_path / f"session{suffix}"
    path.write_bytes(response.content)
    return path


def test_elan_reads_one_tier_per_kind_and_body_part_without_overlaps(world, gestures, api, tmp_path):
    eaf = pympi.Elan.Eaf(str(_download(api, world, gestures, "eaf", tmp_path, ".eaf")))
    tiers = {name: sorted(eaf.get_annotation_data_for_tier(name)) for name in eaf.get_tier_names()}
    assert set(tiers) == {
        "body_rocking torso",
        "body_rocking torso (reviewed)",
        "gesture both_hands",
        "gesture right_hand",
        "gesture right_hand 2",
    }
    for name, annotations in tiers.items():
        for (_, end, _), (start, _, _) in itertools.pairwise(annotations):
            assert end <= start, f"overlap on tier {name}"
        assert all(0 <= start <= end <= 8000 for start, end, _ in annotations), name
    assert tiers["gesture both_hands"][0][:2] == (0, 8000)  # 8.034 s clamped to the 8.0 s video
    assert tiers["gesture right_hand 2"] == [(6500, 7500, "confidence 0.80")]
    assert tiers["body_rocking torso (reviewed)"] == [(1500, 6500, "corrected by clinician")]


def test_rejected_events_leave_the_reviewed_tier(world, analysed, api, tmp_path):
    EventReview.objects.create(event=analysed.event, reviewer=world.clinician, decision="reject")
    eaf = pympi.Elan.Eaf(str(_download(api, world, analysed, "eaf", tmp_path, ".eaf")))
    assert set(eaf.get_tier_names()) == {"body_rocking torso"}


def test_events_clinicians_added_are_in_the_reviewed_tier_and_taken_back_ones_are_not(
    world, analysed, api, tmp_path
):
    add = {"session": analysed.session, "job": analysed.job, "coded_by": world.clinician}
    CodedEvent.objects.create(**add, label="head_movement", start_s=2.0, end_s=3.0)
    CodedEvent.objects.create(**add, label="hand_flapping", start_s=4.0, end_s=5.0, removed_at=timezone.now())
    eaf = pympi.Elan.Eaf(str(_download(api, world, analysed, "eaf", tmp_path, ".eaf")))
    tiers = {name: eaf.get_annotation_data_for_tier(name) for name in eaf.get_tier_names()}
    assert set(tiers) == {"body_rocking torso", "head_movement (reviewed)"}
    assert tiers["head_movement (reviewed)"] == [(2000, 3000, "added by clinician")]


def _boris_import_module():
    """BORIS's spreadsheet import and state-event check, loaded without its GUI: the package's
    __init__ (the main window) is skipped and the video player binding (libmpv) is left empty;
    the module is BORIS's own code, unchanged."""
    spec = importlib.util.find_spec("boris")
    package = types.ModuleType("boris")
    package.__path__ = list(spec.submodule_search_locations)
    player = types.ModuleType("boris.mpv2")
    player.sofile = ""
    saved = {name: sys.modules.get(name) for name in ("boris", "boris.mpv2")}
    sys.modules["boris"], sys.modules["boris.mpv2"] = package, player
    try:
        return (
            importlib.import_module("boris.import_observations"),
            importlib.import_module("boris.project_functions"),
            importlib.import_module("boris.config"),
        )
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


class _Dialogs:
    """Stands in for QMessageBox: BORIS reports its outcome through dialogs; here they are kept."""

    messages: list[tuple[str, str]] = []

    @classmethod
    def warning(cls, _parent, _title, text, *args):
        cls.messages.append(("warning", text))

    @classmethod
    def information(cls, _parent, _title, text, *args):
        cls.messages.append(("information", text))

    critical = warning
    Ok = Default = NoButton = 0


class _Observation:
    """The part of BORIS's main window the import uses: the project and the open observation."""

    def __init__(self, config) -> None:
        self.observationId = "session"
        self.pj = {config.OBSERVATIONS: {"session": {config.EVENTS: []}}}

    def load_tw_events(self, _observation_id) -> None:
        return None

    def project_changed(self) -> None:
        return None


def test_boris_imports_the_spreadsheet_and_pairs_every_start_and_stop(
    world, gestures, api, tmp_path, monkeypatch
):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    importer, project_functions, config = _boris_import_module()
    monkeypatch.setattr(importer, "QMessageBox", _Dialogs)
    _Dialogs.messages = []
    window = _Observation(config)
    importer.load_observations_from_spreadsheet(
        window, str(_download(api, world, gestures, "boris", tmp_path, ".xlsx"))
    )
    assert _Dialogs.messages == [("information", "Observations imported successfully")]
    observation = window.pj[config.OBSERVATIONS]["session"]
    events = observation[config.EVENTS]
    assert len(events) == 2 * 9  # 9 intervals: 1 model + 1 reviewed rocking, 7 gestures
    codes = {event[config.EVENT_BEHAVIOR_FIELD_IDX] for event in events}
    ethogram = {str(i): {"code": code, "type": "State event"} for i, code in enumerate(sorted(codes))}
    paired, message = project_functions.check_state_events_obs("session", ethogram, observation, config.S)
    assert paired, message
    # Pair START and STOP as BORIS does (by counting per subject, code and modifier).
    open_at: dict[tuple, float] = {}
    intervals = []
    for event in events:
        key = (
            event[config.EVENT_SUBJECT_FIELD_IDX],
            event[config.EVENT_BEHAVIOR_FIELD_IDX],
            event[config.EVENT_MODIFIER_FIELD_IDX],
        )
        if key in open_at:
            intervals.append((key[1], key[2], open_at.pop(key), float(event[config.EVENT_TIME_FIELD_IDX])))
        else:
            open_at[key] = float(event[config.EVENT_TIME_FIELD_IDX])
    assert not open_at
    assert sorted(i for i in intervals if i[1].startswith("right_hand")) == [
        ("gesture", "right_hand", 0.5, 1.3),
        ("gesture", "right_hand", 1.5, 2.3),
        ("gesture", "right_hand", 3.0, 3.8),
        ("gesture", "right_hand", 4.5, 5.3),
        ("gesture", "right_hand", 6.0, 6.8),
        ("gesture", "right_hand 2", 6.5, 7.5),
    ]
    assert ("gesture", "both_hands", 0.0, 8.0) in intervals
    assert ("body_rocking (reviewed)", "torso", 1.5, 6.5) in intervals


def test_the_boris_csv_holds_the_same_rows(world, gestures, api, tmp_path):
    path = _download(api, world, gestures, "boris-csv", tmp_path, ".csv")
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert list(rows[0]) == ["time", "subject", "code", "modifier", "comment"]
    assert len(rows) == 18 and rows[0]["subject"] == world.patient.code
    assert [float(r["time"]) for r in rows] == sorted(float(r["time"]) for r in rows)


def test_the_accept_header_chooses_the_coder_file(world, analysed, api):
    url = f"/api/v1/sessions/{analysed.session.pk}/events-export/"
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert api(world.clinician).get(url, HTTP_ACCEPT=xlsx)["Content-Type"] == xlsx
    assert api(world.clinician).get(url, HTTP_ACCEPT="application/xml")["Content-Type"] == "application/xml"

"""Behaviour events in the files behaviour coders open next to the video: ELAN's EAF and the
spreadsheet BORIS 8 imports into an observation ("import observations from a spreadsheet").

The scheme every coder file follows (features that add events add them through it):
- A track is (source, kind, body part): source "model" or "reviewed" (a clinician's latest
  review; rejected events are left out). Events of one track that overlap are spread over
  numbered lanes, so that no two intervals of one track overlap.
- ELAN: one tier per track and lane, named "<kind> <body part>[ <lane>][ (reviewed)]" (ELAN
  forbids overlapping annotations on a tier).
- BORIS: columns time, subject, code, modifier, comment; code is the kind (with " (reviewed)"
  for reviewed events), modifier is the body part (with the lane), so that BORIS, which pairs
  START and STOP by counting occurrences of subject, code and modifier, pairs them right.
- Times are clamped to [0, media duration]: an event never ends after the video.
- The tasks of a semi-guided visit are one more track: tier (and code) "task", the task's name
  as the annotation.
- Speech heard on the audio track is one track per speaker: tiers "speech patient", "speech
  other" and "speech unknown" (BORIS: code "speech", the speaker as modifier), the speaker
  attribution's confidence as the annotation.
"""

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from openpyxl import Workbook

from recordings.selectors import protocol_task_names
from results.dashboard_selectors import session_latest_job
from results.reviewed import reviewed_events
from results.selectors import job_speech_segments
from results.task_selectors import segments_in_use, session_task_segments

BORIS_COLUMNS = ("time", "subject", "code", "modifier", "comment")
REVIEWED_SUFFIX = " (reviewed)"
REVIEW_WORDS = {"confirm": "confirmed", "correct": "corrected", "added": "added"}


@dataclass(frozen=True)
class CodedEvent:
    """One interval on a coder's timeline, in seconds from the start of the recording."""

    kind: str
    body_part: str
    start_s: float
    end_s: float
    reviewed: bool = False
    comment: str = ""


@dataclass(frozen=True)
class PlacedEvent:
    """An event on its tier (ELAN) or its code and modifier (BORIS), times clamped."""

    event: CodedEvent
    start_s: float
    end_s: float
    lane: int

    @property
    def code(self) -> str:
        return self.event.kind + (REVIEWED_SUFFIX if self.event.reviewed else "")

    @property
    def modifier(self) -> str:
        return " ".join(filter(None, (self.event.body_part, str(self.lane) if self.lane > 1 else "")))

    @property
    def tier(self) -> str:
        lane = str(self.lane) if self.lane > 1 else ""
        return " ".join(filter(None, (self.event.kind, self.event.body_part, lane))) + (
            REVIEWED_SUFFIX if self.event.reviewed else ""
        )


def place_events(events: list[CodedEvent], *, duration_s: float | None) -> list[PlacedEvent]:
    """Clamp times to the media and give each event the first lane of its track that is free
    (a lane is free when its last event ended strictly before this one starts)."""
    placed = []
    lane_ends: dict[tuple[bool, str, str], list[float]] = {}
    for event in sorted(events, key=lambda e: (e.start_s, e.end_s)):
        end_limit = duration_s if duration_s else event.end_s
        start = min(max(event.start_s, 0.0), end_limit)
        end = min(max(event.end_s, start), end_limit)
        ends = lane_ends.setdefault((event.reviewed, event.kind, event.body_part), [])
        lane = next((i for i, last in enumerate(ends) if last < start), None)
        if lane is None:
            ends.append(end)
            lane = len(ends) - 1
        else:
            ends[lane] = end
        placed.append(PlacedEvent(event, start, end, lane + 1))
    return placed


def eaf_document(
    events: list[CodedEvent], *, media_filename: str, duration_s: float | None, author: str = ""
) -> bytes:
    """An ELAN 3.0 annotation document, one tier per track and lane."""
    root = ET.Element(
        "ANNOTATION_DOCUMENT",
        {
            "AUTHOR": author,
            "DATE": datetime.now(UTC).isoformat(timespec="seconds"),
            "FORMAT": "3.0",
            "VERSION": "3.0",
            "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
            "xsi:noNamespaceSchemaLocation": "http://www.mpi.nl/tools/elan/EAFv3.0.xsd",
        },
    )
    header = ET.SubElement(root, "HEADER", {"MEDIA_FILE": "", "TIME_UNITS": "milliseconds"})
    ET.SubElement(
        header,
        "MEDIA_DESCRIPTOR",
        {
            "MEDIA_URL": f"file:///{media_filename}",
            "MIME_TYPE": "video/mp4",
            "RELATIVE_MEDIA_URL": f"./{media_filename}",
        },
    )
    time_order = ET.SubElement(root, "TIME_ORDER")
    by_tier: dict[str, list[PlacedEvent]] = {}
    for placed in place_events(events, duration_s=duration_s):
        by_tier.setdefault(placed.tier, []).append(placed)
    slot = annotation = 0
    tiers = []
    for tier_id in sorted(by_tier):
        tier = ET.Element("TIER", {"LINGUISTIC_TYPE_REF": "behaviour", "TIER_ID": tier_id})
        for placed in by_tier[tier_id]:
            slot_ids = []
            for time_s in (placed.start_s, placed.end_s):
                slot += 1
                slot_ids.append(f"ts{slot}")
                ET.SubElement(
                    time_order,
                    "TIME_SLOT",
                    {"TIME_SLOT_ID": f"ts{slot}", "TIME_VALUE": str(int(time_s * 1000))},
                )
            annotation += 1
            alignable = ET.SubElement(
                ET.SubElement(tier, "ANNOTATION"),
                "ALIGNABLE_ANNOTATION",
                {
                    "ANNOTATION_ID": f"a{annotation}",
                    "TIME_SLOT_REF1": slot_ids[0],
                    "TIME_SLOT_REF2": slot_ids[1],
                },
            )
            ET.SubElement(alignable, "ANNOTATION_VALUE").text = placed.event.comment or placed.event.kind
        tiers.append(tier)
    root.extend(tiers)
    ET.SubElement(
        root,
        "LINGUISTIC_TYPE",
        {"GRAPHIC_REFERENCES": "false", "LINGUISTIC_TYPE_ID": "behaviour", "TIME_ALIGNABLE": "true"},
    )
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)


def boris_rows(events: list[CodedEvent], *, subject: str, duration_s: float | None) -> list[tuple]:
    """A row at the start and a row at the end of each event, in time order (at one instant,
    ends before starts); BORIS decides which is START and which STOP by counting."""
    rows = []
    for placed in place_events(events, duration_s=duration_s):
        for order, time_s in ((1, placed.start_s), (0, placed.end_s)):
            rows.append(
                (round(time_s, 3), order, subject, placed.code, placed.modifier, placed.event.comment)
            )
    rows.sort(key=lambda row: (row[0], row[1]))
    return [
        (time_s, subject, code, modifier, comment) for time_s, _, subject, code, modifier, comment in rows
    ]


def boris_csv(events: list[CodedEvent], *, subject: str, duration_s: float | None) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(BORIS_COLUMNS)
    writer.writerows(
        (f"{t:.3f}", *rest) for t, *rest in boris_rows(events, subject=subject, duration_s=duration_s)
    )
    return buffer.getvalue()


def boris_xlsx(events: list[CodedEvent], *, subject: str, duration_s: float | None) -> bytes:
    """The XLSX sheet BORIS 8 imports into an open observation."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "events"
    sheet.append(BORIS_COLUMNS)
    for row in boris_rows(events, subject=subject, duration_s=duration_s):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def session_coded_events(session, *, reviewer_names: bool) -> list[CodedEvent]:
    """The model events of the session's latest analysis and, beside them, the events as
    reviewed (results.reviewed, the one read of reviewed values: confirmed ones, corrections'
    times and labels, events clinicians added; rejected and unreviewed ones have no reviewed
    interval); reviewer_names False for studies, which see no names."""
    job = session_latest_job(session=session)
    coded = []
    for event in reviewed_events(job=job) if job else []:
        if event.source == "model":
            coded.append(
                CodedEvent(
                    event.model_label,
                    event.body_part,
                    event.model_start_s,
                    event.model_end_s,
                    comment=f"confidence {event.confidence:.2f}",
                )
            )
        if event.status in ("unreviewed", "reject"):
            continue
        by = f" by {event.reviewer}" if reviewer_names else ""
        coded.append(
            CodedEvent(
                kind=event.label,
                body_part=event.body_part,
                start_s=event.start_s,
                end_s=event.end_s,
                reviewed=True,
                comment=f"{REVIEW_WORDS[event.status]}{by}",
            )
        )
    speech = speech_intervals(job) if job else []
    return coded + speech + session_task_intervals(session, reviewer_names=reviewer_names)


def speech_intervals(job) -> list[CodedEvent]:
    """The speech the analysis heard, one track per speaker (patient, other, unknown)."""
    return [
        CodedEvent("speech", s.speaker, s.start_s, s.end_s, comment=f"speaker confidence {s.confidence:.2f}")
        for s in job_speech_segments(job=job)
    ]


def session_task_intervals(session, *, reviewer_names: bool) -> list[CodedEvent]:
    """The tasks of a semi-guided visit, on one tier "task" (ELAN) or code "task" (BORIS): the
    segments in use (marked by clinicians, else proposed by the task model), the task's name as
    the annotation."""
    names = protocol_task_names(protocol=session.protocol)
    intervals = []
    for segment in segments_in_use(session_task_segments(session=session)):
        if segment.source == "marked":
            who = f", marked by {segment.marked_by.get_username()}" if reviewer_names else ", marked"
        else:
            who = ", proposed by the task model"
        name = names.get(segment.task_code, segment.task_code)
        intervals.append(CodedEvent("task", "", segment.start_s, segment.end_s, comment=f"{name}{who}"))
    return intervals


CODER_FORMATS = ("eaf", "boris", "boris-csv")
CODER_MEDIA_TYPES = {
    "eaf": "application/xml",
    "boris": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "boris-csv": "text/csv; charset=utf-8",
}


def coder_file(
    coded: list[CodedEvent], *, file_format: str, subject: str, duration_s: float | None, name: str
) -> tuple[bytes, str, str]:
    """(content, media type, file name) of one coder file: eaf, boris (XLSX) or boris-csv."""
    media = CODER_MEDIA_TYPES[file_format]
    if file_format == "boris":
        return boris_xlsx(coded, subject=subject, duration_s=duration_s), media, f"{name}-boris.xlsx"
    if file_format == "boris-csv":
        return boris_csv(coded, subject=subject, duration_s=duration_s).encode(), media, f"{name}-boris.csv"
    return eaf_document(coded, media_filename=f"{name}.mp4", duration_s=duration_s), media, f"{name}.eaf"


def media_duration_s(session) -> float | None:
    """The recording's length bounds every event, whether or not the video is still stored."""
    recording = session.recordings.order_by("-status", "created_at").first()
    return recording.duration_s if recording else None

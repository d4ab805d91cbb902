"""Behaviour events in the formats behaviour coders open next to the video: ELAN's EAF (XML,
one tier per event kind) and BORIS's tabular events (one START and one STOP row per event).

Model events and clinicians' reviews are kept apart: tier "<kind>" holds the model's events,
tier "<kind> (reviewed)" the confirmed or corrected ones at their reviewed times.
"""

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree import ElementTree as ET


@dataclass(frozen=True)
class CodedEvent:
    """One interval on a coder's timeline, in seconds from the start of the recording."""

    tier: str
    start_s: float
    end_s: float
    label: str


def eaf_document(events: list[CodedEvent], *, media_filename: str, author: str = "") -> bytes:
    """An ELAN 3.0 annotation document with one tier per event kind."""
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
        header, "MEDIA_DESCRIPTOR", {"MEDIA_URL": f"file:///{media_filename}", "MIME_TYPE": "video/mp4"}
    )
    time_order = ET.SubElement(root, "TIME_ORDER")
    by_tier: dict[str, list[CodedEvent]] = defaultdict(list)
    for event in events:
        by_tier[event.tier].append(event)
    slot = annotation = 0
    tiers = []
    for tier_id in sorted(by_tier):
        tier = ET.Element("TIER", {"LINGUISTIC_TYPE_REF": "behaviour", "TIER_ID": tier_id})
        for event in sorted(by_tier[tier_id], key=lambda e: e.start_s):
            slot_ids = []
            for time_s in (event.start_s, event.end_s):
                slot += 1
                slot_ids.append(f"ts{slot}")
                ET.SubElement(
                    time_order,
                    "TIME_SLOT",
                    {"TIME_SLOT_ID": f"ts{slot}", "TIME_VALUE": str(round(time_s * 1000))},
                )
            annotation += 1
            wrapper = ET.SubElement(tier, "ANNOTATION")
            alignable = ET.SubElement(
                wrapper,
                "ALIGNABLE_ANNOTATION",
                {
                    "ANNOTATION_ID": f"a{annotation}",
                    "TIME_SLOT_REF1": slot_ids[0],
                    "TIME_SLOT_REF2": slot_ids[1],
                },
            )
            ET.SubElement(alignable, "ANNOTATION_VALUE").text = event.label
        tiers.append(tier)
    root.extend(tiers)
    ET.SubElement(
        root,
        "LINGUISTIC_TYPE",
        {"GRAPHIC_REFERENCES": "false", "LINGUISTIC_TYPE_ID": "behaviour", "TIME_ALIGNABLE": "true"},
    )
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)


BORIS_COLUMNS = (
    "Observation id",
    "Observation date",
    "Media file",
    "Total length",
    "FPS",
    "Subject",
    "Behavior",
    "Behavioral category",
    "Comment",
    "Status",
    "Time",
)


def boris_tabular_events(
    events: list[CodedEvent],
    *,
    observation_id: str,
    observation_date: str,
    media_filename: str,
    total_length_s: float,
    fps: float,
    subject: str,
) -> str:
    """BORIS tabular events (CSV): a START row and a STOP row per event, in time order."""
    rows = []
    for event in events:
        for status, time_s in (("START", event.start_s), ("STOP", event.end_s)):
            rows.append((time_s, 0 if status == "START" else 1, event, status))
    rows.sort(key=lambda row: (row[0], row[1]))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(BORIS_COLUMNS)
    for time_s, _, event, status in rows:
        writer.writerow(
            (
                observation_id,
                observation_date,
                media_filename,
                f"{total_length_s:.3f}",
                f"{fps:.3f}",
                subject,
                event.tier,
                "model" if not event.tier.endswith("(reviewed)") else "clinician",
                event.label,
                status,
                f"{time_s:.3f}",
            )
        )
    return buffer.getvalue()

"""A gesture training set from the clinicians' reviews, in analysis.gestures.dataset's format.

Which events become samples
- Reviewed model events whose latest review confirms or corrects them (a rejected event is not
  a gesture; an unreviewed one is the model's word only).
- Of kind "gesture" after review (the corrected kind when a review changes it), or of every kind
  with all_kinds (the label of a non-gesture event is then its kind, e.g. "hand_flapping").
- Of patients whose *current* consent includes model_training (patients.selectors
  .consent_active_scopes, read now, not when the event was made).
- Times: the corrected start and end when the latest review corrected them, else the event's.

The gesture's name (the sample's label), first match wins:
1. "gesture: NAME" (or "gesture=NAME") in the latest review's note: how a clinician names or
   renames a gesture, since a review corrects kinds and times but has no gesture field;
2. the event's attributes["gesture"], the name the praxis analysis gave it (compute_praxis).
An event with neither is left out ("no gesture name").

Keypoints: the event's segment of the job's tracks Parquet (read through Django's storage),
normalised by analysis.gestures (dataset.sample_from_tracks: shoulder-centred, shoulder widths).

Every left-out event is counted under a reason, so the person running the export sees what was
excluded and why. Each patient whose data went into the set gets an export AccessEvent.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from accounts.errors import ApplicationError
from analysis.gestures.dataset import sample_from_tracks, write_dataset
from audit.models import AccessEvent
from audit.services import access_record
from patients.models import ConsentScope
from patients.selectors import consent_active_scopes
from results.gesture_references import tracks_for_job
from results.models import BehaviourEvent, EventReview
from results.review_selectors import events_with_latest_review

_GESTURE_NOTE = re.compile(r"\bgesture\s*[:=]\s*([\w-]+)", re.IGNORECASE)

REASON_NOT_REVIEWED = "not reviewed by a clinician"
REASON_REJECTED = "rejected by the clinician"
REASON_NO_CONSENT = "the patient's current consent does not include model_training"
REASON_OTHER_KIND = "not a gesture after review (use --all-kinds to include other kinds)"
REASON_NO_NAME = "no gesture name (neither in the review note nor in the event)"
REASON_NO_TRACKS = "the analysis has no stored tracks"
REASON_UNUSABLE = "keypoints unusable in the event's segment"
REASON_TOO_FEW = "its label has fewer samples than the minimum per label"


@dataclass
class TrainingSetReport:
    """What an export wrote: counts per label, left-out events per reason, the data hash."""

    directory: Path
    sha256: str = ""
    included: Counter[str] = field(default_factory=Counter)
    excluded: Counter[str] = field(default_factory=Counter)
    patients: list[str] = field(default_factory=list)
    sample_ids: list[str] = field(default_factory=list)

    @property
    def n_samples(self) -> int:
        return sum(self.included.values())


def gesture_name_from(*, note: str, attributes: dict) -> str | None:
    """The gesture's name: "gesture: NAME" in the review note, else attributes["gesture"]."""
    match = _GESTURE_NOTE.search(note or "")
    if match:
        return match.group(1).lower()
    name = (attributes or {}).get("gesture")
    return str(name) if name else None


def _split_for(event_id: int, test_fraction: float) -> str | None:
    """A stable split: the same event lands in the same split in every export."""
    if test_fraction <= 0:
        return None
    return "test" if zlib.crc32(f"event-{event_id}".encode()) % 10_000 < test_fraction * 10_000 else "train"


def gesture_training_set_build(
    *,
    out_dir: str | Path,
    all_kinds: bool = False,
    test_fraction: float = 0.0,
    min_per_label: int = 2,
    pipeline_version: str | None = None,
) -> TrainingSetReport:
    """Write a training set directory from reviewed events; see the module docstring for the rules.

    test_fraction: share of samples given split "test" (chosen by a hash of the event id, so a
    re-export keeps them apart); 0 leaves every split null (the trainer decides).
    min_per_label: labels with fewer samples are left out (the trainer needs at least 2 per label).
    Raises ApplicationError when no sample remains.
    """
    report = TrainingSetReport(directory=Path(out_dir))
    events = BehaviourEvent.objects.all()
    if pipeline_version:
        events = events.filter(pipeline_version=pipeline_version)
    events = (
        events_with_latest_review(events)
        .select_related("patient", "job__recording")
        .order_by("patient_id", "job_id", "start_s", "pk")
    )
    consents: dict[int, set[str]] = {}
    candidates = []
    for event in events:
        decision = event.latest_decision
        if decision is None:
            report.excluded[REASON_NOT_REVIEWED] += 1
            continue
        if decision == EventReview.Decision.REJECT:
            report.excluded[REASON_REJECTED] += 1
            continue
        kind = event.latest_corrected_kind or event.kind
        if not all_kinds and kind != BehaviourEvent.Kind.GESTURE:
            report.excluded[REASON_OTHER_KIND] += 1
            continue
        if event.patient_id not in consents:
            consents[event.patient_id] = consent_active_scopes(patient=event.patient)
        if ConsentScope.MODEL_TRAINING not in consents[event.patient_id]:
            report.excluded[REASON_NO_CONSENT] += 1
            continue
        label = (
            gesture_name_from(note=event.latest_note, attributes=event.attributes)
            if kind == BehaviourEvent.Kind.GESTURE
            else kind
        )
        if not label:
            report.excluded[REASON_NO_NAME] += 1
            continue
        candidates.append((event, label))

    samples, patients_used = [], {}
    tracks_cache: dict[int, object] = {}
    for event, label in candidates:
        if event.job_id not in tracks_cache:
            try:
                tracks_cache[event.job_id] = tracks_for_job(job=event.job)
            except ApplicationError:
                tracks_cache[event.job_id] = None
        tracks = tracks_cache[event.job_id]
        if tracks is None:
            report.excluded[REASON_NO_TRACKS] += 1
            continue
        corrected = event.latest_corrected_start_s is not None and event.latest_corrected_end_s is not None
        start_s = event.latest_corrected_start_s if corrected else event.start_s
        end_s = event.latest_corrected_end_s if corrected else event.end_s
        try:
            sample = sample_from_tracks(
                tracks,
                float(start_s),
                float(end_s),
                label,
                sample_id=f"event-{event.pk}",
                split=_split_for(event.pk, test_fraction),
                source={
                    "event_id": event.pk,
                    "review_id": event.latest_review_id,
                    "job_id": event.job_id,
                    "pipeline_version": event.pipeline_version,
                    "start_s": float(start_s),
                    "end_s": float(end_s),
                },
            )
        except ValueError:
            report.excluded[REASON_UNUSABLE] += 1
            continue
        samples.append(sample)
        patients_used.setdefault(event.patient_id, (event.patient, []))[1].append(event.pk)

    per_label = Counter(sample.label for sample in samples)
    kept = [sample for sample in samples if per_label[sample.label] >= min_per_label]
    report.excluded[REASON_TOO_FEW] += len(samples) - len(kept)
    if not kept:
        raise ApplicationError(
            "No reviewed event can go into the training set: "
            + "; ".join(f"{count} {reason}" for reason, count in report.excluded.items() if count)
            + ". Review more events (confirm or correct) of patients who consented to model training."
        )
    kept_ids = {sample.sample_id for sample in kept}
    report.sha256 = write_dataset(
        report.directory,
        kept,
        description=(
            f"clinician-reviewed {'events of every kind' if all_kinds else 'gesture events'}"
            + (f", pipeline {pipeline_version}" if pipeline_version else "")
        ),
    )
    report.included = Counter(sample.label for sample in kept)
    report.sample_ids = [sample.sample_id for sample in kept]
    for patient, event_ids in patients_used.values():
        used = [pk for pk in event_ids if f"event-{pk}" in kept_ids]
        if not used:
            continue
        report.patients.append(patient.code)
        access_record(
            user=None,
            action=AccessEvent.Action.EXPORT,
            object_type="gesture_training_set",
            patient=patient,
            details={"events": used, "directory": str(report.directory), "sha256": report.sha256},
        )
    report.excluded = +report.excluded
    return report

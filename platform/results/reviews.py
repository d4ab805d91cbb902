"""Writes about clinicians' reviews of behaviour events.

A review is stored beside the model's event, never over it: the event keeps what the model
found, and the EventReview rows say what clinicians decided (the data for retraining and for
measuring the models' agreement with clinicians). The latest review of an event is its status.
"""

from __future__ import annotations

import math
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.errors import ApplicationError
from accounts.permissions import Action, require
from audit.models import AccessEvent
from audit.services import access_record
from recordings.models import ClinicalSession
from recordings.selectors import label_names
from results.models import AnalysisJob, BehaviourEvent, CodedEvent, EventReview

# A corrected event may end a little after the recording's last frame (rounding of timestamps).
_END_TOLERANCE_S = 0.5


def _check_times(start_s: float | None, end_s: float | None, duration_s: float | None) -> None:
    if (start_s is None) != (end_s is None):
        raise ApplicationError(
            "Give both the corrected start and the corrected end, or neither.",
            extra={"field": "corrected_start_s" if start_s is None else "corrected_end_s"},
        )
    if start_s is None or end_s is None:
        return
    if not (math.isfinite(start_s) and math.isfinite(end_s)):
        raise ApplicationError(
            "The corrected times must be numbers of seconds.", extra={"field": "corrected_start_s"}
        )
    if start_s < 0:
        raise ApplicationError(
            f"The corrected start ({start_s:g} s) is before the start of the video; use 0 s or later.",
            extra={"field": "corrected_start_s"},
        )
    if end_s < start_s:
        raise ApplicationError(
            f"The corrected end ({end_s:g} s) is before the corrected start ({start_s:g} s); "
            "swap them or fix the end.",
            extra={"field": "corrected_end_s"},
        )
    if duration_s is not None and end_s > duration_s + _END_TOLERANCE_S:
        raise ApplicationError(
            f"The corrected end ({end_s:g} s) is after the end of the video ({duration_s:.1f} s).",
            extra={"field": "corrected_end_s"},
        )


@transaction.atomic
def event_review_create(
    *,
    event: BehaviourEvent,
    reviewer: Any,
    decision: str,
    corrected_kind: str = "",
    corrected_start_s: float | None = None,
    corrected_end_s: float | None = None,
    note: str = "",
    request: Any = None,
) -> EventReview:
    """Record a clinician's decision on a model event and audit it.

    decision is "confirm", "reject" or "correct". A correction gives a new kind, new times
    (both start and end, in seconds from the start of the video), or both. Raises
    PermissionDenied unless the reviewer may review this patient's events, and
    ApplicationError (a sentence for the person) when the review is not valid.
    """
    require(reviewer, Action.REVIEW_EVENTS, event.patient)
    if decision not in EventReview.Decision.values:
        raise ApplicationError(
            f"Unknown decision {decision!r}: choose confirm, reject or correct.", extra={"field": "decision"}
        )
    corrected_kind = corrected_kind or ""
    if decision != EventReview.Decision.CORRECT:
        if corrected_kind or corrected_start_s is not None or corrected_end_s is not None:
            raise ApplicationError(
                "Corrected kind and times go with the decision 'correct' only.", extra={"field": "decision"}
            )
    else:
        labels = label_names(protocol=event.session.protocol)
        if corrected_kind and corrected_kind not in labels:
            raise ApplicationError(
                f"Unknown label {corrected_kind!r}: choose one of the protocol's ethogram.",
                extra={"field": "corrected_kind"},
            )
        if not corrected_kind and corrected_start_s is None and corrected_end_s is None:
            raise ApplicationError(
                "A correction needs a new kind or new start and end times.", extra={"field": "corrected_kind"}
            )
        recording = event.job.recording
        _check_times(corrected_start_s, corrected_end_s, recording.duration_s if recording else None)

    review = EventReview(
        event=event,
        reviewer=reviewer,
        decision=decision,
        corrected_kind=corrected_kind,
        corrected_start_s=corrected_start_s,
        corrected_end_s=corrected_end_s,
        note=note.strip(),
    )
    try:
        review.full_clean()
    except ValidationError as error:
        raise ApplicationError(
            "The review could not be saved: " + " ".join(error.messages), extra=error.message_dict
        ) from error
    review.save()
    access_record(
        user=reviewer,
        action=AccessEvent.Action.REVIEW,
        object_type="behaviour_event",
        object_id=event.pk,
        patient=event.patient,
        details={"decision": decision, "review_id": review.pk, "session_id": event.session_id},
        request=request,
    )
    return review


@transaction.atomic
def coded_event_create(
    *,
    session: ClinicalSession,
    job: AnalysisJob | None,
    label: str,
    start_s: float | None,
    end_s: float | None,
    by: Any,
    note: str = "",
    request: Any = None,
) -> CodedEvent:
    """Add an event the model missed (coded on the timeline or by keys while playing). Raises
    PermissionDenied unless `by` may review the patient's events, ApplicationError when the
    label is not in the protocol's ethogram or the times are not inside the video."""
    require(by, Action.REVIEW_EVENTS, session.patient)
    if label not in label_names(protocol=session.protocol):
        raise ApplicationError(
            f"Unknown label {label!r}: choose one of the protocol's ethogram.", extra={"field": "label"}
        )
    if start_s is None or end_s is None:
        raise ApplicationError(
            "Give the start and the end of the event, in seconds.", extra={"field": "start_s"}
        )
    recording = job.recording if job else None
    _check_times(start_s, end_s, recording.duration_s if recording else None)
    if end_s - start_s < 0.04:
        raise ApplicationError(
            "The event is shorter than a video frame: press the key again later to end it.",
            extra={"field": "end_s"},
        )
    coded = CodedEvent(
        session=session, job=job, label=label, start_s=start_s, end_s=end_s, coded_by=by, note=note.strip()
    )
    try:
        coded.full_clean()
    except ValidationError as error:
        raise ApplicationError("The event could not be saved: " + " ".join(error.messages)) from error
    coded.save()
    access_record(
        user=by,
        action=AccessEvent.Action.REVIEW,
        object_type="coded_event",
        object_id=coded.pk,
        patient=session.patient,
        details={"label": label, "session_id": session.pk, "added": True},
        request=request,
    )
    return coded


@transaction.atomic
def coded_event_remove(*, coded: CodedEvent, by: Any, request: Any = None) -> CodedEvent:
    """Take back a coded event (kept, marked removed, so the audit trail stays whole)."""
    require(by, Action.REVIEW_EVENTS, coded.session.patient)
    if coded.removed_at is None:
        coded.removed_at = timezone.now()
        coded.save(update_fields=["removed_at"])
        access_record(
            user=by,
            action=AccessEvent.Action.REVIEW,
            object_type="coded_event",
            object_id=coded.pk,
            patient=coded.session.patient,
            details={"removed": True, "session_id": coded.session_id},
            request=request,
        )
    return coded

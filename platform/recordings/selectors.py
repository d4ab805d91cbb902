"""Reads about protocols, clinical sessions and recordings."""

from dataclasses import dataclass

from django.db.models import QuerySet

from recordings.models import ClinicalSession, Protocol, ProtocolTask


def protocol_list() -> QuerySet[Protocol]:
    return Protocol.objects.order_by("name")


@dataclass(frozen=True)
class Label:
    """One behaviour of an ethogram: stored code, readable name, coding key."""

    code: str
    name: str
    key: str


# The model's event kinds, with keys, for protocols whose ethogram the admin has not written.
DEFAULT_ETHOGRAM = (
    Label("body_rocking", "body rocking", "r"),
    Label("hand_flapping", "hand flapping", "f"),
    Label("head_movement", "head movement", "h"),
    Label("gesture", "gesture", "g"),
    Label("gaze_shift", "gaze shift", "s"),
)


def ethogram_for(*, protocol: Protocol) -> list[Label]:
    """The labels clinicians code in sessions of this protocol, in the admin's order; the
    model's kinds when the protocol has none."""
    rows = [Label(row.code, row.name, row.key) for row in protocol.ethogram.all()]
    return rows or list(DEFAULT_ETHOGRAM)


def label_names(*, protocol: Protocol) -> dict[str, str]:
    """Readable names of every code that can appear on the protocol's events: its ethogram and
    the model's kinds (the model reports those whatever the ethogram says)."""
    names = {label.code: label.name for label in DEFAULT_ETHOGRAM}
    names.update({label.code: label.name for label in ethogram_for(protocol=protocol)})
    return names


def calibrated_sessions(*, session_ids: set[int]) -> set[int]:
    """The sessions among these whose gaze calibration segment has been marked."""
    if not session_ids:
        return set()
    return set(
        ClinicalSession.objects.filter(
            pk__in=session_ids, gaze_calibration_start_s__isnull=False
        ).values_list("pk", flat=True)
    )


def protocol_tasks(*, protocol: Protocol) -> list[ProtocolTask]:
    """The protocol's tasks in the order the patient is asked to do them (empty for protocols
    without a task list)."""
    return list(protocol.tasks.order_by("position", "pk"))


def protocol_task_names(*, protocol: Protocol) -> dict[str, str]:
    """Readable name of each task code of the protocol, in the expected order."""
    return {task.code: task.name for task in protocol_tasks(protocol=protocol)}

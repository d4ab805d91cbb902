"""The audit log's hash chain: every AccessEvent holds the sha256 of the one before it and of
its own content, so that changing, removing or inserting a row breaks every link after it.

Appends are serialised (a PostgreSQL advisory lock held to the end of the transaction; SQLite
writes one transaction at a time), so that two requests never chain to the same row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

from audit.models import AccessEvent

_LOCK_KEY = 0x41554449  # "AUDI": the advisory lock of the chain's end
GENESIS = "0" * 64


def event_hash(event: AccessEvent, previous_hash: str) -> str:
    """sha256 of the previous hash and every field of the event but its id and hashes."""
    content = {
        "previous": previous_hash,
        "at": event.at.isoformat(),
        "user": event.user_id,
        "username": event.username,
        "action": event.action,
        "outcome": event.outcome,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "patient": event.patient_code,
        "details": event.details,
        "client_address": event.client_address,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(canonical.encode()).hexdigest()


def chain_append(events: Iterable[AccessEvent]) -> list[AccessEvent]:
    """Save the events at the end of the chain, in order."""
    events = list(events)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        last = AccessEvent.objects.order_by("-id").values_list("entry_hash", flat=True).first()
        previous = last or GENESIS
        for event in events:
            event.previous_hash = previous
            event.entry_hash = previous = event_hash(event, previous)
            event.save(force_insert=True)
    return events


@dataclass(frozen=True)
class BrokenLink:
    event_id: int
    reason: str


def chain_breaks(events: Iterable[AccessEvent] | None = None) -> Iterator[BrokenLink]:
    """Every broken link of the chain, oldest first (the first is where tampering began)."""
    rows = AccessEvent.objects.order_by("id").iterator(chunk_size=2000) if events is None else events
    previous = GENESIS
    for event in rows:
        if event.previous_hash != previous:
            yield BrokenLink(
                event.id, "it does not name the hash of the event before it (a row was removed or inserted)"
            )
        elif event_hash(event, event.previous_hash) != event.entry_hash:
            yield BrokenLink(event.id, "its content does not match its hash (the row was changed)")
        previous = event.entry_hash

"""AccessEvent: one row for every read of patient data, every export and every refusal.

The log is append-only and tamper-evident: each row carries the sha256 of its own content and of
the row before it (audit.chain), `manage.py audit_verify` checks the chain, and on PostgreSQL a
trigger refuses every UPDATE and DELETE of a row. The patient is named by pseudonym, not by a
foreign key, so that erasing a patient never has to rewrite the log.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class AccessEvent(models.Model):
    class Action(models.TextChoices):
        VIEW = "view", "viewed"
        LIST = "list", "listed"
        VIEW_IDENTITY = "view_identity", "viewed identity"
        STREAM_VIDEO = "stream_video", "streamed video"
        DOWNLOAD = "download", "downloaded"
        EXPORT = "export", "exported"
        CREATE = "create", "created"
        UPDATE = "update", "updated"
        REVIEW = "review", "reviewed"
        DELETE = "delete", "deleted"
        DENIED = "denied", "was refused"

    class Outcome(models.TextChoices):
        ALLOWED = "allowed", "allowed"
        DENIED = "denied", "denied"

    # No database constraint: deleting a user must not rewrite the log (username keeps the name).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    username = models.CharField(max_length=150, blank=True, help_text="Kept if the user is deleted.")
    action = models.CharField(max_length=20, choices=Action.choices)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.ALLOWED)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64, blank=True)
    patient_code = models.CharField("patient", max_length=12, blank=True, db_index=True)
    details = models.JSONField(default=dict, blank=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    previous_hash = models.CharField(max_length=64, blank=True)
    entry_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["patient_code", "-at"]),
            models.Index(fields=["user", "-at"]),
        ]

    def __str__(self) -> str:
        return (
            f"{self.username or 'anonymous'} {self.get_action_display()} {self.object_type} {self.object_id}"
        )

"""AccessEvent: one row for every read of patient data and every export."""

from django.conf import settings
from django.db import models


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

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    username = models.CharField(max_length=150, blank=True, help_text="Kept if the user is deleted.")
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64, blank=True)
    patient = models.ForeignKey("patients.Patient", null=True, blank=True, on_delete=models.SET_NULL)
    details = models.JSONField(default=dict, blank=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["patient", "-at"]),
            models.Index(fields=["user", "-at"]),
        ]

    def __str__(self) -> str:
        return (
            f"{self.username or 'anonymous'} {self.get_action_display()} {self.object_type} {self.object_id}"
        )

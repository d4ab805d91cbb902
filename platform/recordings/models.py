"""Protocols, clinical sessions (visits), their recordings, and resumable uploads."""

import uuid

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q


class Protocol(models.Model):
    """What happens in a session: which segments to expect, which gestures for a praxis test."""

    class Kind(models.TextChoices):
        APATHY_INTERVIEW = "apathy_interview", "apathy interview (positive and negative story)"
        ADOS_MODULE = "ados_module", "ADOS module"
        PRAXIS_TEST = "praxis_test", "praxis test"
        SEMI_GUIDED_TASKS = "semi_guided_tasks", "semi-guided tasks"
        FREE_PLAY = "free_play", "free play"

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    description = models.TextField(blank=True)
    expected_segments = models.JSONField(
        default=list, blank=True, help_text='[{"name": "positive story", "start_s": 0, "end_s": 120}, ...]'
    )
    expected_gestures = models.JSONField(default=list, blank=True, help_text='["wave", "point", ...]')
    gaze_target = models.JSONField(
        default=dict, blank=True, help_text='{"kind": "camera"} or {"kind": "region", "yaw_deg": [..], ...}'
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class EthogramLabel(models.Model):
    """One behaviour a protocol's coders label (BORIS's ethogram): a code, a readable name and
    the key that starts and stops it while the video plays. A protocol without labels uses the
    model's five event kinds (recordings.selectors.ethogram_for)."""

    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="ethogram")
    code = models.SlugField(max_length=30, help_text="Stored with each event, e.g. body_rocking.")
    name = models.CharField(max_length=80, help_text="Shown to clinicians, e.g. body rocking.")
    key = models.CharField(
        max_length=1,
        validators=[RegexValidator(r"^[a-z0-9]$", "Use one lower-case letter or digit.")],
        help_text="Keyboard key that starts and stops this behaviour while coding.",
    )
    description = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["protocol", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["protocol", "code"], name="ethogram_code_unique"),
            models.UniqueConstraint(fields=["protocol", "key"], name="ethogram_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"


class ProtocolTask(models.Model):
    """One daily-living task of a semi-guided protocol (e.g. prepare a pill box), in the order the
    patient is asked to do it. Clinicians mark each task's start and end on the session page
    (results.TaskSegment); per-task metrics compare what was done with this list."""

    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="tasks")
    position = models.PositiveSmallIntegerField(
        default=1, help_text="Order in which the patient is asked to do it (1 first); key 1-9 marks it."
    )
    code = models.SlugField(max_length=40, help_text="Stored with each marked task, e.g. pill_box.")
    name = models.CharField(max_length=120, help_text="Shown to clinicians, e.g. prepare a pill box.")
    instructions = models.TextField(blank=True, help_text="What the patient is told.")
    expected_max_duration_s = models.FloatField(
        validators=[MinValueValidator(1)],
        help_text="Expected maximum duration in seconds; longer is flagged on the dashboard.",
    )

    class Meta:
        ordering = ["protocol", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["protocol", "code"], name="protocol_task_code_unique"),
            models.UniqueConstraint(fields=["protocol", "position"], name="protocol_task_position_unique"),
            models.CheckConstraint(
                condition=Q(expected_max_duration_s__gte=1), name="protocol_task_duration_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class ClinicalSession(models.Model):
    """One visit of a patient, following a protocol (not a web session)."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="sessions")
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="sessions")
    session_date = models.DateField()
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(blank=True)
    # A few seconds where the patient looks at the protocol's gaze target, marked by a clinician:
    # without it, gaze-on-target metrics cannot be interpreted (they read "needs calibration").
    gaze_calibration_start_s = models.FloatField(null=True, blank=True)
    gaze_calibration_end_s = models.FloatField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-session_date", "-id"]
        indexes = [models.Index(fields=["patient", "session_date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(gaze_calibration_start_s__isnull=True, gaze_calibration_end_s__isnull=True)
                | Q(
                    gaze_calibration_start_s__gte=0,
                    gaze_calibration_end_s__gt=models.F("gaze_calibration_start_s"),
                ),
                name="gaze_calibration_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} {self.session_date} {self.protocol.code}"


def recording_upload_path(instance: "Recording", filename: str) -> str:
    """Server-chosen storage key: the client's file name never reaches a path."""
    return f"recordings/{instance.session.patient.code}/{uuid.uuid4().hex}.video"


class Recording(models.Model):
    """A stored video of a session, probed after upload (codec, fps, duration, size)."""

    class Status(models.TextChoices):
        STORED = "stored", "stored"
        DELETED = "deleted", "video deleted (consent withdrawn)"

    session = models.ForeignKey(ClinicalSession, on_delete=models.PROTECT, related_name="recordings")
    file = models.FileField(upload_to=recording_upload_path, max_length=300, blank=True)
    original_filename = models.CharField(max_length=255, help_text="Shown to people; never used as a path.")
    sha256 = models.CharField(max_length=64)
    size_bytes = models.BigIntegerField(validators=[MinValueValidator(1)])
    codec = models.CharField(max_length=40)
    fps = models.FloatField()
    duration_s = models.FloatField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    rotation_deg = models.IntegerField(default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.STORED)
    # Where a clinician clicked the patient on a frame: {"x_px", "y_px", "time_s"} of the
    # upright frame; empty for the automatic choice. Every later analysis of the video uses it.
    patient_point = models.JSONField(default=dict, blank=True)
    patient_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    patient_confirmed_at = models.DateTimeField(null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "sha256"],
                condition=Q(status="stored"),
                name="one_stored_recording_per_file_and_session",
            ),
            models.CheckConstraint(condition=Q(duration_s__gt=0) & Q(fps__gt=0), name="recording_probed"),
            models.CheckConstraint(
                condition=Q(status="deleted", deleted_at__isnull=False)
                | Q(status="stored", deleted_at__isnull=True),
                name="recording_deleted_at_matches_status",
            ),
        ]
        indexes = [models.Index(fields=["sha256"])]

    def __str__(self) -> str:
        return f"recording {self.pk} of {self.session}"


class ChunkedUpload(models.Model):
    """A resumable upload in progress: chunks are appended to a private temporary file until
    received_bytes == total_size_bytes, then the sha256 is checked and a Recording is made."""

    class Status(models.TextChoices):
        OPEN = "open", "receiving chunks"
        COMPLETE = "complete", "complete"
        FAILED = "failed", "failed"
        ABANDONED = "abandoned", "abandoned"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(ClinicalSession, on_delete=models.CASCADE, related_name="uploads")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    original_filename = models.CharField(max_length=255)
    total_size_bytes = models.BigIntegerField(validators=[MinValueValidator(1)])
    expected_sha256 = models.CharField(max_length=64)
    received_bytes = models.BigIntegerField(default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    error = models.TextField(blank=True)
    recording = models.ForeignKey(
        Recording, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(received_bytes__gte=0) & Q(received_bytes__lte=models.F("total_size_bytes")),
                name="upload_received_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"upload {self.id} ({self.received_bytes}/{self.total_size_bytes} B)"

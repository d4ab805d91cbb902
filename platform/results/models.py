"""What the models found: analysis jobs, windowed metric samples, behaviour events, and the
clinicians' reviews of those events (stored beside the model's output, never over it)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q


class ModelVersion(models.Model):
    """A trained or packaged model the pipeline can run; the deployment marks one active per name."""

    class Kind(models.TextChoices):
        POSE = "pose"
        FACE = "face"
        HANDS = "hands"
        EMOTION = "emotion"
        GAZE = "gaze"
        PEOPLE = "people"
        GESTURE = "gesture"
        TASK = "task"

    name = models.CharField(max_length=80)
    version = models.CharField(max_length=40)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    file = models.FileField(upload_to="models/", blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    training_data_sha256 = models.CharField(max_length=64, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="model_version_unique"),
            models.UniqueConstraint(
                fields=["name"], condition=Q(is_active=True), name="one_active_model_per_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


class AnalysisJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        SUCCEEDED = "succeeded", "finished"
        FAILED = "failed", "failed"
        CANCELLED = "cancelled", "cancelled"

    class Queue(models.TextChoices):
        CPU = "cpu"
        GPU = "gpu"

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)

    recording = models.ForeignKey("recordings.Recording", on_delete=models.PROTECT, related_name="jobs")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=60, blank=True, help_text="What the worker is doing, in plain words.")
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    queue = models.CharField(max_length=10, choices=Queue.choices, default=Queue.CPU)
    pipeline_version = models.CharField(max_length=20)
    model_versions = models.JSONField(default=list, blank=True, help_text='[{"name": ..., "version": ...}]')
    result_status = models.CharField(max_length=40, blank=True, help_text='e.g. "ok" or "no_person_found".')
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    celery_task_id = models.CharField(max_length=64, blank=True)
    tracks_file = models.FileField(upload_to="tracks/", max_length=300, blank=True)
    patient_point = models.JSONField(
        default=dict,
        blank=True,
        help_text="The recording's chosen patient point this job analysed (empty: automatic).",
    )
    # The metrics that follow the marked segments (praxis cues, an interview's stories), after a
    # mark changed: "recomputing" until results.segment_metrics has recomputed them from the
    # tracks, "needs re-analysis" when the tracks are not stored; empty when up to date.
    segment_metrics_state = models.CharField(max_length=30, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="job_progress_at_most_100"),
            models.UniqueConstraint(
                fields=["recording", "pipeline_version"],
                condition=Q(status__in=["queued", "running"]),
                name="one_active_job_per_recording_and_pipeline",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"job {self.pk} ({self.status}) of recording {self.recording_id}"


class MetricSample(models.Model):
    """One metric value over a time window of a session, or over the whole session
    (window_start_s = 0, window_end_s = duration, is_session_level True)."""

    job = models.ForeignKey(AnalysisJob, on_delete=models.CASCADE, related_name="metric_samples")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="metric_samples")
    session = models.ForeignKey(
        "recordings.ClinicalSession", on_delete=models.PROTECT, related_name="metric_samples"
    )
    session_date = models.DateField(help_text="Copied from the session so that trend queries need no join.")
    metric = models.CharField(max_length=80)
    value = models.FloatField(null=True, help_text="Null when it could not be computed (e.g. no face seen).")
    unit = models.CharField(max_length=20)
    reason = models.CharField(
        max_length=300,
        blank=True,
        default="",
        help_text="Why the value is null, in a sentence a clinician reads.",
    )
    analysable_s = models.FloatField(
        null=True,
        blank=True,
        help_text="Seconds of the session the value rests on (rates and shares); null where not applicable.",
    )
    window_start_s = models.FloatField()
    window_end_s = models.FloatField()
    is_session_level = models.BooleanField(default=False)
    pipeline_version = models.CharField(max_length=20)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(window_end_s__gte=models.F("window_start_s")) & Q(window_start_s__gte=0),
                name="metric_window_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "metric", "session_date"]),
            models.Index(fields=["session", "metric"]),
            models.Index(fields=["job"]),
        ]

    def __str__(self) -> str:
        return f"{self.metric}={self.value} [{self.window_start_s}, {self.window_end_s}) s"


class BehaviourEvent(models.Model):
    class Kind(models.TextChoices):
        BODY_ROCKING = "body_rocking", "body rocking"
        HAND_FLAPPING = "hand_flapping", "hand flapping"
        HEAD_MOVEMENT = "head_movement", "head movement"
        GESTURE = "gesture", "gesture"
        GAZE_SHIFT = "gaze_shift", "gaze shift"

    job = models.ForeignKey(AnalysisJob, on_delete=models.CASCADE, related_name="events")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="events")
    session = models.ForeignKey("recordings.ClinicalSession", on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    body_part = models.CharField(max_length=30)
    start_s = models.FloatField(validators=[MinValueValidator(0)])
    end_s = models.FloatField()
    frequency_hz = models.FloatField(null=True, blank=True)
    confidence = models.FloatField(validators=[MinValueValidator(0), MaxValueValidator(1)])
    attributes = models.JSONField(default=dict, blank=True)
    pipeline_version = models.CharField(max_length=20)

    class Meta:
        ordering = ["start_s"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_s__gte=models.F("start_s")) & Q(start_s__gte=0), name="event_times_ordered"
            ),
            models.CheckConstraint(
                condition=Q(confidence__gte=0) & Q(confidence__lte=1), name="event_confidence_0_1"
            ),
        ]
        indexes = [models.Index(fields=["session", "kind"]), models.Index(fields=["patient", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.start_s:.1f}-{self.end_s:.1f} s"


class EventReview(models.Model):
    """A clinician's verdict on a model event: the data for retraining and for agreement figures."""

    class Decision(models.TextChoices):
        CONFIRM = "confirm", "confirmed"
        REJECT = "reject", "rejected"
        CORRECT = "correct", "corrected"

    # PROTECT: a clinician's review is never deleted along with a re-run's replaced events.
    event = models.ForeignKey(BehaviourEvent, on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    # A model kind or a code of the protocol's ethogram (checked by results.reviews).
    corrected_kind = models.CharField(max_length=30, blank=True)
    corrected_start_s = models.FloatField(null=True, blank=True)
    corrected_end_s = models.FloatField(null=True, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(decision="correct")
                | (Q(corrected_start_s__isnull=False) & Q(corrected_end_s__isnull=False))
                | ~Q(corrected_kind=""),
                name="review_correction_has_values",
            ),
            models.CheckConstraint(
                condition=Q(corrected_start_s__isnull=True)
                | Q(corrected_end_s__isnull=True)
                | (Q(corrected_end_s__gte=models.F("corrected_start_s")) & Q(corrected_start_s__gte=0)),
                name="review_corrected_times_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} event {self.event_id}"


class CodedEvent(models.Model):
    """An event a clinician coded that the model did not report (on the timeline or by keys
    while the video plays). Counted with the reviewed model events (results.reviewed)."""

    session = models.ForeignKey(
        "recordings.ClinicalSession", on_delete=models.CASCADE, related_name="coded_events"
    )
    job = models.ForeignKey(
        AnalysisJob,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="coded_events",
        help_text="The analysis on screen when it was coded.",
    )
    label = models.CharField(max_length=30, help_text="A code of the protocol's ethogram.")
    start_s = models.FloatField(validators=[MinValueValidator(0)])
    end_s = models.FloatField()
    coded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True, help_text="Set when its coder takes it back.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start_s", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_s__gt=models.F("start_s")) & Q(start_s__gte=0),
                name="coded_event_times_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} {self.start_s:.1f}-{self.end_s:.1f} s (coded)"


class GestureReference(models.Model):
    """A reference trajectory of one gesture of a praxis protocol, marked by a clinician on a
    recording (normalised keypoints, shape (n_frames, n_features))."""

    protocol = models.ForeignKey(
        "recordings.Protocol", on_delete=models.CASCADE, related_name="gesture_references"
    )
    gesture = models.CharField(max_length=60)
    source_job = models.ForeignKey(
        AnalysisJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    start_s = models.FloatField(null=True, blank=True)
    end_s = models.FloatField(null=True, blank=True)
    trajectory = models.JSONField(help_text="List of frames, each a list of normalised coordinates.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["protocol", "gesture"], name="one_reference_per_gesture")
        ]

    def __str__(self) -> str:
        return f"{self.protocol.code}: {self.gesture}"


class TaskSegment(models.Model):
    """When the patient did one task of a semi-guided protocol (recordings.ProtocolTask): marked
    by a clinician on the session page, or proposed by the task model and then accepted or
    corrected (which makes it marked). Marked segments are training data for the task model, for
    patients who consent to model_training only (results.task_selectors)."""

    class Source(models.TextChoices):
        MARKED = "marked", "marked by a clinician"
        AUTOMATIC = "automatic", "proposed by the task model"

    session = models.ForeignKey(
        "recordings.ClinicalSession", on_delete=models.CASCADE, related_name="task_segments"
    )
    task_code = models.SlugField(max_length=40, help_text="A code of the protocol's task list.")
    start_s = models.FloatField(validators=[MinValueValidator(0)])
    end_s = models.FloatField()
    source = models.CharField(max_length=10, choices=Source.choices)
    confidence = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="The task model's confidence (automatic segments only).",
    )
    job = models.ForeignKey(
        AnalysisJob,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="task_segments",
        help_text="The analysis that proposed it (automatic segments).",
    )
    model_version = models.CharField(max_length=40, blank=True, help_text="The task model that proposed it.")
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["session", "start_s", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_s__gt=models.F("start_s")) & Q(start_s__gte=0),
                name="task_segment_times_ordered",
            ),
            models.CheckConstraint(
                condition=Q(source="automatic") | Q(marked_by__isnull=False),
                name="task_segment_marked_has_who",
            ),
        ]
        indexes = [models.Index(fields=["session", "source"])]

    def __str__(self) -> str:
        return f"{self.task_code} {self.start_s:.1f}-{self.end_s:.1f} s ({self.source})"


class SpeechSegment(models.Model):
    """A stretch of speech heard on the recording's audio track and who said it (the patient, the
    other person in the room, or unknown), as the analysis attributed it from mouth movement."""

    class Speaker(models.TextChoices):
        PATIENT = "patient", "the patient"
        OTHER = "other", "the other person"
        UNKNOWN = "unknown", "speaker unknown"

    job = models.ForeignKey(AnalysisJob, on_delete=models.CASCADE, related_name="speech_segments")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="speech_segments")
    session = models.ForeignKey(
        "recordings.ClinicalSession", on_delete=models.PROTECT, related_name="speech_segments"
    )
    start_s = models.FloatField(validators=[MinValueValidator(0)])
    end_s = models.FloatField()
    speaker = models.CharField(max_length=10, choices=Speaker.choices)
    confidence = models.FloatField(validators=[MinValueValidator(0), MaxValueValidator(1)])
    speech_probability = models.FloatField(validators=[MinValueValidator(0), MaxValueValidator(1)])

    class Meta:
        ordering = ["start_s"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_s__gte=models.F("start_s")) & Q(start_s__gte=0), name="speech_times_ordered"
            ),
        ]
        indexes = [models.Index(fields=["session", "speaker"])]

    def __str__(self) -> str:
        return f"speech ({self.speaker}) {self.start_s:.1f}-{self.end_s:.1f} s"


class EyeContactEpisode(models.Model):
    """A stretch in which the patient looked at the other person's face (eye contact), or in which
    both looked at each other (mutual gaze), as the analysis decided it frame by frame."""

    KINDS = [("eye_contact", "eye contact"), ("mutual_gaze", "mutual gaze")]
    job = models.ForeignKey(AnalysisJob, on_delete=models.CASCADE, related_name="eye_contact_episodes")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT)
    session = models.ForeignKey("recordings.ClinicalSession", on_delete=models.PROTECT)
    kind = models.CharField(max_length=12, choices=KINDS)
    start_s = models.FloatField(validators=[MinValueValidator(0)])
    end_s = models.FloatField()

    class Meta:
        ordering = ["start_s"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_s__gte=models.F("start_s")) & Q(start_s__gte=0),
                name="eye_contact_times_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start_s:.1f}-{self.end_s:.1f} s"

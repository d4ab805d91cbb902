"""Patients (pseudonymous), their identity (kept apart, care team only), study enrolment and consent."""

import re
import secrets
import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

# Pseudonym alphabet without look-alike characters (0/O, 1/I/L).
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def generate_pseudonym() -> str:
    return "P-" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))


class Sex(models.TextChoices):
    """Sex as recorded with the patient; studies export it as a covariate with these labels."""

    FEMALE = "female", "female"
    MALE = "male", "male"
    OTHER = "other", "other"
    NOT_RECORDED = "not_recorded", "not recorded"


# A group, arm or diagnosis group is a short code (e.g. "control", "arm-B", "PD"), never free text,
# because studies receive it as it is.
study_code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9 _.+-]*$",
    "Use a short code of letters, digits, spaces, dots, dashes or underscores (e.g. control, arm-B, PD).",
)


def generate_study_pseudonym() -> str:
    """A study's name for an enrolled patient: random, unrelated to the care team's code."""
    return "S-" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))


def generate_session_key_salt() -> str:
    return secrets.token_hex(16)


def draw_date_shift_days(*, min_days: int, max_days: int) -> int:
    """A random non-zero offset of min_days..max_days days, before or after (uniform)."""
    magnitude = min_days + secrets.randbelow(max_days - min_days + 1)
    return magnitude if secrets.randbelow(2) else -magnitude


class Patient(models.Model):
    """A patient as the whole system sees them: a pseudonym and a care team, nothing identifying."""

    code = models.CharField(max_length=12, unique=True, default=generate_pseudonym, editable=False)
    care_team = models.ForeignKey("accounts.CareTeam", on_delete=models.PROTECT, related_name="patients")
    sex = models.CharField(max_length=12, choices=Sex.choices, default=Sex.NOT_RECORDED)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class PatientIdentity(models.Model):
    """Identifying data, readable only by the patient's care team (accounts.permissions)."""

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="identity")
    full_name = models.CharField(max_length=200)
    date_of_birth = models.DateField()
    # Unique within the patient's care team (patients.services locks the team to check it):
    # hospitals number their patients independently, so two teams may hold the same number.
    hospital_number = models.CharField(max_length=40)

    class Meta:
        verbose_name_plural = "patient identities"
        indexes = [models.Index(fields=["hospital_number"])]

    def __str__(self) -> str:
        return f"identity of {self.patient_id}"


class IdentityCorrection(models.Model):
    """One correction of a patient's identity by the care team: the values before and after,
    who and why. Deleted with the identity (erasure leaves no copy of a name behind)."""

    identity = models.ForeignKey(PatientIdentity, on_delete=models.CASCADE, related_name="corrections")
    changes = models.JSONField(help_text='{"full_name": ["before", "after"], ...}')
    reason = models.CharField(max_length=300)
    corrected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    corrected_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-corrected_at", "-pk"]

    def __str__(self) -> str:
        return f"correction {self.pk} of {self.identity_id}"


class StudyEnrolment(models.Model):
    """A patient in a study. The study knows them only by `pseudonym` and sees every date moved
    by `date_shift_days`; both are drawn at random when the enrolment is saved, never typed,
    never shown in a form (editable=False), and read through patients.study_view only."""

    study = models.ForeignKey("accounts.Study", on_delete=models.CASCADE, related_name="enrolments")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="enrolments")
    enrolled_at = models.DateTimeField(auto_now_add=True)
    pseudonym = models.CharField(max_length=12, unique=True, default=generate_study_pseudonym, editable=False)
    date_shift_days = models.IntegerField(
        editable=False, help_text="Random non-zero offset added to every date the study sees."
    )
    session_key_salt = models.CharField(
        max_length=32,
        editable=False,
        default=generate_session_key_salt,
        help_text="Secret of the study's session keys (patients.study_view.study_session_key).",
    )
    group = models.CharField(
        "group or arm",
        max_length=40,
        blank=True,
        validators=[study_code_validator],
        help_text="The study group or arm the care team assigned, as a short code (e.g. control, arm-B).",
    )
    diagnosis_group = models.CharField(
        max_length=40,
        blank=True,
        validators=[study_code_validator],
        help_text="The diagnosis group for this study, as a short code (e.g. PD, MSA, healthy).",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["study", "patient"], name="unique_enrolment"),
            models.CheckConstraint(condition=~Q(date_shift_days=0), name="enrolment_date_shift_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.pseudonym} in {self.study.code}"

    def save(self, *args, **kwargs) -> None:
        # Every path that creates an enrolment (service, admin, fixtures) gets a random shift.
        self.draw_date_shift()
        super().save(*args, **kwargs)

    def draw_date_shift(self) -> None:
        """Draw the shift from the study's range unless it is already set."""
        if self.date_shift_days is None:
            self.date_shift_days = draw_date_shift_days(
                min_days=self.study.date_shift_min_days, max_days=self.study.date_shift_max_days
            )


class ConsentScope(models.TextChoices):
    STORE_VIDEO = "store_video", "store the video"
    ANALYSE = "analyse", "analyse the video"
    RESEARCH_EXPORT = "research_export", "export pseudonymised data for research"
    MODEL_TRAINING = "model_training", "use reviewed events to train models"


def consent_document_path(instance: "Consent", filename: str) -> str:
    """Server-chosen storage key: the name the user gave the scan (often the patient's name)
    never reaches storage; only its lowercased extension is kept."""
    suffix = PurePath(filename).suffix.lower()
    if not re.fullmatch(r"\.[a-z0-9]{1,5}", suffix):
        suffix = ""
    return f"consent/{instance.patient.code}/{uuid.uuid4().hex}{suffix}"


class Consent(models.Model):
    """One scope granted by a patient, append-only: a grant is never edited or deleted; it is
    withdrawn by setting withdrawn_at once, and a new grant is a new row with the next version.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    scope = models.CharField(max_length=20, choices=ConsentScope.choices)
    version = models.PositiveIntegerField(help_text="Increases with every consent record of the patient.")
    given_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    document = models.FileField(upload_to=consent_document_path, max_length=200, blank=True)
    note = models.CharField(max_length=500, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawal_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["patient", "version"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "version"], name="consent_version_unique"),
            models.UniqueConstraint(
                fields=["patient", "scope"],
                condition=Q(withdrawn_at__isnull=True),
                name="one_active_consent_per_scope",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=models.F("given_at")),
                name="consent_withdrawn_after_given",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True, withdrawn_by__isnull=True)
                | Q(withdrawn_at__isnull=False, withdrawn_by__isnull=False),
                name="consent_withdrawal_has_author",
            ),
        ]
        indexes = [models.Index(fields=["patient", "scope", "withdrawn_at"])]

    def __str__(self) -> str:
        state = "active" if self.is_active else "withdrawn"
        return f"{self.patient} v{self.version} {self.scope} ({state})"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None


class ErasureRequest(models.Model):
    """The right to be forgotten: a clinician of the care team asks, an administrator (another
    person) confirms, and then everything of the patient leaves the database and the storage.
    This row stays as the record of the erasure, naming the patient by pseudonym only."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "waiting for confirmation"
        ERASED = "erased", "erased"

    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.SET_NULL, related_name="erasure_requests"
    )
    pseudonym = models.CharField(max_length=12, help_text="The patient's code, kept after the erasure.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    study_members = models.JSONField(
        default=list,
        blank=True,
        help_text='Studies whose past exports held the patient: [{"study": code, "members": [username, ...]}].',
    )

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["pseudonym"], condition=Q(status="requested"), name="one_open_erasure_per_patient"
            ),
            models.CheckConstraint(
                condition=~Q(confirmed_by=models.F("requested_by")),
                name="erasure_confirmed_by_another_person",
            ),
        ]

    def __str__(self) -> str:
        return f"erasure of {self.pseudonym} ({self.get_status_display()})"

"""Care teams and studies: the two ways a user is linked to patients.

Roles are Django groups named after accounts.roles.Role; membership of a care team or a study
decides which patients a role applies to (see accounts.permissions).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q


class CareTeam(models.Model):
    """The clinicians and staff who look after a group of patients (a ward, a clinic)."""

    name = models.CharField(max_length=120, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="care_teams", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Study(models.Model):
    """A research study; its members (statisticians) see pseudonymised data of enrolled,
    consenting patients only."""

    code = models.SlugField(max_length=40, unique=True)
    title = models.CharField(max_length=200)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="studies", blank=True)
    # Every date the study sees is shifted by a random offset drawn per enrolment, between these
    # bounds in days, before or after (never 0, never chosen by anyone: see StudyEnrolment).
    date_shift_min_days = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="Smallest date shift of an enrolled patient, in days (before or after).",
    )
    date_shift_max_days = models.PositiveSmallIntegerField(
        default=180,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="Largest date shift of an enrolled patient, in days (before or after).",
    )
    age_band_years = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Export age as bands this many years wide (5 gives 70-74) instead of years with one decimal.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "studies"
        constraints = [
            models.CheckConstraint(
                condition=Q(date_shift_min_days__gte=1)
                & Q(date_shift_max_days__gte=F("date_shift_min_days")),
                name="study_date_shift_range",
                violation_error_message="The largest date shift must be at least the smallest, which is 1 day or more.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.title}"


class ApiToken(models.Model):
    """A personal API token. Only its sha256 is stored: the key is shown once, to its owner, when
    it is created. It expires; its owner (or an administrator) may revoke it; the audit log names
    it by `label` on every request it authenticates."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80, help_text="What the owner uses it for, e.g. 'R scripts'.")
    prefix = models.CharField(max_length=8, help_text="The key's first characters, to recognise it.")
    key_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.name} ({self.prefix}…)"

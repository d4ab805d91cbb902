"""Care teams and studies: the two ways a user is linked to patients.

Roles are Django groups named after accounts.roles.Role; membership of a care team or a study
decides which patients a role applies to (see accounts.permissions).
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models


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
    shift_dates = models.BooleanField(
        default=True, help_text="Exports shift each patient's dates by a random per-patient offset."
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

    def __str__(self) -> str:
        return f"{self.code}: {self.title}"

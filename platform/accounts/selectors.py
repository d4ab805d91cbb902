"""Reads about users, care teams and studies."""

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from accounts.models import CareTeam


def clinicians_of_care_team(*, care_team: CareTeam) -> QuerySet:
    return get_user_model().objects.filter(care_teams=care_team, groups__name="clinician").distinct()

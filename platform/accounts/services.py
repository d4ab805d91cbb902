"""Writes about users, roles, care teams and studies."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from accounts.models import CareTeam, Study
from accounts.roles import ALL_ROLES, Role


def roles_ensure() -> None:
    """Create the role groups (idempotent; also run by a data migration)."""
    for role in ALL_ROLES:
        Group.objects.get_or_create(name=role.value)


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    roles: list[Role],
    care_teams: list[CareTeam] = (),
    studies: list[Study] = (),
    email: str = "",
    first_name: str = "",
    last_name: str = "",
):
    """A user with roles and memberships. Admins also get Django admin access (is_staff)."""
    user = get_user_model()(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_staff=Role.ADMIN in roles,
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    roles_ensure()
    user.groups.set(Group.objects.filter(name__in=[role.value for role in roles]))
    for team in care_teams:
        team.members.add(user)
    for study in studies:
        study.members.add(user)
    return user


@transaction.atomic
def care_team_create(*, name: str) -> CareTeam:
    team = CareTeam(name=name)
    team.full_clean()
    team.save()
    return team


@transaction.atomic
def study_create(
    *, code: str, title: str, date_shift_min_days: int = 1, date_shift_max_days: int = 180
) -> Study:
    """A study; its enrolled patients' dates are shifted by a random offset within these bounds."""
    study = Study(
        code=code,
        title=title,
        date_shift_min_days=date_shift_min_days,
        date_shift_max_days=date_shift_max_days,
    )
    study.full_clean()
    study.save()
    return study

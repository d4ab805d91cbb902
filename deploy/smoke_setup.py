"""The people and the patient of deploy/smoke.sh, created inside the web container with the
platform's services (`manage.py shell < deploy/smoke_setup.py`), as an administrator would.

`manage.py demo` makes the same users and protocols but also generates and stores its own
videos, which the smoke test does not need (minutes on a busy host). The demo users' password
comes from DEMO_PASSWORD. Prints PATIENT=<pseudonym> of a new patient without any consent.
"""

import os
from datetime import date

from django.contrib.auth import get_user_model

from accounts.models import CareTeam
from accounts.roles import Role
from accounts.services import care_team_create, roles_ensure, user_create
from patients.services import patient_create
from workers.management.commands.demo import CARE_TEAM_NAME, USERS, protocols_ensure

roles_ensure()
team = CareTeam.objects.filter(name=CARE_TEAM_NAME).first() or care_team_create(name=CARE_TEAM_NAME)
people = {}
for username, role, first_name, last_name in USERS:
    if role not in (Role.CLINICIAN, Role.UPLOADER):
        continue
    people[role] = get_user_model().objects.filter(username=username).first() or user_create(
        username=username,
        password=os.environ["DEMO_PASSWORD"],
        roles=[role],
        care_teams=[team],
        first_name=first_name,
        last_name=last_name,
    )
protocols_ensure()
patient = patient_create(
    care_team=team,
    full_name="Smoke Test",
    date_of_birth=date(1950, 1, 1),
    hospital_number="SMOKE-0001",
    by=people[Role.CLINICIAN],
)
print(f"PATIENT={patient.code}")

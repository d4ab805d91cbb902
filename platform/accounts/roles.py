"""The four roles, stored as Django groups (so an admin can see and change them in one place)."""

from enum import StrEnum


class Role(StrEnum):
    UPLOADER = "uploader"  # hospital staff: registers sessions, records consent, uploads
    CLINICIAN = "clinician"  # care team: everything about their patients
    STATISTICIAN = "statistician"  # study member: pseudonymised metrics of consenting patients
    ADMIN = "admin"  # users, care teams, studies, protocols, model versions, audit log


ALL_ROLES = tuple(Role)

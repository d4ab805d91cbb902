"""The objects and addresses of the access matrix: one concrete URL for every URL pattern of the
site (pages, admin, API, Dash, media), and the roles that walk them."""

from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.permissions import PATIENT_PATHS
from accounts.roles import Role
from accounts.tokens import api_token_create
from patients.study_view import study_session_key
from recordings.models import ChunkedUpload
from results.models import TaskSegment
from tests.api.conftest import make_analysed_session
from tests.factories import make_user

# uploader, clinician, colleague (same team), outsider (other team), statistician in the study,
# statistician outside it, admin, anonymous.
ROLES = ("uploader", "clinician", "colleague", "outsider", "statistician", "stat_out", "admin", "anonymous")


@dataclass
class Objects:
    world: Any
    users: dict
    values: dict


def make_objects(world) -> Objects:
    analysed = make_analysed_session(world.patient, by=world.clinician)
    world.admin.is_superuser = True
    world.admin.save()
    stat_out = make_user("stat_out", Role.STATISTICIAN)
    upload = ChunkedUpload.objects.create(
        session=analysed.session,
        uploaded_by=world.uploader,
        original_filename="video.mp4",
        total_size_bytes=1000,
        expected_sha256="a" * 64,
    )
    token, _ = api_token_create(user=world.clinician, name="matrix")
    segment = TaskSegment.objects.create(
        session=analysed.session,
        task_code="pill_box",
        start_s=1.0,
        end_s=2.0,
        source="marked",
        marked_by=world.clinician,
    )
    users = {role: getattr(world, role, None) for role in ROLES}
    users["stat_out"] = stat_out
    users["anonymous"] = None
    values = {
        "code": world.patient.code,
        "session": analysed.session.pk,
        "recording": analysed.recording.pk,
        "job": analysed.job.pk,
        "event": analysed.event.pk,
        "study": world.study.pk,
        "upload": upload.pk,
        "token": token.pk,
        "segment": segment.pk,
        "consent": world.patient.consents.first().pk,
        "identity": world.patient.identity.pk,
        "enrolment": world.patient.enrolments.first().pk,
        "user": world.clinician.pk,
        "session_key": study_session_key(
            enrolment=world.patient.enrolments.get(study=world.study), session_id=analysed.session.pk
        ),
    }
    return Objects(world=world, users=users, values=values)


def url_patterns() -> list[str]:
    """The view name (namespace:name) of every URL pattern of the site, admin included; the
    route for the few patterns without a name."""

    def walk(patterns, namespace="", prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, inner, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield f"{namespace}{pattern.name}" if pattern.name else prefix + str(pattern.pattern)

    return sorted(set(walk(get_resolver().url_patterns)))


def admin_object_pk(model, values: dict) -> Any:
    """A row of the model for its change, history and delete pages."""
    key = {
        "patients.consent": "consent",
        "patients.patient": None,
        "patients.patientidentity": "identity",
        "patients.studyenrolment": "enrolment",
        "recordings.clinicalsession": "session",
        "recordings.recording": "recording",
        "recordings.chunkedupload": "upload",
        "results.analysisjob": "job",
        "results.behaviourevent": "event",
        "accounts.apitoken": "token",
        "auth.user": "user",
    }.get(model._meta.label_lower, "first")
    if key is None:
        return model.objects.get(code=values["code"]).pk
    if key == "first":
        row = model.objects.order_by("pk").first()
        return row.pk if row is not None else 0
    return values[key]


def admin_models() -> list:
    return list(admin.site._registry)


def admin_routes(values: dict) -> list[tuple[str, str, str, bool]]:
    """(route, method, path, carries patient data) of the admin: the site's own pages, then the
    change list, add, change, history and delete pages of every registered model."""
    routes = [
        ("admin/", "get", "/admin/", False),
        ("admin/login/", "get", "/admin/login/", False),
        ("admin/logout/", "get", "/admin/logout/", False),
        ("admin/password_change/", "get", "/admin/password_change/", False),
        ("admin/password_change/done/", "get", "/admin/password_change/done/", False),
        ("admin/autocomplete/", "get", "/admin/autocomplete/", False),
        ("admin/jsi18n/", "get", "/admin/jsi18n/", False),
        ("admin/r/<path:content_type_id>/<path:object_id>/", "get", "/admin/r/1/1/", False),
        (
            "admin/^(?P<app_label>auth|accounts|patients|recordings|results|audit)/$",
            "get",
            "/admin/patients/",
            False,
        ),
        ("admin/(?P<url>.*)$", "get", "/admin/no-such-page/", False),
        ("admin/audit/accessevent/export.csv", "get", "/admin/audit/accessevent/export.csv", True),
        ("admin/auth/user/<id>/password/", "get", f"/admin/auth/user/{values['user']}/password/", False),
    ]
    for model in admin_models():
        label = model._meta.label_lower
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        data = label in PATIENT_PATHS
        pk = admin_object_pk(model, values)
        for page, suffix, carries in (
            ("changelist", "", data),
            ("add", "add/", False),
            ("change", f"{pk}/change/", data),
            ("history", f"{pk}/history/", data),
            ("delete", f"{pk}/delete/", False),  # the confirmation names the row only
            ("object", f"{pk}/", False),
        ):
            routes.append((f"{base}<{page}>", "get", base + suffix, carries))
    return routes

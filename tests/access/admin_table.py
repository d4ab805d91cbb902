"""The admin's part of the access table: the site's own pages, and for every registered model its
change list, add, change, history and delete pages and the bare object address (a redirect to
the change page). Every role but the administrator is sent to the admin's log-in page (302);
ADMIN_MODELS says what the administrator (a superuser) gets on each page of each model.

A model of accounts.permissions.PATIENT_PATHS carries patient data on its change list, change
and history pages (each read leaves an allowed audit row); the add and delete pages and every
page of another model carry none."""

from collections.abc import Iterator

from accounts.permissions import PATIENT_PATHS
from tests.access.access_table import DATA, NO_DATA, Probe, get
from tests.access.matrix import admin_models

NOT_STAFF = "302 302 302 302 302 302"  # uploader ... stat_out: the admin's log-in page
PAGES = ("changelist", "add", "change", "history", "delete")

# model: (the object its pages show, the administrator's answers on PAGES)
ADMIN_MODELS: dict[str, tuple[str, str]] = {
    "auth.group": ("group", "200 200 200 200 200"),
    "auth.user": ("user", "200 200 200 200 200"),
    "axes.accessattempt": ("attempt", "200 403 200 200 200"),
    "axes.accesslog": ("access_log", "200 403 200 200 200"),
    "axes.accessfailurelog": ("failure_log", "200 403 200 200 200"),
    "accounts.careteam": ("team", "200 200 200 200 200"),
    "accounts.study": ("study", "200 200 200 200 200"),
    "accounts.apitoken": ("token", "200 403 200 200 403"),
    "audit.accessevent": ("access_event", "200 403 200 200 403"),
    "patients.patient": ("patient", "200 403 200 200 403"),
    "patients.patientidentity": ("identity", "200 403 302 302 403"),
    "patients.identitycorrection": ("correction", "200 403 302 302 403"),
    "patients.studyenrolment": ("enrolment", "200 200 200 200 200"),
    "patients.consent": ("consent", "200 403 200 200 403"),
    "patients.erasurerequest": ("erasure", "200 403 200 200 403"),
    "recordings.protocol": ("protocol", "200 200 200 200 200"),
    "recordings.ethogramlabel": ("label", "200 200 200 200 200"),
    "recordings.protocoltask": ("task", "200 200 200 200 200"),
    "recordings.clinicalsession": ("session", "200 403 200 200 403"),
    "recordings.recording": ("recording", "200 403 200 200 403"),
    "recordings.chunkedupload": ("upload", "200 403 200 200 403"),
    "results.modelversion": ("model_version", "200 200 200 200 200"),
    "results.analysisjob": ("job", "200 403 200 200 403"),
    "results.metricsample": ("sample", "200 403 302 302 403"),
    "results.behaviourevent": ("event", "200 403 302 302 403"),
    "results.eventreview": ("review", "200 403 302 302 403"),
    "results.codedevent": ("coded", "200 403 302 302 403"),
    "results.tasksegment": ("segment", "200 403 302 302 403"),
    "results.speechsegment": ("speech", "200 403 302 302 403"),
    "results.eyecontactepisode": ("eye_contact", "200 403 302 302 403"),
    "results.gesturereference": ("reference", "200 200 200 200 200"),
}

SITE: dict[str, list[Probe]] = {
    "admin:index": [get("/admin/", f"{NOT_STAFF} 200 302", NO_DATA)],
    "admin:login": [get("/admin/login/", "200 200 200 200 200 200 302 200", NO_DATA)],
    "admin:logout": [get("/admin/logout/", f"{NOT_STAFF} 405 302", NO_DATA)],
    "admin:password_change": [get("/admin/password_change/", f"{NOT_STAFF} 200 302", NO_DATA)],
    "admin:password_change_done": [get("/admin/password_change/done/", f"{NOT_STAFF} 200 302", NO_DATA)],
    "admin:autocomplete": [get("/admin/autocomplete/", f"{NOT_STAFF} 403 302", NO_DATA)],
    "admin:jsi18n": [get("/admin/jsi18n/", f"{NOT_STAFF} 200 302", NO_DATA)],
    "admin:view_on_site": [get("/admin/r/{session_type}/{session}/", f"{NOT_STAFF} 404 302", NO_DATA)],
    "admin:app_list": [get("/admin/patients/", f"{NOT_STAFF} 200 302", NO_DATA)],
    "admin/(?P<url>.*)$": [get("/admin/no-such-page/", f"{NOT_STAFF} 404 302", NO_DATA)],
    "admin:audit_accessevent_export": [
        get("/admin/audit/accessevent/export.csv", f"{NOT_STAFF} 200 302", NO_DATA)
    ],
    "admin:auth_user_password_change": [
        get("/admin/auth/user/{user}/password/", f"{NOT_STAFF} 200 302", NO_DATA)
    ],
}


class UndeclaredModel(LookupError):
    """A model registered in the admin that ADMIN_MODELS does not name."""


def _object_pk(key: str, values: dict) -> str:
    return str(values["patient_pk" if key == "patient" else key])


def admin_probes(values: dict) -> Iterator[tuple[str, Probe]]:
    for pattern, probes in SITE.items():
        for each in probes:
            yield pattern, each
    for model in admin_models():
        label = model._meta.label_lower
        if label not in ADMIN_MODELS:
            continue  # reported by the declaration test, with what to write
        key, answers = ADMIN_MODELS[label]
        app, name = model._meta.app_label, model._meta.model_name
        base = f"/admin/{app}/{name}/"
        pk = _object_pk(key, values)
        carries = label in PATIENT_PATHS
        paths = (base, base + "add/", f"{base}{pk}/change/", f"{base}{pk}/history/", f"{base}{pk}/delete/")
        for page, path, answer in zip(PAGES, paths, answers.split(), strict=True):
            data = carries and page in ("changelist", "change", "history")
            yield (
                f"admin:{app}_{name}_{page}",
                get(path, f"{NOT_STAFF} {answer} 302", DATA if data else NO_DATA),
            )
        yield f"admin/{app}/{name}/<path:object_id>/", get(f"{base}{pk}/", f"{NOT_STAFF} 302 302", NO_DATA)

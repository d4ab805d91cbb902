"""Server-rendered pages: home, patient list, patient page, consent forms, new session, studies.

Access (accounts.permissions): the pages are for care-team roles (USE_CARE_TEAM_PAGES); a
patient on whom the action is refused and an unknown patient are both a 404. Every page that
shows patient data writes an AccessEvent once it is rendered (a page that fails leaves none);
an invalid consent form is shown again on a page of its own that shows no patient data.
"""

from datetime import datetime, time
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.errors import ApplicationError
from accounts.permissions import (
    Action,
    allowed_actions,
    care_teams_for,
    has_role,
    patients_for,
    require_patient,
    require_role_action,
    studies_for,
)
from accounts.roles import Role
from audit.models import AccessEvent
from audit.services import access_read
from care.withdrawal import consent_withdraw
from frontend.pages.forms import SessionCreateForm, session_form_submit
from patients.forms import ConsentRecordForm, ConsentWithdrawForm
from patients.models import ConsentScope, Patient
from patients.selectors import consent_active_scopes, consent_history, patient_list
from patients.services import consent_record
from results.selectors import session_page_for_patient


def _require_care_team_role(user) -> None:
    require_role_action(
        user,
        Action.USE_CARE_TEAM_PAGES,
        "Patient pages are for the members of a care team (clinicians and hospital staff).",
    )


def _care_record(user, code: str, action: Action = Action.VIEW_CARE_RECORD) -> Patient:
    """The patient of the user's care team with this code, if the action is allowed; else 404."""
    _require_care_team_role(user)
    require_patient(user, Action.VIEW_CARE_RECORD, code=code)
    return require_patient(user, action, code=code)


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each person to the page of their work."""
    user = request.user
    if has_role(user, Role.CLINICIAN):
        return redirect("patient_list")
    if has_role(user, Role.UPLOADER):
        return redirect("/upload/")
    if has_role(user, Role.STATISTICIAN):
        return redirect("study_list")
    if has_role(user, Role.ADMIN):
        return redirect("admin:index")
    return render(request, "pages/no_role.html", status=403)


@require_GET
@login_required
def patient_list_page(request: HttpRequest) -> HttpResponse:
    _require_care_team_role(request.user)
    search = request.GET.get("q", "").strip()[:200]
    patients = list(patient_list(user=request.user, search=search))
    identity_visible = set(patients_for(request.user, Action.VIEW_IDENTITY).values_list("pk", flat=True))
    rows = [{"patient": patient, "show_identity": patient.pk in identity_visible} for patient in patients]
    response = render(
        request,
        "pages/patient_list.html",
        {
            "rows": rows,
            "any_identity": any(row["show_identity"] for row in rows),
            "search": search,
            "can_register_patient": care_teams_for(request.user, Action.REGISTER_PATIENT).exists(),
        },
    )
    for row in rows:
        access_read(
            request=request,
            action=AccessEvent.Action.VIEW_IDENTITY if row["show_identity"] else AccessEvent.Action.LIST,
            object_type="patient",
            object_id=row["patient"].pk,
            patient=row["patient"],
            # Whether the list was searched, not the words: they may be a name.
            details={"searched": bool(search)},
        )
    return response


def _patient_page(request: HttpRequest, patient: Patient) -> HttpResponse:
    user = request.user
    active = consent_active_scopes(patient=patient)
    allowed = allowed_actions(user, patient)
    context = {
        "patient": patient,
        "identity": patient.identity if Action.VIEW_IDENTITY in allowed else None,
        "sessions": session_page_for_patient(patient=patient, page=request.GET.get("sessions_page")),
        "consents": consent_history(patient=patient),
        "active_scopes": [
            (scope, ConsentScope(scope).label) for scope in ConsentScope.values if scope in active
        ],
        "missing_scopes": [
            (scope, ConsentScope(scope).label) for scope in ConsentScope.values if scope not in active
        ],
        "can_manage_consent": Action.MANAGE_CONSENT in allowed,
        "can_register_session": Action.REGISTER_SESSION in allowed,
        "can_correct_identity": Action.CORRECT_IDENTITY in allowed,
        "can_edit_session": Action.EDIT_SESSION in allowed,
        "can_upload": Action.UPLOAD in allowed and ConsentScope.STORE_VIDEO in active,
        "can_view_metrics": Action.VIEW_METRICS in allowed,
        "can_request_erasure": Action.REQUEST_ERASURE in allowed,
        "enrolments": patient.enrolments.select_related("study").order_by("study__code"),
        "record_form": ConsentRecordForm(initial={"given_on": timezone.localdate()}),
        "withdraw_form": ConsentWithdrawForm(active_scopes=active),
    }
    response = render(request, "pages/patient_detail.html", context)
    if Action.VIEW_IDENTITY in allowed:
        access_read(
            request=request,
            action=AccessEvent.Action.VIEW_IDENTITY,
            object_type="patient_identity",
            object_id=patient.pk,
            patient=patient,
        )
    access_read(
        request=request,
        object_type="patient",
        object_id=patient.pk,
        patient=patient,
    )
    return response


def _consent_form_again(request: HttpRequest, patient: Patient, form: Form, **page: Any) -> HttpResponse:
    """An invalid consent form, shown again with its errors beside the pseudonym only."""
    return render(request, "pages/consent_form.html", {"patient": patient, "form": form, **page}, status=400)


@require_GET
@login_required
def patient_detail(request: HttpRequest, code: str) -> HttpResponse:
    return _patient_page(request, _care_record(request.user, code))


@require_POST
@login_required
def consent_record_page(request: HttpRequest, code: str) -> HttpResponse:
    patient = _care_record(request.user, code, Action.MANAGE_CONSENT)
    form = ConsentRecordForm(request.POST, request.FILES)
    if form.is_valid():
        given_on = form.cleaned_data["given_on"]
        given_at = (
            timezone.now()
            if given_on == timezone.localdate()
            else timezone.make_aware(datetime.combine(given_on, time(12, 0)))
        )
        try:
            consents = consent_record(
                patient=patient,
                scopes=form.cleaned_data["scopes"],
                by=request.user,
                document=form.cleaned_data["document"],
                note=form.cleaned_data["note"],
                given_at=given_at,
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            labels = ", ".join(ConsentScope(consent.scope).label for consent in consents)
            messages.success(request, f"Consent recorded for {patient.code}: {labels}.")
            return redirect("patient_detail", code=patient.code)
    messages.error(request, "The consent was not recorded. Correct the form below.")
    return _consent_form_again(
        request,
        patient,
        form,
        heading="Record consent",
        action=reverse("consent_record", kwargs={"code": patient.code}),
        multipart=True,
    )


@require_POST
@login_required
def consent_withdraw_page(request: HttpRequest, code: str) -> HttpResponse:
    patient = _care_record(request.user, code, Action.MANAGE_CONSENT)
    form = ConsentWithdrawForm(request.POST, active_scopes=consent_active_scopes(patient=patient))
    if form.is_valid():
        scope = form.cleaned_data["scope"]
        try:
            consent_withdraw(patient=patient, scope=scope, by=request.user, note=form.cleaned_data["note"])
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Consent to {ConsentScope(scope).label} withdrawn for {patient.code}.")
            return redirect("patient_detail", code=patient.code)
    messages.error(request, "Nothing was withdrawn. Correct the form below.")
    return _consent_form_again(
        request,
        patient,
        form,
        heading="Withdraw consent",
        action=reverse("consent_withdraw", kwargs={"code": patient.code}),
        danger=True,
    )


@require_http_methods(["GET", "POST"])
@login_required
def session_create_page(request: HttpRequest, code: str) -> HttpResponse:
    patient = _care_record(request.user, code, Action.REGISTER_SESSION)
    access_read(
        request=request,
        object_type="session_form",
        object_id=patient.pk,
        patient=patient,
    )
    status = 200
    if request.method == "POST":
        form, session = session_form_submit(data=request.POST, patient=patient, by=request.user)
        if session is not None:
            messages.success(
                request, f"Session of {session.session_date:%d %b %Y} registered for {patient.code}."
            )
            return redirect(
                reverse("patient_detail", kwargs={"code": patient.code}) + f"#session-{session.pk}"
            )
        status = 400
        messages.error(request, "The session was not registered. Correct the form below.")
    else:
        form = SessionCreateForm(patient=patient, initial={"session_date": timezone.localdate()})
    return render(request, "pages/session_form.html", {"patient": patient, "form": form}, status=status)


@require_GET
@login_required
def study_list(request: HttpRequest) -> HttpResponse:
    """A statistician's studies, with how to get their data (REST API and exports)."""
    require_role_action(
        request.user,
        Action.USE_STUDY_PAGES,
        "The studies page is for study statisticians and administrators.",
    )
    studies = []
    for study in studies_for(request.user):
        consenting = patients_for(request.user, Action.VIEW_METRICS, study=study).count()
        studies.append({"study": study, "enrolled": study.enrolments.count(), "consenting": consenting})
    access_read(
        request=request,
        action=AccessEvent.Action.LIST,
        object_type="study",
        details={"studies": [row["study"].code for row in studies]},
    )
    return render(request, "pages/study_list.html", {"studies": studies})

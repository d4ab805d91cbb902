"""Care-team pages that write identity and session facts: registering a patient, correcting an
identity, correcting a session. Every refusal is a 404 (accounts.permissions.PatientRefused,
audited as denied): for a patient outside the user's care teams, for a visible patient without
the action, and for registration by someone in no care team that may register; every page load
and every write is audited.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.errors import ApplicationError
from accounts.permissions import Action, PatientRefused, care_teams_for, require
from audit.models import AccessEvent
from audit.services import access_read
from care.sessions import session_update
from frontend.pages.forms import IdentityCorrectForm, PatientRegisterForm, SessionCreateForm
from frontend.pages.patient_scope import patient_page_open
from patients.selectors import identity_corrections, patient_get_visible
from patients.services import patient_create, patient_identity_correct
from recordings.models import ClinicalSession

FIELD_LABELS = {
    "full_name": "Full name",
    "date_of_birth": "Date of birth",
    "hospital_number": "Hospital number",
}


@require_http_methods(["GET", "POST"])
@login_required
def patient_register_page(request: HttpRequest) -> HttpResponse:
    care_teams = care_teams_for(request.user, Action.REGISTER_PATIENT)
    if not care_teams.exists():
        raise PatientRefused(Action.REGISTER_PATIENT, None)  # registered by members of their care team
    status = 200
    if request.method == "POST":
        form = PatientRegisterForm(request.POST, care_teams=care_teams)
        if form.is_valid():
            try:
                patient = patient_create(by=request.user, request=request, **form.cleaned_data)
            except ApplicationError as error:
                form.add_error("hospital_number" if error.extra.get("field") else None, error.message)
            else:
                messages.success(
                    request,
                    f"{patient.identity.full_name} is registered as patient {patient.code}. "
                    "Record their consent before the first upload.",
                )
                return redirect("patient_detail", code=patient.code)
        status = 400
        messages.error(request, "The patient was not registered. Correct the form below.")
    else:
        form = PatientRegisterForm(care_teams=care_teams)
    return render(request, "pages/patient_register.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def identity_correct_page(request: HttpRequest, code: str) -> HttpResponse:
    patient = patient_page_open(
        request,
        code,
        Action.CORRECT_IDENTITY,
        object_type="patient_identity",
        read=AccessEvent.Action.VIEW_IDENTITY,
    )
    identity = patient.identity
    status = 200
    if request.method == "POST":
        form = IdentityCorrectForm(request.POST)
        if form.is_valid():
            values = dict(form.cleaned_data)
            reason = values.pop("reason")
            try:
                correction = patient_identity_correct(
                    patient=patient, by=request.user, reason=reason, request=request, **values
                )
            except ApplicationError as error:
                form.add_error(error.extra.get("field"), error.message)
            else:
                if correction is None:
                    messages.info(request, "Nothing was changed: the values are the same as before.")
                else:
                    names = ", ".join(name.replace("_", " ") for name in correction.changes)
                    messages.success(request, f"Identity of {patient.code} corrected: {names}.")
                return redirect("patient_detail", code=patient.code)
        status = 400
        messages.error(request, "The identity was not changed. Correct the form below.")
    else:
        form = IdentityCorrectForm(
            initial={
                "full_name": identity.full_name,
                "date_of_birth": identity.date_of_birth,
                "hospital_number": identity.hospital_number,
                "sex": patient.sex,
            }
        )
    return render(
        request,
        "pages/identity_form.html",
        {
            "patient": patient,
            "form": form,
            "corrections": [
                (
                    correction,
                    [(FIELD_LABELS.get(name, name), *values) for name, values in correction.changes.items()],
                )
                for correction in identity_corrections(patient=patient)
            ],
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def session_edit_page(request: HttpRequest, code: str, session_id: int) -> HttpResponse:
    patient = patient_get_visible(user=request.user, code=code)
    session = (
        ClinicalSession.objects.filter(pk=session_id, patient=patient).select_related("protocol").first()
    )
    if session is None:
        raise Http404("No such session of this patient.")
    require(request.user, Action.EDIT_SESSION, patient)
    access_read(request=request, object_type="session_form", object_id=session.pk, patient=patient)
    status = 200
    if request.method == "POST":
        form = SessionCreateForm(request.POST, patient=patient)
        if form.is_valid():
            try:
                changed = session_update(
                    session=session, by=request.user, request=request, **form.cleaned_data
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                if changed:
                    names = ", ".join(name.replace("_", " ") for name in changed)
                    messages.success(request, f"Session corrected: {names}.")
                else:
                    messages.info(request, "Nothing was changed.")
                return redirect(
                    reverse("patient_detail", kwargs={"code": patient.code}) + f"#session-{session.pk}"
                )
        status = 400
        messages.error(request, "The session was not changed. Correct the form below.")
    else:
        form = SessionCreateForm(
            patient=patient,
            initial={
                "protocol": session.protocol,
                "session_date": session.session_date,
                "clinician": session.clinician,
                "notes": session.notes,
            },
        )
    return render(
        request,
        "pages/session_form.html",
        {"patient": patient, "form": form, "session": session},
        status=status,
    )

"""The care team's record of a patient's study enrolments: group or arm and diagnosis group,
which the study's exports carry as covariates (patients.enrolment_covariates)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from accounts.errors import ApplicationError
from accounts.permissions import Action
from frontend.pages.patient_scope import patient_page_open
from patients.enrolment_covariates import enrolment_covariates_set


class EnrolmentCovariatesForm(forms.Form):
    group = forms.CharField(label="Group or arm", max_length=40, required=False)
    diagnosis_group = forms.CharField(label="Diagnosis group", max_length=40, required=False)


@require_POST
@login_required
def enrolment_covariates_page(request: HttpRequest, code: str, enrolment_id: int) -> HttpResponse:
    patient = patient_page_open(
        request, code, Action.MANAGE_CONSENT, object_type="study_enrolment", shown=False
    )
    enrolment = patient.enrolments.select_related("study").filter(pk=enrolment_id).first()
    if enrolment is None:
        raise Http404("No such study enrolment of this patient.")
    form = EnrolmentCovariatesForm(request.POST)
    if form.is_valid():
        try:
            enrolment_covariates_set(
                enrolment=enrolment, by=request.user, request=request, **form.cleaned_data
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Study {enrolment.study.code}: group and diagnosis group saved.")
    else:
        errors = " ".join(error for field_errors in form.errors.values() for error in field_errors)
        messages.error(request, f"The study covariates were not saved: {errors}")
    return redirect("patient_detail", code=patient.code)

"""Forms of the care-team pages: new patient, identity correction, new or corrected session."""

from typing import Any

from django import forms
from django.utils import timezone

from accounts.errors import ApplicationError
from accounts.selectors import clinicians_of_care_team
from patients.models import Patient, Sex
from recordings.models import ClinicalSession
from recordings.selectors import protocol_list
from recordings.services import session_create


class SessionCreateForm(forms.Form):
    protocol = forms.ModelChoiceField(
        queryset=None,
        label="Protocol",
        empty_label="Choose a protocol",
        error_messages={"required": "Choose the protocol followed in this session."},
    )
    session_date = forms.DateField(
        label="Session date",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        error_messages={
            "required": "Enter the date of the session.",
            "invalid": "Enter the session date as a date, e.g. 2026-11-02.",
        },
    )
    clinician = forms.ModelChoiceField(queryset=None, required=False, label="Clinician", empty_label="(none)")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)

    def __init__(self, *args, patient: Patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["protocol"].queryset = protocol_list()
        self.fields["clinician"].queryset = clinicians_of_care_team(care_team=patient.care_team).order_by(
            "username"
        )
        self.fields["clinician"].label_from_instance = lambda user: (
            user.get_full_name() or user.get_username()
        )

    def clean_session_date(self):
        session_date = self.cleaned_data["session_date"]
        if session_date > timezone.localdate():
            raise forms.ValidationError(
                "The session date is in the future. Register a session once it has taken place."
            )
        return session_date


def session_form_submit(
    *, data: Any, patient: Patient, by: Any
) -> tuple[SessionCreateForm, ClinicalSession | None]:
    """The posted session form, and the session it registered (None when the form or the service
    refused: the form then carries the sentence to show). Used by the patient page and the upload
    page alike."""
    form = SessionCreateForm(data, patient=patient)
    if form.is_valid():
        try:
            return form, session_create(patient=patient, by=by, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
    return form, None


class PatientRegisterForm(forms.Form):
    """A new patient of one of the user's care teams."""

    care_team = forms.ModelChoiceField(
        queryset=None,
        label="Care team",
        empty_label=None,
        error_messages={"required": "Choose the care team that looks after the patient."},
    )
    full_name = forms.CharField(
        label="Full name",
        max_length=200,
        error_messages={"required": "Enter the patient's full name as on the hospital record."},
    )
    date_of_birth = forms.DateField(
        label="Date of birth",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        error_messages={
            "required": "Enter the date of birth.",
            "invalid": "Enter the date of birth as a date, e.g. 1948-03-14.",
        },
    )
    hospital_number = forms.CharField(
        label="Hospital number",
        max_length=40,
        help_text="Unique within the care team.",
        error_messages={"required": "Enter the hospital number from the patient's record."},
    )
    sex = forms.ChoiceField(
        label="Sex",
        choices=Sex.choices,
        initial=Sex.NOT_RECORDED,
        help_text="Studies receive it as a covariate.",
    )

    def __init__(self, *args, care_teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["care_team"].queryset = care_teams
        if care_teams.count() == 1:
            self.fields["care_team"].initial = care_teams.first()

    def clean_date_of_birth(self):
        date_of_birth = self.cleaned_data["date_of_birth"]
        if date_of_birth > timezone.localdate():
            raise forms.ValidationError("The date of birth is in the future. Check the year.")
        return date_of_birth


class IdentityCorrectForm(forms.Form):
    """A correction of the identity, with the reason kept in the history."""

    full_name = forms.CharField(label="Full name", max_length=200)
    date_of_birth = forms.DateField(
        label="Date of birth",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        error_messages={"invalid": "Enter the date of birth as a date, e.g. 1948-03-14."},
    )
    hospital_number = forms.CharField(label="Hospital number", max_length=40)
    sex = forms.ChoiceField(label="Sex", choices=Sex.choices)
    reason = forms.CharField(
        label="Reason for the correction",
        max_length=300,
        error_messages={"required": "Say why the identity is corrected (kept in the history)."},
    )

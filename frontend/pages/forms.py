"""The new-session form."""

from django import forms
from django.utils import timezone

from accounts.selectors import clinicians_of_care_team
from patients.models import Patient
from recordings.selectors import protocol_list


class SessionCreateForm(forms.Form):
    protocol = forms.ModelChoiceField(
        queryset=None,
        label="Protocol",
        empty_label="Choose a protocol",
        error_messages={"required": "Choose the protocol followed in this session."},
    )
    session_date = forms.DateField(
        label="Session date",
        widget=forms.DateInput(attrs={"type": "date"}),
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

"""Forms for recording and withdrawing consent (the patient page and the admin use them)."""

from django import forms
from django.utils import timezone

from patients.models import ConsentScope

CONSENT_DOCUMENT_MAX_BYTES = 20 * 1024**2
CONSENT_DOCUMENT_TYPES = (".pdf", ".png", ".jpg", ".jpeg")


class ConsentRecordForm(forms.Form):
    scopes = forms.MultipleChoiceField(
        choices=ConsentScope.choices,
        widget=forms.CheckboxSelectMultiple,
        label="Scopes the patient consents to",
        error_messages={"required": "Tick at least one scope the patient consents to."},
    )
    given_on = forms.DateField(
        label="Signed on",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the signing date as a date, e.g. 2026-11-02."},
    )
    document = forms.FileField(
        required=False, label="Signed form (PDF or image, optional)", help_text="At most 20 MB."
    )
    note = forms.CharField(required=False, max_length=500, label="Note")

    def clean_given_on(self):
        given_on = self.cleaned_data["given_on"]
        if given_on > timezone.localdate():
            raise forms.ValidationError("The signing date is in the future. Enter the date it was signed.")
        return given_on

    def clean_document(self):
        document = self.cleaned_data.get("document")
        if not document:
            return None
        if document.size > CONSENT_DOCUMENT_MAX_BYTES:
            raise forms.ValidationError(
                "The signed form is larger than 20 MB. Scan it at a lower resolution."
            )
        if not document.name.lower().endswith(CONSENT_DOCUMENT_TYPES):
            raise forms.ValidationError("The signed form must be a PDF, PNG or JPEG file.")
        return document


class ConsentWithdrawForm(forms.Form):
    scope = forms.ChoiceField(
        choices=ConsentScope.choices,
        label="Scope to withdraw",
        error_messages={"invalid_choice": "Choose one of the scopes the patient currently consents to."},
    )
    note = forms.CharField(required=False, max_length=500, label="Reason or note")
    confirm = forms.BooleanField(
        label="I understand the consequences (withdrawing store video deletes the stored videos now).",
        error_messages={"required": "Tick the confirmation box to withdraw consent."},
    )

    def __init__(self, *args, active_scopes: set[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if active_scopes is not None:
            self.fields["scope"].choices = [
                (value, label) for value, label in ConsentScope.choices if value in active_scopes
            ]

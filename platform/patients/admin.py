"""Admin for patients, identities, enrolments and consent.

Identity stays with the care team here too: the identity admin lists only what
accounts.permissions allows (Action.VIEW_IDENTITY), and the patient admin shows the identity
only to a member of the patient's care team, read-only. Patients are registered and identities
corrected by the care team on the patient pages (/patients/new/, the patient's "Correct the
identity"), where hospital numbers are checked within the team and corrections kept in a
history; the admin adds neither, so no admin form can tell whether a hospital number exists.
Consent is recorded and withdrawn only by the care team on the patient page: the admin reads its
metadata (scope, version, dates, who), never the signed form or the notes.
"""

from django.contrib import admin

from accounts.permissions import Action, can, restrict
from audit.admin_reads import AuditedReadsAdmin
from audit.models import AccessEvent
from audit.services import access_read, access_record
from patients.models import (
    Consent,
    ErasureRequest,
    IdentityCorrection,
    Patient,
    PatientIdentity,
    StudyEnrolment,
)


class PatientIdentityInline(admin.StackedInline):
    """The identity on the patient's admin page, present only for the patient's care team and
    read-only: corrections are made on the patient page, which keeps their history."""

    model = PatientIdentity
    can_delete = False
    max_num = 1
    readonly_fields = ("full_name", "date_of_birth", "hospital_number")
    verbose_name_plural = "identity (corrected on the patient page, where every change is kept)"

    def get_queryset(self, request):
        return restrict(super().get_queryset(request), request.user, Action.VIEW_IDENTITY)

    def _allowed(self, request, obj) -> bool:
        return obj is None or can(request.user, Action.VIEW_IDENTITY, obj)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, obj) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Patient)
class PatientAdmin(AuditedReadsAdmin, admin.ModelAdmin):
    list_display = ("code", "care_team", "sex", "created_at")
    list_filter = ("care_team", "sex")
    search_fields = ("code",)
    readonly_fields = ("code", "created_at")
    inlines = (PatientIdentityInline,)

    def has_add_permission(self, request):
        """Patients are registered by their care team at /patients/new/ (the pseudonym is drawn
        when the patient is saved, and the identity is never typed by an administrator)."""
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        patient = self.get_object(request, object_id)
        if patient is not None:
            if can(request.user, Action.VIEW_IDENTITY, patient):
                access_read(
                    request=request,
                    action=AccessEvent.Action.VIEW_IDENTITY,
                    object_type="patient_identity",
                    object_id=patient.pk,
                    patient=patient,
                )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        access_record(
            user=request.user,
            action=AccessEvent.Action.UPDATE if change else AccessEvent.Action.CREATE,
            object_type="patient",
            object_id=obj.pk,
            patient=obj,
            request=request,
        )

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PatientIdentity)
class PatientIdentityAdmin(AuditedReadsAdmin, admin.ModelAdmin):
    """Lists only the identities the user's care teams may see (Action.VIEW_IDENTITY)."""

    list_display = ("patient", "full_name", "hospital_number")
    search_fields = ("patient__code", "hospital_number")
    readonly_fields = ("patient", "full_name", "date_of_birth", "hospital_number")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return restrict(super().get_queryset(request), request.user, Action.VIEW_IDENTITY).select_related(
            "patient"
        )

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(IdentityCorrection)
class IdentityCorrectionAdmin(AuditedReadsAdmin, admin.ModelAdmin):
    """The history of identity corrections, read-only and limited to the care team."""

    list_display = ("identity", "corrected_at", "corrected_by", "reason")

    def get_queryset(self, request):
        return restrict(super().get_queryset(request), request.user, Action.VIEW_IDENTITY).select_related(
            "identity__patient", "corrected_by"
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StudyEnrolment)
class StudyEnrolmentAdmin(AuditedReadsAdmin, admin.ModelAdmin):
    list_display = ("patient", "study", "group", "diagnosis_group", "enrolled_at")
    list_filter = ("study", "group", "diagnosis_group")
    search_fields = ("patient__code",)


# Consent metadata the admin reads: no signed form (its name), no free-text note.
CONSENT_METADATA = ("patient", "version", "scope", "given_at", "recorded_by", "withdrawn_at", "withdrawn_by")


@admin.register(Consent)
class ConsentAdmin(AuditedReadsAdmin, admin.ModelAdmin):
    """Read-only consent metadata of the patients on whom the user holds VIEW_CONSENT: consent is
    recorded and withdrawn only by the care team, on the patient page."""

    list_display = CONSENT_METADATA
    list_filter = ("scope",)
    search_fields = ("patient__code",)
    fields = CONSENT_METADATA
    readonly_fields = CONSENT_METADATA
    list_select_related = ("patient", "recorded_by", "withdrawn_by")

    def get_queryset(self, request):
        return restrict(super().get_queryset(request), request.user, Action.VIEW_CONSENT)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ErasureRequest)
class ErasureRequestAdmin(AuditedReadsAdmin, admin.ModelAdmin):
    """Read-only: erasures are asked for and confirmed on their own pages (care.erasure)."""

    list_display = ("pseudonym", "status", "requested_by", "requested_at", "confirmed_by", "confirmed_at")
    list_filter = ("status",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

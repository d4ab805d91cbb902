"""Admin for protocols (editable) and for sessions, recordings and uploads (read-only, narrowed
to the patients the administrator may see through accounts.permissions). Video files are never
linked from here: media is streamed only by permission-checked views."""

from django.contrib import admin

from accounts.permissions import Action, can, restrict
from audit.admin_reads import AuditedReadsAdmin
from recordings.models import (
    ChunkedUpload,
    ClinicalSession,
    EthogramLabel,
    Protocol,
    ProtocolTask,
    Recording,
)


class PatientDataReadOnlyAdmin(AuditedReadsAdmin, admin.ModelAdmin):
    """Rows of patient data: listed only where permitted, never edited from the admin (writes
    go through the services, which check consent and audit)."""

    action = Action.VIEW_PATIENT

    def get_queryset(self, request):
        return restrict(super().get_queryset(request), request.user, self.action)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EthogramLabelInline(admin.TabularInline):
    """The protocol's ethogram: the behaviours clinicians code and their keys. Left empty, the
    model's five event kinds are used."""

    model = EthogramLabel
    extra = 1
    fields = ("position", "code", "name", "key", "description")


class ProtocolTaskInline(admin.TabularInline):
    """The tasks of a semi-guided protocol, in the order the patient is asked to do them. The
    position is also the key (1-9) that marks the task while the video plays."""

    model = ProtocolTask
    extra = 1
    fields = ("position", "code", "name", "instructions", "expected_max_duration_s")


@admin.register(Protocol)
class ProtocolAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind")
    list_filter = ("kind",)
    search_fields = ("name", "code")
    prepopulated_fields = {"code": ("name",)}
    inlines = (ProtocolTaskInline, EthogramLabelInline)


@admin.register(ClinicalSession)
class ClinicalSessionAdmin(PatientDataReadOnlyAdmin):
    list_display = ("patient", "session_date", "protocol", "clinician")
    list_filter = ("protocol",)
    search_fields = ("patient__code",)
    date_hierarchy = "session_date"
    list_select_related = ("patient", "protocol", "clinician")

    def get_exclude(self, request, obj=None):
        """The care team's notes are free text: shown only to those who hold VIEW_NOTES."""
        return () if obj is not None and can(request.user, Action.VIEW_NOTES, obj.patient) else ("notes",)


@admin.register(Recording)
class RecordingAdmin(PatientDataReadOnlyAdmin):
    list_display = ("pk", "session", "status", "duration_s", "codec", "created_at")
    list_filter = ("status", "codec")
    search_fields = ("session__patient__code",)
    exclude = ("file", "original_filename", "sha256")
    list_select_related = ("session__patient", "session__protocol")


@admin.register(ChunkedUpload)
class ChunkedUploadAdmin(PatientDataReadOnlyAdmin):
    list_display = ("id", "session", "status", "received_bytes", "total_size_bytes", "updated_at")
    list_filter = ("status",)
    exclude = ("original_filename", "expected_sha256")
    list_select_related = ("session__patient", "session__protocol")


@admin.register(EthogramLabel)
class EthogramLabelAdmin(admin.ModelAdmin):
    """Every protocol's labels at a glance; edited on the protocol's page as well."""

    list_display = ("protocol", "position", "name", "code", "key")
    list_filter = ("protocol",)


@admin.register(ProtocolTask)
class ProtocolTaskAdmin(admin.ModelAdmin):
    """Every protocol's task list at a glance; edited on the protocol's page as well."""

    list_display = ("protocol", "position", "name", "code", "expected_max_duration_s")
    list_filter = ("protocol",)

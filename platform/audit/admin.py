"""The audit log in the admin: read-only, for administrators (accounts.permissions), with a CSV
export of what the list shows (filters, search, or ?patient_code=<pseudonym> for one patient)."""

import csv

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, StreamingHttpResponse
from django.urls import path

from accounts.permissions import can_view_audit_log
from audit.models import AccessEvent
from audit.services import access_record

CSV_COLUMNS = (
    "id",
    "at",
    "username",
    "action",
    "outcome",
    "object_type",
    "object_id",
    "patient_code",
    "client_address",
    "details",
    "previous_hash",
    "entry_hash",
)


class _Echo:
    def write(self, value: str) -> str:
        return value


class PatientFilter(admin.SimpleListFilter):
    """One patient's trail: ?patient_code=<pseudonym> (the patients seen in the log are listed)."""

    title = "patient"
    parameter_name = "patient_code"

    def lookups(self, request, model_admin):
        codes = (
            AccessEvent.objects.exclude(patient_code="")
            .order_by("patient_code")
            .values_list("patient_code", flat=True)
            .distinct()[:200]
        )
        return [(code, code) for code in codes]

    def queryset(self, request, queryset):
        return queryset.filter(patient_code=self.value()) if self.value() else queryset


@admin.register(AccessEvent)
class AccessEventAdmin(admin.ModelAdmin):
    list_display = (
        "at",
        "username",
        "action",
        "outcome",
        "object_type",
        "object_id",
        "patient_code",
        "client_address",
    )
    list_filter = (PatientFilter, "outcome", "action", "object_type")
    search_fields = ("username", "object_type", "object_id", "patient_code")
    date_hierarchy = "at"
    actions = ("export_csv",)

    def has_view_permission(self, request, obj=None):
        return can_view_audit_log(request.user)

    def has_module_permission(self, request):
        return can_view_audit_log(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path("export.csv", self.admin_site.admin_view(self.export_view), name="audit_accessevent_export"),
            *super().get_urls(),
        ]

    def export_view(self, request: HttpRequest) -> StreamingHttpResponse:
        """Every event the change list would show with the same query string, as CSV."""
        if not can_view_audit_log(request.user):
            raise PermissionDenied("The audit log is for administrators.")
        changelist = self.get_changelist_instance(request)
        return self._csv(request, changelist.get_queryset(request))

    @admin.action(description="Export the selected events as CSV")
    def export_csv(self, request, queryset):
        return self._csv(request, queryset)

    def _csv(self, request: HttpRequest, queryset) -> StreamingHttpResponse:
        rows = queryset.order_by("id").values_list(*CSV_COLUMNS)
        access_record(
            user=request.user,
            action=AccessEvent.Action.EXPORT,
            object_type="audit_log",
            details={"query": request.GET.urlencode()[:500], "rows": rows.count()},
            request=request,
        )
        writer = csv.writer(_Echo())
        lines = (writer.writerow(row) for row in rows.iterator(chunk_size=2000))
        response = StreamingHttpResponse(
            (line for part in ([writer.writerow(CSV_COLUMNS)], lines) for line in part),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
        return response

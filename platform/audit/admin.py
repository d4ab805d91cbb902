"""The audit log in the admin: read-only, for administrators (accounts.permissions)."""

from django.contrib import admin

from accounts.permissions import can_view_audit_log
from audit.models import AccessEvent


@admin.register(AccessEvent)
class AccessEventAdmin(admin.ModelAdmin):
    list_display = ("at", "username", "action", "object_type", "object_id", "patient", "client_address")
    list_filter = ("action", "object_type")
    search_fields = ("username", "object_type", "object_id", "patient__code")
    date_hierarchy = "at"
    list_select_related = ("patient",)

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

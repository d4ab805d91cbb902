"""Admin for care teams, studies and API tokens (users and role groups use Django's own admin)."""

from django.contrib import admin

from accounts.models import ApiToken, CareTeam, Study
from accounts.permissions import Action, may
from accounts.tokens import api_token_revoke


@admin.register(CareTeam)
class CareTeamAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)
    filter_horizontal = ("members",)


@admin.register(Study)
class StudyAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "title",
        "date_shift_min_days",
        "date_shift_max_days",
        "age_band_years",
        "created_at",
    )
    search_fields = ("code", "title")
    filter_horizontal = ("members",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Administrators see every token's metadata (never a key) and may revoke tokens; nobody
    creates a token here: each user creates their own on the API tokens page."""

    list_display = ("user", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("user__username", "name", "prefix")
    fields = list_display
    readonly_fields = list_display
    list_select_related = ("user",)
    actions = ("revoke",)

    def has_module_permission(self, request):
        return may(request.user, Action.REVOKE_ANY_TOKEN)

    def has_view_permission(self, request, obj=None):
        return may(request.user, Action.REVOKE_ANY_TOKEN)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            api_token_revoke(token=token, by=request.user)
        self.message_user(request, f"{queryset.count()} token(s) revoked.")

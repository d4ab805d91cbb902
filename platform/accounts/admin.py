"""Admin for care teams and studies (users and role groups use Django's own admin)."""

from django.contrib import admin

from accounts.models import CareTeam, Study


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

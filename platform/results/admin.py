"""Admin for model versions (editable), analysis jobs, metrics, events and reviews (read-only,
narrowed through accounts.permissions: an administrator sees jobs of every patient, but metrics
and events only of the patients of their own care teams)."""

from django.contrib import admin

from accounts.permissions import Action
from recordings.admin import PatientDataReadOnlyAdmin
from results.models import (
    AnalysisJob,
    BehaviourEvent,
    CodedEvent,
    EventReview,
    EyeContactEpisode,
    GestureReference,
    MetricSample,
    ModelVersion,
    SpeechSegment,
    TaskSegment,
)


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("name", "version", "kind", "is_active", "created_at")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "version")


@admin.register(AnalysisJob)
class AnalysisJobAdmin(PatientDataReadOnlyAdmin):
    action = Action.MANAGE_JOBS
    list_display = (
        "pk",
        "recording",
        "status",
        "stage",
        "progress",
        "queue",
        "pipeline_version",
        "attempts",
        "created_at",
    )
    list_filter = ("status", "queue", "pipeline_version")
    search_fields = ("recording__session__patient__code", "celery_task_id")
    exclude = ("tracks_file",)
    list_select_related = ("recording__session__patient", "recording__session__protocol")


@admin.register(MetricSample)
class MetricSampleAdmin(PatientDataReadOnlyAdmin):
    action = Action.VIEW_METRICS
    list_display = ("patient", "session_date", "metric", "value", "unit", "window_start_s", "window_end_s")
    list_filter = ("metric", "is_session_level", "pipeline_version")
    search_fields = ("patient__code", "metric")
    list_select_related = ("patient",)


@admin.register(BehaviourEvent)
class BehaviourEventAdmin(PatientDataReadOnlyAdmin):
    action = Action.VIEW_METRICS
    list_display = ("patient", "session", "kind", "body_part", "start_s", "end_s", "confidence")
    list_filter = ("kind", "body_part")
    search_fields = ("patient__code",)
    list_select_related = ("patient", "session__protocol", "session__patient")


@admin.register(EventReview)
class EventReviewAdmin(PatientDataReadOnlyAdmin):
    action = Action.VIEW_METRICS
    list_display = ("event", "reviewer", "decision", "corrected_kind", "created_at")
    list_filter = ("decision",)


@admin.register(CodedEvent)
class CodedEventAdmin(PatientDataReadOnlyAdmin):
    action = Action.VIEW_METRICS
    list_display = ("session", "label", "start_s", "end_s", "coded_by", "removed_at", "created_at")
    list_filter = ("label",)
    list_select_related = ("session__patient", "session__protocol", "coded_by")


@admin.register(TaskSegment)
class TaskSegmentAdmin(PatientDataReadOnlyAdmin):
    action = Action.VIEW_METRICS
    list_display = ("session", "task_code", "start_s", "end_s", "source", "marked_by", "updated_at")
    list_filter = ("source", "task_code")
    list_select_related = ("session__patient", "session__protocol", "marked_by")


@admin.register(SpeechSegment)
class SpeechSegmentAdmin(PatientDataReadOnlyAdmin):
    action = Action.VIEW_METRICS
    list_display = ("session", "start_s", "end_s", "speaker", "confidence")
    list_filter = ("speaker",)
    list_select_related = ("session__patient", "session__protocol")


@admin.register(EyeContactEpisode)
class EyeContactEpisodeAdmin(PatientDataReadOnlyAdmin):
    action = Action.VIEW_METRICS
    list_display = ("session", "kind", "start_s", "end_s")
    list_filter = ("kind",)
    list_select_related = ("session__patient", "session__protocol")


@admin.register(GestureReference)
class GestureReferenceAdmin(admin.ModelAdmin):
    list_display = ("protocol", "gesture", "start_s", "end_s", "created_by", "created_at")
    list_filter = ("protocol",)
    readonly_fields = ("trajectory", "source_job", "created_by")

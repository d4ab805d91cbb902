"""Query-parameter filters, validated like any input (a bad value is a 400, never a 500)."""

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers

from api.exports.metric_catalogue import families, fixed_metric_keys, resolve_metric_filter
from recordings.models import Protocol
from results.models import AnalysisJob, BehaviourEvent


class DateRangeFilter(serializers.Serializer):
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError("date_from must be on or before date_to.")
        return attrs


class PatientFilter(serializers.Serializer):
    study = serializers.IntegerField(required=False, min_value=1)


class SessionFilter(DateRangeFilter):
    patient = serializers.CharField(required=False, max_length=12)
    study = serializers.IntegerField(required=False, min_value=1)
    protocol = serializers.SlugField(required=False, max_length=40)


class RecordingFilter(serializers.Serializer):
    patient = serializers.CharField(required=False, max_length=12)
    session = serializers.IntegerField(required=False, min_value=1)


class JobFilter(serializers.Serializer):
    patient = serializers.CharField(required=False, max_length=12)
    recording = serializers.IntegerField(required=False, min_value=1)
    status = serializers.ChoiceField(required=False, choices=AnalysisJob.Status.choices)
    pipeline_version = serializers.CharField(required=False, max_length=20)


class MetricSampleFilter(DateRangeFilter):
    patient = serializers.CharField(required=False, max_length=12)
    study = serializers.IntegerField(required=False, min_value=1)
    session = serializers.IntegerField(required=False, min_value=1)
    metric = serializers.CharField(required=False, max_length=80)
    pipeline_version = serializers.CharField(required=False, max_length=20)
    session_level = serializers.BooleanField(required=False, allow_null=True, default=None)


class EventFilter(DateRangeFilter):
    patient = serializers.CharField(required=False, max_length=12)
    study = serializers.IntegerField(required=False, min_value=1)
    session = serializers.IntegerField(required=False, min_value=1)
    kind = serializers.ChoiceField(required=False, choices=BehaviourEvent.Kind.choices)
    pipeline_version = serializers.CharField(required=False, max_length=20)


_SHIFTED_DATES = (
    "On the study's calendar: compared with the exported (shifted) session dates, as the study sees them."
)


class ExportFilter(DateRangeFilter):
    date_from = serializers.DateField(required=False, help_text=_SHIFTED_DATES)
    date_to = serializers.DateField(required=False, help_text=_SHIFTED_DATES)
    format = serializers.ChoiceField(
        choices=["csv", "parquet", "sav", "dta"],
        required=False,
        help_text="File format; without it, the Accept header decides (CSV for */*).",
    )
    shape = serializers.ChoiceField(
        choices=["long", "wide"],
        default="long",
        help_text="long: a row per window or session value; wide: a row per session, a column per metric.",
    )
    metrics = serializers.CharField(
        required=False,
        max_length=2000,
        help_text="Comma-separated metric keys or prefixes: a family (apathy) or a group "
        "(stereotypy.body_rocking), with or without .*",
    )
    protocol = serializers.CharField(
        required=False, max_length=400, help_text="Comma-separated protocol codes."
    )
    pipeline_version = serializers.CharField(required=False, max_length=20)

    def validate_metrics(self, value: str) -> dict[str, list[str]]:
        requested = [key.strip() for key in value.split(",") if key.strip()]
        keys, prefixes, unknown = resolve_metric_filter(requested)
        if unknown:
            raise serializers.ValidationError(
                f"Unknown metric or family: {', '.join(unknown)}. Use a family ({', '.join(families())}), "
                f"a prefix such as stereotypy.body_rocking, or one of: {', '.join(fixed_metric_keys())}."
            )
        return {"keys": keys, "prefixes": prefixes}

    def validate_protocol(self, value: str) -> list[str]:
        requested = [code.strip() for code in value.split(",") if code.strip()]
        known = set(Protocol.objects.values_list("code", flat=True))
        unknown = [code for code in requested if code not in known]
        if unknown:
            raise serializers.ValidationError(
                f"Unknown protocol: {', '.join(unknown)}. Known protocols: {', '.join(sorted(known))}."
            )
        return requested


class StudyTableExportFilter(DateRangeFilter):
    """The filters of a study's table files (events, tasks): format, shifted dates, protocol,
    pipeline version, event kind."""

    format = serializers.ChoiceField(choices=["csv", "parquet"], required=False)
    date_from = serializers.DateField(required=False, help_text=_SHIFTED_DATES)
    date_to = serializers.DateField(required=False, help_text=_SHIFTED_DATES)
    protocol = serializers.CharField(
        required=False, max_length=400, help_text="Comma-separated protocol codes."
    )
    pipeline_version = serializers.CharField(required=False, max_length=20)
    kind = serializers.ChoiceField(required=False, choices=BehaviourEvent.Kind.choices)

    validate_protocol = ExportFilter.validate_protocol


class StudyEventExportFilter(StudyTableExportFilter):
    """The events table's filters: its rows include the tasks of semi-guided visits (kind task)."""

    kind = serializers.ChoiceField(
        required=False, choices=[*BehaviourEvent.Kind.choices, ("task", "task of a semi-guided visit")]
    )


def filter_by(queryset: QuerySet, filters: dict[str, Any], lookups: dict[str, str]) -> QuerySet:
    """Apply each present filter through its ORM lookup, e.g. {"patient": "patient__code"}."""
    conditions = {lookups[name]: value for name, value in filters.items() if name in lookups}
    return queryset.filter(**conditions)

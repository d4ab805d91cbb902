"""Query-parameter filters, validated like any input (a bad value is a 400, never a 500)."""

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers

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


class ExportFilter(DateRangeFilter):
    format = serializers.ChoiceField(choices=["csv", "parquet"], default="csv")
    metrics = serializers.CharField(required=False, max_length=2000, help_text="Comma-separated metric keys.")
    pipeline_version = serializers.CharField(required=False, max_length=20)

    def validate_metrics(self, value: str) -> list[str]:
        return [key.strip() for key in value.split(",") if key.strip()]


def filter_by(queryset: QuerySet, filters: dict[str, Any], lookups: dict[str, str]) -> QuerySet:
    """Apply each present filter through its ORM lookup, e.g. {"patient": "patient__code"}."""
    conditions = {lookups[name]: value for name, value in filters.items() if name in lookups}
    return queryset.filter(**conditions)

"""The study-scoped API's rows and query filters (api.views.study_data): pseudonyms, study session
keys and shifted dates only; date filters apply to the shifted dates."""

from __future__ import annotations

from rest_framework import serializers

from api.filters import DateRangeFilter
from results.models import BehaviourEvent

# --- output shapes ------------------------------------------------------------------------------


class StudySessionSerializer(serializers.Serializer):
    session = serializers.CharField(help_text="The study's key of the session.")
    pseudonym = serializers.CharField(help_text="The patient's study pseudonym.")
    protocol = serializers.CharField()
    session_date = serializers.DateField(help_text="Shifted by the patient's study date shift.")


class StudyRecordingSerializer(serializers.Serializer):
    session = serializers.CharField()
    pseudonym = serializers.CharField()
    codec = serializers.CharField()
    fps = serializers.FloatField()
    duration_s = serializers.FloatField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    rotation_deg = serializers.IntegerField()
    status = serializers.CharField()


class StudyMetricSampleSerializer(serializers.Serializer):
    session = serializers.CharField()
    pseudonym = serializers.CharField()
    session_date = serializers.DateField(help_text="Shifted by the patient's study date shift.")
    metric = serializers.CharField()
    value = serializers.FloatField(allow_null=True)
    unit = serializers.CharField()
    window_start_s = serializers.FloatField()
    window_end_s = serializers.FloatField()
    is_session_level = serializers.BooleanField()
    pipeline_version = serializers.CharField()


class StudyReviewSerializer(serializers.Serializer):
    decision = serializers.CharField()
    corrected_kind = serializers.CharField()
    corrected_start_s = serializers.FloatField(allow_null=True)
    corrected_end_s = serializers.FloatField(allow_null=True)


class StudyBehaviourEventSerializer(serializers.Serializer):
    session = serializers.CharField()
    pseudonym = serializers.CharField()
    kind = serializers.CharField()
    body_part = serializers.CharField()
    start_s = serializers.FloatField()
    end_s = serializers.FloatField()
    frequency_hz = serializers.FloatField(allow_null=True)
    confidence = serializers.FloatField()
    pipeline_version = serializers.CharField()
    reviews = StudyReviewSerializer(many=True, help_text="Clinicians' decisions, without their notes.")


# --- filters (dates are the shifted ones) -------------------------------------------------------


class StudySessionFilter(DateRangeFilter):
    pseudonym = serializers.CharField(required=False, max_length=12)
    protocol = serializers.SlugField(required=False, max_length=40)


class StudyRecordingFilter(serializers.Serializer):
    pseudonym = serializers.CharField(required=False, max_length=12)
    session = serializers.CharField(required=False, max_length=24)


class StudyMetricSampleFilter(DateRangeFilter):
    pseudonym = serializers.CharField(required=False, max_length=12)
    session = serializers.CharField(required=False, max_length=24)
    metric = serializers.CharField(required=False, max_length=80)
    pipeline_version = serializers.CharField(required=False, max_length=20)
    session_level = serializers.BooleanField(required=False, allow_null=True, default=None)


class StudyEventFilter(DateRangeFilter):
    pseudonym = serializers.CharField(required=False, max_length=12)
    session = serializers.CharField(required=False, max_length=24)
    kind = serializers.ChoiceField(required=False, choices=BehaviourEvent.Kind.choices)
    pipeline_version = serializers.CharField(required=False, max_length=20)

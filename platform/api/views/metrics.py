"""Metric samples and behaviour events (with their reviews)."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import Action, require
from api.base import AuditedListMixin, AuditedRetrieveMixin, PatientDataViewSet
from api.filters import EventFilter, MetricSampleFilter, filter_by
from api.serializers import (
    BehaviourEventSerializer,
    EventReviewInputSerializer,
    EventReviewSerializer,
    MetricSampleSerializer,
)
from results.models import BehaviourEvent, MetricSample
from results.reviews import event_review_create

_COMMON_LOOKUPS = {
    "patient": "patient__code",
    "study": "patient__enrolments__study_id",
    "session": "session_id",
    "pipeline_version": "pipeline_version",
    "date_from": "session__session_date__gte",
    "date_to": "session__session_date__lte",
}


@extend_schema(tags=["metrics"], parameters=[MetricSampleFilter])
class MetricSampleViewSet(AuditedListMixin, PatientDataViewSet):
    model = MetricSample
    serializer_class = MetricSampleSerializer
    filter_serializer = MetricSampleFilter
    action_required = Action.VIEW_METRICS
    audit_type = "metric_sample"
    select_related = ("patient",)

    def apply_filters(self, queryset, filters):
        lookups = {**_COMMON_LOOKUPS, "metric": "metric", "session_level": "is_session_level"}
        lookups["date_from"], lookups["date_to"] = "session_date__gte", "session_date__lte"
        return filter_by(queryset, filters, lookups)


@extend_schema(tags=["events"], parameters=[EventFilter])
class BehaviourEventViewSet(AuditedListMixin, AuditedRetrieveMixin, PatientDataViewSet):
    model = BehaviourEvent
    serializer_class = BehaviourEventSerializer
    filter_serializer = EventFilter
    action_required = Action.VIEW_METRICS
    audit_type = "behaviour_event"
    select_related = ("patient",)

    def base_queryset(self):
        return super().base_queryset().prefetch_related("reviews__reviewer")

    def apply_filters(self, queryset, filters):
        return filter_by(queryset, filters, {**_COMMON_LOOKUPS, "kind": "kind"})

    @extend_schema(request=EventReviewInputSerializer, responses={201: EventReviewSerializer})
    @action(detail=True, methods=["post"])
    def reviews(self, request: Request, pk: str) -> Response:
        """Confirm, reject or correct the model's event (stored beside it, never over it)."""
        event = self.get_object()
        require(request.user, Action.REVIEW_EVENTS, event.patient)
        data = EventReviewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = event_review_create(
            event=event, reviewer=request.user, request=request, **data.validated_data
        )
        return Response(EventReviewSerializer(review).data, status=status.HTTP_201_CREATED)

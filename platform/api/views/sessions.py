"""Clinical sessions (visits) and their recordings."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import Action, require, restrict
from api.base import AuditedListMixin, AuditedRetrieveMixin, PatientDataViewSet, validated_filters
from api.exports.coding_formats import CodedEvent, boris_tabular_events, eaf_document
from api.filters import RecordingFilter, SessionFilter, filter_by
from api.serializers import ClinicalSessionInputSerializer, ClinicalSessionSerializer, RecordingSerializer
from audit.models import AccessEvent
from patients.models import Patient
from recordings.models import ClinicalSession, Protocol, Recording
from recordings.services import session_create
from results.models import BehaviourEvent, EventReview


class _CodingFormat(serializers.Serializer):
    format = serializers.ChoiceField(choices=["eaf", "boris"], default="eaf")


def _coded_events(session: ClinicalSession) -> list[CodedEvent]:
    """The model's events (tier per kind) and, beside them, their latest review."""
    coded = []
    events = (
        BehaviourEvent.objects.filter(session=session)
        .prefetch_related("reviews__reviewer")
        .order_by("start_s")
    )
    for event in events:
        coded.append(
            CodedEvent(
                tier=event.kind,
                start_s=event.start_s,
                end_s=event.end_s,
                label=f"{event.body_part} (confidence {event.confidence:.2f})",
            )
        )
        review = max(event.reviews.all(), key=lambda r: r.created_at, default=None)
        if review is None or review.decision == EventReview.Decision.REJECT:
            continue
        coded.append(
            CodedEvent(
                tier=f"{review.corrected_kind or event.kind} (reviewed)",
                start_s=review.corrected_start_s if review.corrected_start_s is not None else event.start_s,
                end_s=review.corrected_end_s if review.corrected_end_s is not None else event.end_s,
                label=f"{review.get_decision_display()} by {review.reviewer.username}",
            )
        )
    return coded


@extend_schema(tags=["sessions"], parameters=[SessionFilter])
class ClinicalSessionViewSet(AuditedListMixin, AuditedRetrieveMixin, PatientDataViewSet):
    model = ClinicalSession
    serializer_class = ClinicalSessionSerializer
    filter_serializer = SessionFilter
    audit_type = "clinical_session"
    actions_required = {"events_export": Action.VIEW_METRICS}
    select_related = ("patient", "protocol")

    def apply_filters(self, queryset, filters):
        return filter_by(
            queryset,
            filters,
            {
                "patient": "patient__code",
                "study": "patient__enrolments__study_id",
                "protocol": "protocol__code",
                "date_from": "session_date__gte",
                "date_to": "session_date__lte",
            },
        )

    @extend_schema(request=ClinicalSessionInputSerializer, responses={201: ClinicalSessionSerializer})
    def create(self, request: Request) -> Response:
        """Register a visit (uploader or clinician of the patient's care team)."""
        data = ClinicalSessionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        patients = restrict(Patient.objects.all(), request.user, Action.VIEW_PATIENT)
        patient = get_object_or_404(patients, code=data.validated_data["patient"])
        require(request.user, Action.REGISTER_SESSION, patient)
        protocol = get_object_or_404(Protocol, code=data.validated_data["protocol"])
        session = session_create(
            patient=patient,
            protocol=protocol,
            session_date=data.validated_data["session_date"],
            clinician=None,
            notes=data.validated_data["notes"],
            by=request.user,
        )
        self.audit_object(session, AccessEvent.Action.CREATE)
        return Response(ClinicalSessionSerializer(session).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[_CodingFormat], responses={(200, "application/xml"): OpenApiTypes.STR})
    @action(detail=True, methods=["get"], url_path="events-export")
    def events_export(self, request: Request, pk: str) -> HttpResponse:
        """The session's events for ELAN (format=eaf) or BORIS (format=boris)."""
        session = self.get_object()
        file_format = validated_filters(_CodingFormat, request).get("format", "eaf")
        recording = session.recordings.filter(status=Recording.Status.STORED).first()
        media = f"{session.patient.code}-{session.session_date.isoformat()}.mp4"
        coded = _coded_events(session)
        self.audit_object(session, AccessEvent.Action.EXPORT)
        if file_format == "boris":
            body = boris_tabular_events(
                coded,
                observation_id=f"{session.patient.code}-session-{session.pk}",
                observation_date=session.session_date.isoformat(),
                media_filename=media,
                total_length_s=recording.duration_s if recording else 0.0,
                fps=recording.fps if recording else 0.0,
                subject=session.patient.code,
            )
            response = HttpResponse(body, content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="session-{session.pk}-boris.csv"'
        else:
            response = HttpResponse(eaf_document(coded, media_filename=media), content_type="application/xml")
            response["Content-Disposition"] = f'attachment; filename="session-{session.pk}.eaf"'
        return response


@extend_schema(tags=["recordings"], parameters=[RecordingFilter])
class RecordingViewSet(AuditedListMixin, AuditedRetrieveMixin, PatientDataViewSet):
    """Recording metadata. The video itself is streamed by the session page, never by the API."""

    model = Recording
    serializer_class = RecordingSerializer
    filter_serializer = RecordingFilter
    audit_type = "recording"
    patient_attr = "session.patient"
    select_related = ("session__patient",)

    def apply_filters(self, queryset, filters):
        return filter_by(queryset, filters, {"patient": "session__patient__code", "session": "session_id"})

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
from api.exports.coding_formats import CODER_FORMATS, coder_file, media_duration_s, session_coded_events
from api.filters import RecordingFilter, SessionFilter, filter_by
from api.renderers import MEDIA_TYPES, FileDownloadMixin, renderers_for
from api.serializers import ClinicalSessionInputSerializer, ClinicalSessionSerializer, RecordingSerializer
from audit.models import AccessEvent
from patients.models import Patient
from recordings.models import ClinicalSession, Protocol, Recording
from recordings.services import session_create

# Accept header -> coder format when ?format= is absent.
NEGOTIATED_CODER_FORMATS = {"xlsx": "boris", "csv": "boris-csv"}
CODER_FILE_RESPONSES = {
    (200, MEDIA_TYPES["eaf"]): OpenApiTypes.STR,
    (200, MEDIA_TYPES["xlsx"]): OpenApiTypes.BINARY,
    (200, MEDIA_TYPES["csv"]): OpenApiTypes.STR,
}


class CodingFormat(serializers.Serializer):
    format = serializers.ChoiceField(
        choices=CODER_FORMATS,
        required=False,
        help_text="eaf: ELAN; boris: XLSX for BORIS's spreadsheet import; boris-csv: the same rows as CSV.",
    )


@extend_schema(tags=["sessions"], parameters=[SessionFilter])
class ClinicalSessionViewSet(FileDownloadMixin, AuditedListMixin, AuditedRetrieveMixin, PatientDataViewSet):
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
            request=request,
        )
        return Response(self.get_serializer(session).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[CodingFormat],
        responses=CODER_FILE_RESPONSES,
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="events-export",
        renderer_classes=renderers_for("eaf", "xlsx", "csv"),
    )
    def events_export(self, request: Request, pk: str) -> HttpResponse:
        """The session's events for ELAN (format=eaf) or BORIS (format=boris: XLSX for its
        spreadsheet import; boris-csv: the same rows as CSV), in the coder-file scheme of
        api.exports.coding_formats."""
        session = self.get_object()
        filters = validated_filters(CodingFormat, request)
        file_format = filters.get("format") or NEGOTIATED_CODER_FORMATS.get(
            request.accepted_renderer.format, "eaf"
        )
        coded = session_coded_events(session, reviewer_names=True)
        self.audit_object(session, AccessEvent.Action.EXPORT)
        body, media, filename = coder_file(
            coded,
            file_format=file_format,
            subject=session.patient.code,
            duration_s=media_duration_s(session),
            name=f"{session.patient.code}-{session.session_date.isoformat()}",
        )
        response = HttpResponse(body, content_type=media)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
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

"""Resumable upload over the API: the same services as the browser's upload page.

POST /uploads/ {session, filename, size_bytes, sha256} → an upload id; then
PUT /uploads/{id}/chunk/?offset=N with the raw bytes (application/octet-stream), repeated;
GET /uploads/{id}/ says received_bytes (where to resume); POST /uploads/{id}/complete/ checks the
sha256, stores the recording and queues its analysis.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, parsers, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import Action, require, restrict
from api.base import AuditedRetrieveMixin, PatientDataViewSet
from api.serializers import RecordingSerializer, UploadSerializer, UploadStartSerializer
from audit.models import AccessEvent
from care.uploads import upload_complete
from recordings.models import ChunkedUpload, ClinicalSession
from recordings.uploads import upload_chunk, upload_start


class _ChunkOffset(serializers.Serializer):
    offset = serializers.IntegerField(min_value=0)


class RawBytesParser(parsers.BaseParser):
    media_type = "application/octet-stream"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read() if stream is not None else b""


@extend_schema(tags=["uploads"])
class UploadViewSet(AuditedRetrieveMixin, PatientDataViewSet):
    model = ChunkedUpload
    serializer_class = UploadSerializer
    action_required = Action.UPLOAD
    audit_type = "upload"
    patient_attr = "session.patient"
    select_related = ("session__patient",)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no real user
            return ChunkedUpload.objects.none()
        return super().get_queryset().filter(uploaded_by=self.request.user)

    @extend_schema(request=UploadStartSerializer, responses={201: UploadSerializer})
    def create(self, request: Request) -> Response:
        data = UploadStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sessions = restrict(
            ClinicalSession.objects.select_related("patient"), request.user, Action.VIEW_PATIENT
        )
        session = get_object_or_404(sessions, pk=data.validated_data["session"])
        require(request.user, Action.UPLOAD, session.patient)
        upload = upload_start(
            session=session,
            user=request.user,
            original_filename=data.validated_data["filename"],
            total_size_bytes=data.validated_data["size_bytes"],
            expected_sha256=data.validated_data["sha256"].lower(),
            confirm_other_patient=data.validated_data["confirm_other_patient"],
        )
        self.audit_object(upload, AccessEvent.Action.CREATE)
        return Response(UploadSerializer(upload).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={"application/octet-stream": OpenApiTypes.BINARY},
        parameters=[OpenApiParameter("offset", int, required=True)],
        responses=UploadSerializer,
    )
    @action(detail=True, methods=["put"], parser_classes=[RawBytesParser])
    def chunk(self, request: Request, pk: str) -> Response:
        offset = _ChunkOffset(data=request.query_params)
        offset.is_valid(raise_exception=True)
        upload = self.get_object()
        data = request.data
        if not isinstance(data, bytes) or not data:
            raise exceptions.ValidationError(
                "Send the chunk's bytes as the body, with Content-Type application/octet-stream."
            )
        upload = upload_chunk(upload=upload, offset=offset.validated_data["offset"], data=data)
        return Response(UploadSerializer(upload).data)

    @extend_schema(request=None, responses={201: RecordingSerializer})
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        upload = self.get_object()
        recording = upload_complete(upload=upload)
        return Response(RecordingSerializer(recording).data, status=status.HTTP_201_CREATED)

"""Studies and their exports for statisticians."""

from django.db import connection
from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Study
from accounts.permissions import can_export, studies_for
from api.base import validated_filters
from api.exports.data_dictionary import data_dictionary, data_dictionary_csv
from api.exports.study_export import (
    ExportRequest,
    csv_stream,
    export_batches,
    parquet_stream,
    postgres_csv_stream,
    rows_per_patient,
)
from api.filters import ExportFilter
from api.serializers import StudySerializer
from audit.models import AccessEvent
from audit.services import access_record, client_address
from patients.models import Patient


class _DictionaryFormat(serializers.Serializer):
    format = serializers.ChoiceField(choices=["json", "csv"], default="json")


@extend_schema(tags=["studies"])
class StudyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = StudySerializer
    pagination_class = None

    def get_queryset(self):
        return studies_for(self.request.user).order_by("code")

    def _exportable_study(self, pk: str) -> Study:
        study = self.get_object()
        if not can_export(self.request.user, study):
            raise exceptions.PermissionDenied(
                "Only statisticians who are members of this study may export it."
            )
        return study

    @extend_schema(
        parameters=[ExportFilter],
        responses={
            (200, "text/csv"): OpenApiTypes.STR,
            (200, "application/vnd.apache.parquet"): OpenApiTypes.BINARY,
        },
    )
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str) -> StreamingHttpResponse:
        """Long-format metric rows of consenting patients, pseudonymised, streamed."""
        study = self._exportable_study(pk)
        filters = validated_filters(ExportFilter, request)
        export = ExportRequest(
            study=study,
            metrics=tuple(filters.get("metrics", ())),
            date_from=filters.get("date_from"),
            date_to=filters.get("date_to"),
            pipeline_version=filters.get("pipeline_version", ""),
        )
        per_patient = rows_per_patient(export)
        _audit_export(request, study, filters, per_patient)
        file_format = filters.get("format", "csv")
        if file_format == "parquet":
            response = StreamingHttpResponse(
                parquet_stream(export_batches(export)), content_type="application/vnd.apache.parquet"
            )
        else:
            # PostgreSQL writes the CSV itself (COPY); SQLite (the embedded default) goes through Python.
            rows = (
                postgres_csv_stream(export)
                if connection.vendor == "postgresql"
                else csv_stream(export_batches(export))
            )
            response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{study.code}-metrics.{file_format}"'
        response["X-Export-Rows"] = str(sum(per_patient.values()))
        return response

    @extend_schema(parameters=[_DictionaryFormat], responses={(200, "application/json"): OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"], url_path="data-dictionary")
    def data_dictionary(self, request: Request, pk: str):
        """Every export column and every metric, with its unit and definition."""
        self.get_object()
        file_format = validated_filters(_DictionaryFormat, request).get("format", "json")
        if file_format == "csv":
            response = HttpResponse(data_dictionary_csv(), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = 'attachment; filename="data-dictionary.csv"'
            return response
        return Response(data_dictionary())


def _audit_export(request: Request, study: Study, filters: dict, per_patient: dict[int, int]) -> None:
    """One summary event for the export and one per included patient (their own trail)."""
    details = {
        "study": study.code,
        "filters": {key: str(value) for key, value in filters.items()},
        "rows": sum(per_patient.values()),
        "patients": len(per_patient),
    }
    access_record(
        user=request.user,
        action=AccessEvent.Action.EXPORT,
        object_type="study",
        object_id=study.pk,
        details=details,
        request=request,
    )
    address = client_address(request)
    AccessEvent.objects.bulk_create(
        AccessEvent(
            user=request.user,
            username=request.user.get_username(),
            action=AccessEvent.Action.EXPORT,
            object_type="study_export",
            object_id=str(study.pk),
            patient=patient,
            details={"study": study.code, "rows": per_patient[patient.pk]},
            client_address=address,
        )
        for patient in Patient.objects.filter(pk__in=per_patient.keys())
    )

"""Studies and their exports for statisticians: metrics (long or wide; CSV, Parquet, SPSS,
Stata), behaviour events, tasks, speech segments, the data package with its codebook, and the
data dictionary."""

from collections.abc import Callable

from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Study
from accounts.permissions import can_export, studies_for
from api.base import validated_filters
from api.exports.data_package import (
    codebook_html,
    data_dictionary,
    data_dictionary_csv,
    package_descriptor,
    package_zip_stream,
)
from api.exports.events_export import events_table
from api.exports.speech_export import speech_table
from api.exports.stat_files import file_chunks, stat_file
from api.exports.study_export import Table, build_table, csv_stream, parquet_stream
from api.exports.study_scope import ExportRequest
from api.exports.tasks_export import tasks_table
from api.filters import ExportFilter, StudyEventExportFilter, StudyTableExportFilter
from api.renderers import MEDIA_TYPES, FileDownloadMixin, renderers_for
from api.serializers import StudySerializer
from audit.chain import chain_append
from audit.models import AccessEvent
from audit.services import access_event, access_record
from patients.models import Patient

_ERRORS = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="A filter is not valid; the message says which."),
    403: OpenApiResponse(OpenApiTypes.OBJECT, description="Not a statistician member of this study."),
}


class _DictionaryFormat(serializers.Serializer):
    format = serializers.ChoiceField(choices=["json", "csv"], required=False)


class _PackageFormat(ExportFilter):
    format = serializers.ChoiceField(
        choices=["json", "zip"],
        required=False,
        help_text="json: datapackage.json; zip: data (metrics long and wide, events, speech), "
        "datapackage.json, codebook and manifest.",
    )
    shape = None


def _file_responses(*formats: str, description: str) -> dict:
    return {
        (200, MEDIA_TYPES[f]): OpenApiResponse(
            OpenApiTypes.OBJECT if f == "json" else OpenApiTypes.BINARY, description=description
        )
        for f in formats
    } | {(code, "application/json"): response for code, response in _ERRORS.items()}


@extend_schema(tags=["studies"])
class StudyViewSet(
    FileDownloadMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = StudySerializer
    pagination_class = None

    def get_queryset(self):
        return studies_for(self.request.user).order_by("code")

    def _exportable_study(self) -> Study:
        study = self.get_object()
        if not can_export(self.request.user, study):
            raise exceptions.PermissionDenied(
                "Only statisticians who are members of this study may export it."
            )
        return study

    def _export_request(self, study: Study, filters: dict) -> ExportRequest:
        metrics = filters.get("metrics", {})
        return ExportRequest(
            study=study,
            metrics=tuple(metrics.get("keys", ())),
            metric_prefixes=tuple(metrics.get("prefixes", ())),
            protocols=tuple(filters.get("protocol", ())),
            date_from=filters.get("date_from"),
            date_to=filters.get("date_to"),
            pipeline_version=filters.get("pipeline_version", ""),
            shape=filters.get("shape", "long"),
            filters=filters,
        )

    def _table_file(
        self, request: Request, what: str, filter_class: type, build: Callable[[ExportRequest, dict], Table]
    ) -> StreamingHttpResponse:
        """One of the study's tables as a CSV or Parquet file, audited as `what`."""
        study = self._exportable_study()
        filters = validated_filters(filter_class, request)
        file_format = self.requested_format(request, filters, "csv")
        table = build(self._export_request(study, filters), filters)
        _audit_export(request, study, what, filters, table)
        return _file_response(table, file_format, f"{study.code}-{what}.{file_format}")

    @extend_schema(
        parameters=[ExportFilter],
        responses=_file_responses("csv", "parquet", "sav", "dta", description="The metrics table."),
    )
    @action(detail=True, methods=["get"], renderer_classes=renderers_for("csv", "parquet", "sav", "dta"))
    def export(self, request: Request, pk: str):
        """Metrics of consenting patients, pseudonymised: long (a row per window or session value)
        or wide (a row per session, a column per metric), streamed."""
        study = self._exportable_study()
        filters = validated_filters(ExportFilter, request)
        file_format = self.requested_format(request, filters, "csv")
        export = self._export_request(study, filters)
        table = build_table(export)
        _audit_export(request, study, "metrics", filters, table)
        name = f"{study.code}-metrics-{export.shape}.{file_format}"
        return _file_response(table, file_format, name)

    @extend_schema(
        parameters=[StudyEventExportFilter],
        responses=_file_responses(
            "csv", "parquet", description="One row per behaviour event and per task of a semi-guided visit."
        ),
    )
    @action(detail=True, methods=["get"], renderer_classes=renderers_for("csv", "parquet"))
    def events(self, request: Request, pk: str):
        """Behaviour events of consenting patients with the latest clinician review of each."""
        return self._table_file(
            request,
            "events",
            StudyEventExportFilter,
            lambda export, filters: events_table(export, kind=filters.get("kind", "")),
        )

    @extend_schema(
        parameters=[StudyTableExportFilter],
        responses=_file_responses("csv", "parquet", description="One row per task of semi-guided visits."),
    )
    @action(detail=True, methods=["get"], renderer_classes=renderers_for("csv", "parquet"))
    def tasks(self, request: Request, pk: str):
        """Task segments of semi-guided visits of consenting patients (marked, else proposed)."""
        return self._table_file(
            request, "tasks", StudyTableExportFilter, lambda export, _: tasks_table(export)
        )

    @extend_schema(
        parameters=[StudyTableExportFilter],
        responses=_file_responses(
            "csv", "parquet", description="One row per speech segment heard on the recordings' audio."
        ),
    )
    @action(detail=True, methods=["get"], renderer_classes=renderers_for("csv", "parquet"))
    def speech(self, request: Request, pk: str):
        """Speech segments of consenting patients' current analyses: times, speaker (patient,
        other or unknown) and the attribution's confidence."""
        return self._table_file(
            request, "speech", StudyTableExportFilter, lambda export, _: speech_table(export)
        )

    @extend_schema(
        parameters=[_PackageFormat],
        responses=_file_responses("json", "zip", description="Frictionless data package."),
    )
    @action(detail=True, methods=["get"], renderer_classes=renderers_for("json", "zip"))
    def datapackage(self, request: Request, pk: str):
        """The data package: datapackage.json (Table Schemas of every resource: metrics long and
        wide, events, speech segments), or format=zip with the data, the codebook and a manifest
        (export time, filters, rows, sha256)."""
        study = self._exportable_study()
        filters = validated_filters(_PackageFormat, request)
        file_format = self.requested_format(request, filters, "json")
        tables = {
            "metrics_long": build_table(self._export_request(study, {**filters, "shape": "long"})),
            "metrics_wide": build_table(self._export_request(study, {**filters, "shape": "wide"})),
            "events": events_table(self._export_request(study, filters)),
            "speech": speech_table(self._export_request(study, filters)),
        }
        if file_format != "zip":
            return Response(package_descriptor(study, tables))
        # The wide table repeats the long table's session values: its rows are not counted again.
        counted = (tables["metrics_long"], tables["events"], tables["speech"])
        _audit_export(request, study, "data package", filters, *counted)
        response = StreamingHttpResponse(
            package_zip_stream(study, filters, tables), content_type=MEDIA_TYPES["zip"]
        )
        response["Content-Disposition"] = f'attachment; filename="{study.code}-datapackage.zip"'
        return response

    @extend_schema(responses=_file_responses("html", description="Printable codebook."))
    @action(detail=True, methods=["get"], renderer_classes=renderers_for("html"))
    def codebook(self, request: Request, pk: str):
        """A printable codebook: every column and metric with range, allowed values, missing
        reasons, the window definition and pipeline notes."""
        study = self.get_object()
        return HttpResponse(codebook_html(study), content_type="text/html; charset=utf-8")

    @extend_schema(
        parameters=[_DictionaryFormat],
        responses=_file_responses("json", "csv", description="The data dictionary."),
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="data-dictionary",
        renderer_classes=renderers_for("json", "csv"),
    )
    def data_dictionary(self, request: Request, pk: str):
        """Every export column and every metric, with unit, range, allowed values and missing reasons."""
        study = self.get_object()
        filters = validated_filters(_DictionaryFormat, request)
        if self.requested_format(request, filters, "json") == "csv":
            response = HttpResponse(data_dictionary_csv(study), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = 'attachment; filename="data-dictionary.csv"'
            return response
        return Response(data_dictionary(study))


def _file_response(table: Table, file_format: str, filename: str) -> StreamingHttpResponse:
    if file_format in ("sav", "dta"):
        chunks = file_chunks(stat_file(table, file_format))
    elif file_format == "parquet":
        chunks = parquet_stream(table)
    else:
        chunks = csv_stream(table)
    media = MEDIA_TYPES[file_format] + ("; charset=utf-8" if file_format == "csv" else "")
    response = StreamingHttpResponse(chunks, content_type=media)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Export-Rows"] = str(table.row_count)
    return response


def _audit_export(request: Request, study: Study, what: str, filters: dict, *tables: Table) -> None:
    """One summary event for the export and one per included patient (their own trail)."""
    per_patient: dict[int, int] = {}
    for table in tables:
        for patient_pk, rows in table.rows_per_patient.items():
            per_patient[patient_pk] = per_patient.get(patient_pk, 0) + rows
    details = {
        "study": study.code,
        "export": what,
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
    chain_append(
        access_event(
            user=request.user,
            action=AccessEvent.Action.EXPORT,
            object_type="study_export",
            object_id=study.pk,
            patient=patient,
            details={"study": study.code, "export": what, "rows": per_patient[patient.pk]},
            request=request,
        )
        for patient in Patient.objects.filter(pk__in=per_patient.keys())
    )

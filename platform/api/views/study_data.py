"""The study-scoped API: what a study member reads of the patients of one study.

Every URL names the study (/api/v1/studies/<id>/...), so each row is known under that study's
pseudonym and date shift, even for a patient enrolled in two studies. Rows carry the study
pseudonym, study session keys and shifted dates only: no care-team code, database id, free
text, file name, checksum or creation time. Date filters apply to the shifted dates. A study
the user is not a member of answers 404, like an unknown one.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Model, Prefetch, QuerySet
from django.http import Http404, HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Study
from accounts.permissions import Action, can_export, restrict
from api.base import validated_filters
from api.exports.coding_formats import coder_file, media_duration_s, session_coded_events
from api.renderers import FileDownloadMixin, renderers_for
from api.study_serializers import (
    StudyBehaviourEventSerializer,
    StudyEventFilter,
    StudyMetricSampleFilter,
    StudyMetricSampleSerializer,
    StudyRecordingFilter,
    StudyRecordingSerializer,
    StudySessionFilter,
    StudySessionSerializer,
)
from api.views.sessions import CODER_FILE_RESPONSES, NEGOTIATED_CODER_FORMATS, CodingFormat
from audit.models import AccessEvent
from audit.services import READ_ACTIONS, access_read, access_record
from patients.models import Patient, StudyEnrolment
from patients.study_view import (
    date_shift,
    filter_shifted_dates,
    session_id_for_key,
    study_enrolment_by_pseudonym,
    study_enrolments,
    study_session_key,
)
from recordings.models import ClinicalSession, Recording
from results.models import BehaviourEvent, EventReview, MetricSample


class StudyDataViewSet(viewsets.GenericViewSet):
    """Rows of one model, narrowed by accounts.permissions to the study's consenting patients,
    turned into study rows by `study_row`, one AccessEvent per patient on the page."""

    model: type[Model]
    action_required: Action = Action.VIEW_PATIENT
    # Viewset actions that need another permission than action_required.
    actions_required: dict[str, Action] = {}
    audit_type: str = ""
    filter_serializer: type[serializers.Serializer]
    patient_path: str = "patient"  # ORM path from a row to its patient
    session_id_path: str = "session_id"  # ORM path from a row to its session's id
    date_path: str = "session__session_date"
    ordering: tuple[str, ...] = ("-id",)
    select_related: tuple[str, ...] = ()

    @property
    def study(self) -> Study:
        if not hasattr(self, "_study"):
            study = Study.objects.filter(pk=self.kwargs["study_pk"]).first()
            if study is None or not can_export(self.request.user, study):
                raise Http404("No such study among your studies.")
            self._study = study
        return self._study

    @property
    def enrolments(self) -> dict[int, StudyEnrolment]:
        if not hasattr(self, "_enrolments"):
            self._enrolments = study_enrolments(study=self.study)
        return self._enrolments

    def base_queryset(self) -> QuerySet:
        return self.model.objects.select_related(*self.select_related)

    def get_queryset(self) -> QuerySet:
        required = self.actions_required.get(self.action, self.action_required)
        queryset = restrict(self.base_queryset(), self.request.user, required, study=self.study)
        return queryset.order_by(*self.ordering)

    def filtered(self, queryset: QuerySet, filters: dict[str, Any]) -> QuerySet:
        """The filters every study resource shares; subclasses add their own."""
        if "pseudonym" in filters:
            enrolment = study_enrolment_by_pseudonym(study=self.study, pseudonym=filters["pseudonym"])
            patient_id = enrolment.patient_id if enrolment else None
            queryset = queryset.filter(**{f"{self.patient_path}_id": patient_id})
        if "session" in filters:
            sessions = restrict(
                ClinicalSession.objects.all(), self.request.user, self.action_required, study=self.study
            )
            session_id = session_id_for_key(
                study=self.study, key=filters["session"], session_ids=sessions.values_list("pk", flat=True)
            )
            queryset = queryset.filter(**{self.session_id_path: session_id})
        return filter_shifted_dates(
            queryset,
            study=self.study,
            date_path=self.date_path,
            patient_path=self.patient_path,
            date_from=filters.get("date_from"),
            date_to=filters.get("date_to"),
        )

    def session_of(self, obj: Model) -> ClinicalSession:
        return obj.session

    def common_row(self, obj: Model) -> dict[str, Any]:
        session = self.session_of(obj)
        enrolment = self.enrolments[session.patient_id]
        return {
            "session": study_session_key(enrolment=enrolment, session_id=session.pk),
            "pseudonym": enrolment.pseudonym,
        }

    def study_row(self, obj: Model) -> dict[str, Any]:
        raise NotImplementedError

    def audit(self, rows: list[Model], action: AccessEvent.Action = AccessEvent.Action.LIST) -> None:
        """One row per patient shown (a read, through access_read) or exported, under the study's
        name of the request."""
        details = {"study": self.study.code, "filters": dict(self.request.query_params.lists())}
        rows_per_patient = Counter(self.session_of(obj).patient_id for obj in rows)
        for patient in Patient.objects.filter(pk__in=rows_per_patient):
            fields = {
                "action": action,
                "object_type": self.audit_type,
                "patient": patient,
                "details": {**details, "rows": rows_per_patient[patient.pk]},
            }
            if action in READ_ACTIONS:
                access_read(request=self.request, **fields)
            else:
                access_record(user=self.request.user, request=self.request, **fields)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filtered(self.get_queryset(), validated_filters(self.filter_serializer, request))
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        self.audit(rows)
        data = self.get_serializer([self.study_row(obj) for obj in rows], many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)


# --- resources ----------------------------------------------------------------------------------


@extend_schema(tags=["study data"], parameters=[StudySessionFilter])
class StudySessionViewSet(FileDownloadMixin, StudyDataViewSet):
    """Sessions of the study's consenting patients; a session is named by its study key."""

    model = ClinicalSession
    serializer_class = StudySessionSerializer
    filter_serializer = StudySessionFilter
    audit_type = "clinical_session"
    actions_required = {"events_export": Action.VIEW_METRICS}
    session_id_path = "pk"
    date_path = "session_date"
    select_related = ("protocol",)
    lookup_field = "session_key"
    lookup_value_regex = "[A-Za-z0-9-]+"

    def filtered(self, queryset, filters):
        if "protocol" in filters:
            queryset = queryset.filter(protocol__code=filters["protocol"])
        return super().filtered(queryset, filters)

    def session_of(self, obj: ClinicalSession) -> ClinicalSession:
        return obj

    def study_row(self, obj: ClinicalSession) -> dict[str, Any]:
        enrolment = self.enrolments[obj.patient_id]
        return {
            **self.common_row(obj),
            "protocol": obj.protocol.code,
            "session_date": date_shift(obj.session_date, enrolment=enrolment),
        }

    def get_object(self) -> ClinicalSession:
        queryset = self.get_queryset()
        session_id = session_id_for_key(
            study=self.study,
            key=self.kwargs["session_key"],
            session_ids=queryset.values_list("pk", flat=True),
        )
        session = queryset.filter(pk=session_id).first() if session_id else None
        if session is None:
            raise Http404("No such session in this study.")
        return session

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        session = self.get_object()
        self.audit([session], AccessEvent.Action.VIEW)
        return Response(self.get_serializer(self.study_row(session)).data)

    @extend_schema(parameters=[CodingFormat], responses=CODER_FILE_RESPONSES)
    @action(
        detail=True,
        methods=["get"],
        url_path="events-export",
        renderer_classes=renderers_for("eaf", "xlsx", "csv"),
    )
    def events_export(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        """The session's events for ELAN (format=eaf) or BORIS (format=boris: XLSX for its
        spreadsheet import; boris-csv), under the study's names: files and subject are named by
        the session key and the study pseudonym, and reviews carry no reviewer."""
        session = self.get_object()
        filters = validated_filters(CodingFormat, request)
        file_format = filters.get("format") or NEGOTIATED_CODER_FORMATS.get(
            request.accepted_renderer.format, "eaf"
        )
        enrolment = self.enrolments[session.patient_id]
        coded = session_coded_events(session, reviewer_names=False)
        self.audit([session], AccessEvent.Action.EXPORT)
        body, media, filename = coder_file(
            coded,
            file_format=file_format,
            subject=enrolment.pseudonym,
            duration_s=media_duration_s(session),
            name=study_session_key(enrolment=enrolment, session_id=session.pk),
        )
        response = HttpResponse(body, content_type=media)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


@extend_schema(tags=["study data"], parameters=[StudyRecordingFilter])
class StudyRecordingViewSet(StudyDataViewSet):
    """Recording metadata: what the camera produced, without file name, checksum, size or times."""

    model = Recording
    serializer_class = StudyRecordingSerializer
    filter_serializer = StudyRecordingFilter
    audit_type = "recording"
    patient_path = "session__patient"
    select_related = ("session",)

    def study_row(self, obj: Recording) -> dict[str, Any]:
        return {
            **self.common_row(obj),
            **{
                name: getattr(obj, name)
                for name in ("codec", "fps", "duration_s", "width", "height", "rotation_deg", "status")
            },
        }


@extend_schema(tags=["study data"], parameters=[StudyMetricSampleFilter])
class StudyMetricSampleViewSet(StudyDataViewSet):
    model = MetricSample
    serializer_class = StudyMetricSampleSerializer
    filter_serializer = StudyMetricSampleFilter
    action_required = Action.VIEW_METRICS
    audit_type = "metric_sample"
    date_path = "session_date"
    select_related = ("session",)

    def filtered(self, queryset, filters):
        for name, lookup in (
            ("metric", "metric"),
            ("pipeline_version", "pipeline_version"),
            ("session_level", "is_session_level"),
        ):
            if name in filters:
                queryset = queryset.filter(**{lookup: filters[name]})
        return super().filtered(queryset, filters)

    def study_row(self, obj: MetricSample) -> dict[str, Any]:
        enrolment = self.enrolments[obj.patient_id]
        return {
            **self.common_row(obj),
            "session_date": date_shift(obj.session_date, enrolment=enrolment),
            **{
                name: getattr(obj, name)
                for name in (
                    "metric",
                    "value",
                    "unit",
                    "window_start_s",
                    "window_end_s",
                    "is_session_level",
                    "pipeline_version",
                )
            },
        }


@extend_schema(tags=["study data"], parameters=[StudyEventFilter])
class StudyBehaviourEventViewSet(StudyDataViewSet):
    model = BehaviourEvent
    serializer_class = StudyBehaviourEventSerializer
    filter_serializer = StudyEventFilter
    action_required = Action.VIEW_METRICS
    audit_type = "behaviour_event"
    select_related = ("session",)

    def base_queryset(self):
        reviews = Prefetch("reviews", queryset=EventReview.objects.order_by("created_at"))
        return super().base_queryset().prefetch_related(reviews)

    def filtered(self, queryset, filters):
        for name in ("kind", "pipeline_version"):
            if name in filters:
                queryset = queryset.filter(**{name: filters[name]})
        return super().filtered(queryset, filters)

    def study_row(self, obj: BehaviourEvent) -> dict[str, Any]:
        return {
            **self.common_row(obj),
            **{
                name: getattr(obj, name)
                for name in (
                    "kind",
                    "body_part",
                    "start_s",
                    "end_s",
                    "frequency_hz",
                    "confidence",
                    "pipeline_version",
                )
            },
            "reviews": [
                {
                    "decision": review.decision,
                    "corrected_kind": review.corrected_kind,
                    "corrected_start_s": review.corrected_start_s,
                    "corrected_end_s": review.corrected_end_s,
                }
                for review in obj.reviews.all()
            ],
        }

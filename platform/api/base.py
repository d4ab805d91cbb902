"""The API's chokepoint: every patient-data endpoint narrows its queryset with
accounts.permissions.restrict and writes one AccessEvent per request that returns patient data."""

from operator import attrgetter
from typing import Any

from django.db.models import Model, QuerySet
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import Action, restrict
from audit.models import AccessEvent
from audit.services import access_read, access_record


def validated_filters(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """Query parameters checked by a FilterSerializer; unknown or malformed values give a 400."""
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return {key: value for key, value in serializer.validated_data.items() if value not in (None, "", [])}


class PatientDataViewSet(viewsets.GenericViewSet):
    """Base for endpoints over patient data.

    Subclasses set `model`, `action_required` (an accounts.permissions.Action) and, per viewset
    action, `actions_required`, `audit_type`,
    `patient_attr`, and optionally `filter_serializer` with an `apply_filters(queryset, filters)`.
    Rows outside the user's visible set are 404 (ids do not leak), never 403.
    """

    model: type[Model]
    action_required: Action = Action.VIEW_PATIENT
    # Viewset actions that need another permission than action_required, e.g. {"retry": MANAGE_JOBS}.
    actions_required: dict[str, Action] = {}
    audit_type: str = ""
    filter_serializer: type[serializers.Serializer] | None = None
    patient_attr: str = "patient"  # dotted path from a row to its Patient
    select_related: tuple[str, ...] = ()

    def base_queryset(self) -> QuerySet:
        return self.model.objects.select_related(*self.select_related)

    def get_queryset(self) -> QuerySet:
        required = self.actions_required.get(self.action, self.action_required)
        queryset = restrict(self.base_queryset(), self.request.user, required)
        if self.filter_serializer is not None and self.action == "list":
            queryset = self.apply_filters(queryset, validated_filters(self.filter_serializer, self.request))
        return queryset

    def apply_filters(self, queryset: QuerySet, filters: dict[str, Any]) -> QuerySet:
        return queryset

    def patient_of(self, obj: Model):
        return attrgetter(self.patient_attr)(obj)

    def audit_list(self, page: list[Model]) -> None:
        patients = {self.patient_of(obj) for obj in page}
        details = {"filters": dict(self.request.query_params.lists()), "rows": len(page)}
        for patient in patients:
            access_read(
                request=self.request,
                action=AccessEvent.Action.LIST,
                object_type=self.audit_type,
                patient=patient,
                details=details,
            )

    def audit_read(self, obj: Model, action: AccessEvent.Action = AccessEvent.Action.VIEW) -> None:
        """One read of the object (its row, its identity) on its patient's trail."""
        access_read(
            request=self.request,
            action=action,
            object_type=self.audit_type,
            object_id=obj.pk,
            patient=self.patient_of(obj),
        )

    def audit_object(self, obj: Model, action: str) -> None:
        """What the request did to the object (created, changed, exported) on its patient's trail."""
        access_record(
            user=self.request.user,
            action=action,
            object_type=self.audit_type,
            object_id=obj.pk,
            patient=self.patient_of(obj),
            request=self.request,
        )


class AuditedListMixin:
    """list: the page of rows the user may see, with one AccessEvent per patient on the page."""

    def list(self, request: Request, *args: Any, **kwargs: Any):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        self.audit_list(rows)
        data = self.get_serializer(rows, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)


class AuditedRetrieveMixin:
    """retrieve: one row the user may see (else 404), with its AccessEvent."""

    def retrieve(self, request: Request, *args: Any, **kwargs: Any):
        obj = self.get_object()
        self.audit_read(obj)
        return Response(self.get_serializer(obj).data)

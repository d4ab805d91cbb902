"""Reads through the Django admin are audited like any other: the change list (one row per
patient shown), the change page and the history page of every patient-data model."""

from operator import attrgetter
from typing import Any

from django.contrib.admin.utils import unquote

from accounts.permissions import PATIENT_PATHS
from audit.models import AccessEvent
from audit.services import access_read


def patient_of(obj: Any) -> Any:
    """The row's patient, or the pseudonym a row keeps once its patient is erased."""
    path = PATIENT_PATHS[obj._meta.label_lower]
    patient = obj if path == "pk" else attrgetter(path.replace("__", "."))(obj)
    return patient if patient is not None else getattr(obj, "pseudonym", "")


class AuditedReadsAdmin:
    """Mixin for a ModelAdmin of a model in accounts.permissions.PATIENT_PATHS."""

    def _audit(self, request, action: AccessEvent.Action, obj: Any, page: str) -> None:
        access_read(
            request=request,
            action=action,
            object_type=f"admin {obj._meta.model_name}",
            object_id=obj.pk,
            patient=patient_of(obj),
            details={"page": page},
        )

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl") if response.status_code == 200 else None
        if changelist is not None:
            shown = {}
            for obj in changelist.result_list:
                patient = patient_of(obj)
                shown.setdefault(getattr(patient, "pk", patient), (patient, obj))
            for patient, obj in shown.values():
                access_read(
                    request=request,
                    action=AccessEvent.Action.LIST,
                    object_type=f"admin {obj._meta.model_name}",
                    patient=patient,
                )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = self.get_object(request, unquote(object_id)) if response.status_code == 200 else None
        if obj is not None:
            self._audit(request, AccessEvent.Action.VIEW, obj, "change")
        return response

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        obj = self.get_object(request, unquote(object_id)) if response.status_code == 200 else None
        if obj is not None:
            self._audit(request, AccessEvent.Action.VIEW, obj, "history")
        return response

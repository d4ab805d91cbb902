"""Patients (pseudonym only) and, for the care team, their identity."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import Action, restrict
from api.base import AuditedListMixin, AuditedRetrieveMixin, PatientDataViewSet
from api.filters import PatientFilter, filter_by
from api.serializers import PatientIdentitySerializer, PatientSerializer
from audit.models import AccessEvent
from patients.models import Patient, PatientIdentity


@extend_schema(tags=["patients"], parameters=[PatientFilter])
class PatientViewSet(AuditedListMixin, AuditedRetrieveMixin, PatientDataViewSet):
    model = Patient
    serializer_class = PatientSerializer
    filter_serializer = PatientFilter
    audit_type = "patient"
    lookup_field = "code"
    select_related = ("care_team",)

    def patient_of(self, obj: Patient) -> Patient:
        return obj

    def apply_filters(self, queryset, filters):
        return filter_by(queryset, filters, {"study": "enrolments__study_id"})

    @extend_schema(responses=PatientIdentitySerializer)
    @action(detail=True, methods=["get"])
    def identity(self, request: Request, code: str) -> Response:
        """Name, date of birth and hospital number: the patient's care team only."""
        identities = restrict(
            PatientIdentity.objects.select_related("patient"), request.user, Action.VIEW_IDENTITY
        )
        identity = get_object_or_404(identities, patient__code=code)
        self.audit_read(identity.patient, AccessEvent.Action.VIEW_IDENTITY)
        return Response(PatientIdentitySerializer(identity).data)

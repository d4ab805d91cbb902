"""Analysis jobs: status and progress, retry and cancel."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import Action
from api.base import AuditedListMixin, AuditedRetrieveMixin, PatientDataViewSet
from api.filters import JobFilter, filter_by
from api.serializers import AnalysisJobSerializer
from audit.models import AccessEvent
from results.jobs import analysis_job_cancel, analysis_job_retry
from results.models import AnalysisJob


@extend_schema(tags=["analysis jobs"], parameters=[JobFilter])
class AnalysisJobViewSet(AuditedListMixin, AuditedRetrieveMixin, PatientDataViewSet):
    model = AnalysisJob
    serializer_class = AnalysisJobSerializer
    filter_serializer = JobFilter
    audit_type = "analysis_job"
    actions_required = {"retry": Action.MANAGE_JOBS, "cancel": Action.MANAGE_JOBS}
    patient_attr = "recording.session.patient"
    select_related = ("recording__session__patient",)

    def apply_filters(self, queryset, filters):
        return filter_by(
            queryset,
            filters,
            {
                "patient": "recording__session__patient__code",
                "recording": "recording_id",
                "status": "status",
                "pipeline_version": "pipeline_version",
            },
        )

    @extend_schema(request=None, responses={202: AnalysisJobSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str) -> Response:
        """Queue a failed or cancelled analysis again."""
        job = analysis_job_retry(job=self.get_object(), by=request.user)
        self.audit_object(job, AccessEvent.Action.UPDATE)
        return Response(AnalysisJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses=AnalysisJobSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        """Cancel a queued or running analysis (a running one stops at its next batch of frames)."""
        job = analysis_job_cancel(job=self.get_object(), by=request.user)
        self.audit_object(job, AccessEvent.Action.UPDATE)
        return Response(AnalysisJobSerializer(job).data)

"""GET /api/v1/agreement/: the models' agreement with clinicians' reviews, per event kind (admins).

The figures and their definition are those of results.agreement (the same as the models page).
They are aggregated over all patients and name none; the request is still audited, since it
reads every clinician's reviews.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import can_manage_models
from api.base import validated_filters
from audit.services import access_read
from results.agreement import agreement_report


class _KindOutput(serializers.Serializer):
    kind = serializers.CharField()
    n_model = serializers.IntegerField(help_text="Reviewed model events of this kind.")
    n_kept = serializers.IntegerField(help_text="Of those, kept as this kind by the clinician.")
    n_clinician = serializers.IntegerField(help_text="Clinician labels of this kind.")
    n_rejected = serializers.IntegerField(help_text="Model events of this kind the clinician rejected.")
    precision = serializers.FloatField(allow_null=True)
    recall = serializers.FloatField(allow_null=True)
    kappa = serializers.FloatField(allow_null=True, help_text="Binary kind-versus-not-kind Cohen's kappa.")


class _AgreementOutput(serializers.Serializer):
    pipeline_version = serializers.CharField(allow_blank=True)
    n_events = serializers.IntegerField(help_text="Model events, reviewed or not.")
    n_reviewed = serializers.IntegerField(help_text="Model events with at least one review.")
    kappa = serializers.FloatField(allow_null=True, help_text="Cohen's kappa over all labels and none.")
    kinds = _KindOutput(many=True)
    labels = serializers.ListField(child=serializers.CharField())
    confusion = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField()),
        help_text="confusion[model label][clinician label] = events.",
    )
    definition = serializers.CharField()


class _AgreementFilter(serializers.Serializer):
    pipeline_version = serializers.CharField(required=False, allow_blank=True, max_length=20)


class AgreementView(APIView):
    """Precision, recall and Cohen's kappa of the model's events against the clinicians' reviews."""

    @extend_schema(parameters=[_AgreementFilter], responses={200: _AgreementOutput}, tags=["models"])
    def get(self, request: Request) -> Response:
        if not can_manage_models(request.user):
            raise exceptions.PermissionDenied(
                "Only administrators may see the models' agreement with clinicians."
            )
        filters = validated_filters(_AgreementFilter, request)
        pipeline_version = filters.get("pipeline_version", "")
        report = agreement_report(pipeline_version=pipeline_version or None)
        access_read(
            request=request,
            object_type="model_agreement",
            details={"pipeline_version": pipeline_version, "n_reviewed": report.n_reviewed},
        )
        return Response(_AgreementOutput({**report.to_json(), "pipeline_version": pipeline_version}).data)

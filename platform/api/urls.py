"""REST API v1: resources, the OpenAPI schema and its interactive docs (served locally)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from api.views.agreement import AgreementView
from api.views.jobs import AnalysisJobViewSet
from api.views.metrics import BehaviourEventViewSet, MetricSampleViewSet
from api.views.patients import PatientViewSet
from api.views.sessions import ClinicalSessionViewSet, RecordingViewSet
from api.views.studies import StudyViewSet
from api.views.study_data import (
    StudyBehaviourEventViewSet,
    StudyMetricSampleViewSet,
    StudyRecordingViewSet,
    StudySessionViewSet,
)
from api.views.tokens import ApiTokenViewSet, TokenView
from api.views.uploads import UploadViewSet

router = DefaultRouter()
router.include_format_suffixes = False  # ?format= belongs to the exports
router.register("patients", PatientViewSet, basename="patient")
router.register("sessions", ClinicalSessionViewSet, basename="session")
router.register("recordings", RecordingViewSet, basename="recording")
router.register("uploads", UploadViewSet, basename="upload")
router.register("jobs", AnalysisJobViewSet, basename="job")
router.register("metric-samples", MetricSampleViewSet, basename="metric-sample")
router.register("events", BehaviourEventViewSet, basename="event")
router.register("studies", StudyViewSet, basename="study")
# What study members read of patients: always inside one study (its pseudonyms, shifted dates).
_STUDY = r"studies/(?P<study_pk>[0-9]+)"
router.register(f"{_STUDY}/sessions", StudySessionViewSet, basename="study-session")
router.register(f"{_STUDY}/recordings", StudyRecordingViewSet, basename="study-recording")
router.register(f"{_STUDY}/metric-samples", StudyMetricSampleViewSet, basename="study-metric-sample")
router.register(f"{_STUDY}/behaviour-events", StudyBehaviourEventViewSet, basename="study-behaviour-event")
router.register("tokens", ApiTokenViewSet, basename="token")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("agreement/", AgreementView.as_view(), name="api-agreement"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("", include(router.urls)),
]

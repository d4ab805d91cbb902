"""Browser routes: each folder of frontend/ owns its part."""

from django.urls import include, path

urlpatterns = [
    path("", include("frontend.pages.urls")),
    path("upload/", include("frontend.upload.urls")),
    path("sessions/", include("frontend.review.urls")),
    path("dashboards/", include("frontend.dashboards.urls")),
    path("models/", include("frontend.models_admin.urls")),
    path("tokens/", include("frontend.tokens.urls")),
]

"""Routes of the upload page and its JSON endpoints (mounted under upload/)."""

from django.urls import path

from frontend.upload import views

app_name = "upload"

urlpatterns = [
    path("", views.upload_page, name="page"),
    path("sessions/new/", views.upload_session_create, name="session_create"),
    path("api/start/", views.api_start, name="start"),
    path("api/<uuid:upload_id>/", views.api_status, name="status"),
    path("api/<uuid:upload_id>/chunk/", views.api_chunk, name="chunk"),
    path("api/<uuid:upload_id>/complete/", views.api_complete, name="complete"),
    path("api/<uuid:upload_id>/abandon/", views.api_abandon, name="abandon"),
    path("api/jobs/<int:job_id>/", views.api_job_status, name="job_status"),
]

"""Dashboard routes (mounted at dashboards/). Names are plain, like the core pages'."""

from django.urls import path

from frontend.dashboards import views

urlpatterns = [
    path("", views.dashboard_index, name="dashboard_index"),
    path("patient/<str:code>/", views.dashboard_page, name="patient_dashboard"),
    path("patient/<str:code>/<path:endpoint>", views.dashboard_dash, name="patient_dashboard_dash"),
    path("app/<path:asset>", views.dashboard_assets, name="dashboard_assets"),
]

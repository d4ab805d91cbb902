"""Routes of the core pages. Names are plain (no namespace): other pages link with {% url %}."""

from django.contrib.auth import views as auth_views
from django.urls import path

from frontend.pages import enrolments, erasure, registration, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("patients/", views.patient_list_page, name="patient_list"),
    path("patients/new/", registration.patient_register_page, name="patient_register"),
    path("patients/<str:code>/", views.patient_detail, name="patient_detail"),
    path("patients/<str:code>/consent/", views.consent_record_page, name="consent_record"),
    path("patients/<str:code>/consent/withdraw/", views.consent_withdraw_page, name="consent_withdraw"),
    path("patients/<str:code>/sessions/new/", views.session_create_page, name="session_create"),
    path("patients/<str:code>/identity/", registration.identity_correct_page, name="identity_correct"),
    path(
        "patients/<str:code>/sessions/<int:session_id>/edit/",
        registration.session_edit_page,
        name="session_edit",
    ),
    path("patients/<str:code>/erasure/", erasure.erasure_request_page, name="erasure_request"),
    path(
        "patients/<str:code>/studies/<int:enrolment_id>/",
        enrolments.enrolment_covariates_page,
        name="enrolment_covariates",
    ),
    path("erasures/", erasure.erasure_list_page, name="erasure_list"),
    path("erasures/<int:erasure_id>/confirm/", erasure.erasure_confirm_page, name="erasure_confirm"),
    path("studies/", views.study_list, name="study_list"),
]

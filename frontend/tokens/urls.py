"""API tokens page routes (mounted at tokens/)."""

from django.urls import path

from frontend.tokens import views

urlpatterns = [
    path("", views.api_tokens_page, name="api_tokens"),
    path("<int:token_id>/revoke/", views.api_token_revoke_page, name="api_token_revoke"),
]

"""Models page routes (mounted at models/): admins only."""

from django.urls import path

from frontend.models_admin import views

urlpatterns = [
    path("", views.models_page, name="models_admin"),
    path("activate/", views.model_activate_page, name="model_activate"),
]

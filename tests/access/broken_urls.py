"""A URL map with one view that fails, to see the 500 page a person gets."""

from django.urls import path


def broken(request):
    return 1 // 0


urlpatterns = [path("broken/", broken)]

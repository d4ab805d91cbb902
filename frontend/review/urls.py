"""URL routes (filled by the owner of this folder)."""

urlpatterns: list = []

"""Cursor pagination: stable pages over tables that grow while a statistician reads them."""

from rest_framework.pagination import CursorPagination


class StandardCursorPagination(CursorPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = "-id"

"""Celery glue between analysis/ and the database."""

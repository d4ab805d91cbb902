from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "care"
    verbose_name = (
        "Care: consent taking effect, uploads and re-analysis across patients, recordings and results"
    )

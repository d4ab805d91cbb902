from django.apps import AppConfig


class ResultsConfig(AppConfig):
    name = "results"
    verbose_name = "Analysis results: jobs, metrics, behaviour events, reviews, model versions"

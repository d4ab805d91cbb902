"""Video behaviour analysis: a plain library (no Django, no Celery) from a video to per-frame
tracks and clinical metrics. See analysis/README.md for the models, formulas and units."""

PIPELINE_VERSION = "1.1.0"

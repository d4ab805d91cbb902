"""`manage.py task_model_register MODEL_FILE --model-version V [--activate]`: record a trained task
segmenter (written by `python -m analysis.tasks train`, with its manifest beside it) in the model
registry. The active version proposes the tasks of semi-guided visits after their analysis; with
none active, clinicians mark the tasks by hand."""

from django.core.management.base import BaseCommand, CommandError

from accounts.errors import ApplicationError
from results.task_models import task_model_register


class Command(BaseCommand):
    help = "Register a trained task model file (and its manifest); --activate makes it the one that runs."

    def add_arguments(self, parser) -> None:
        parser.add_argument("model_file", help="the .pt file written by python -m analysis.tasks train")
        parser.add_argument("--model-version", required=True, help="version name, unique for the task model")
        parser.add_argument("--activate", action="store_true", help="make this version the active one")

    def handle(self, *args, **options) -> None:
        try:
            version = task_model_register(
                model_path=options["model_file"],
                version=options["model_version"],
                activate=options["activate"],
            )
        except ApplicationError as error:
            raise CommandError(error.message) from error
        state = "active" if version.is_active else "registered, not active"
        self.stdout.write(f"Task model {version.name} {version.version}: {state}; metrics {version.metrics}.")

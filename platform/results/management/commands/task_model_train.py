"""`manage.py task_model_train [--model-version V] [--epochs N] [--folds K] [--activate]`: train
the task model on the clinician-marked visits of patients consenting to model training, print
its cross-validated figures (folds by patient, from 20 marked visits) and register it with the
training data's sha256 (inactive unless --activate)."""

from django.core.management.base import BaseCommand, CommandError

from accounts.errors import ApplicationError
from results.task_model_training import DEFAULT_FOLDS, task_model_train_marked

FIGURES = (
    ("frame_accuracy", "frame accuracy"),
    ("edit_score", "edit"),
    ("f1@10", "F1@10"),
    ("f1@25", "F1@25"),
    ("f1@50", "F1@50"),
)


class Command(BaseCommand):
    help = "Train, cross-validate and register the task model from clinician-marked visits."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--model-version", default=None, help="version name (default: date and data hash)"
        )
        parser.add_argument("--epochs", type=int, default=40)
        parser.add_argument(
            "--folds", type=int, default=DEFAULT_FOLDS, help="cross-validation folds by patient"
        )
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--activate", action="store_true", help="make this version the active one")

    def handle(self, *args, **options) -> None:
        try:
            result = task_model_train_marked(
                version=options["model_version"],
                epochs=options["epochs"],
                folds=options["folds"],
                seed=options["seed"],
                activate=options["activate"],
            )
        except (ApplicationError, ValueError) as error:
            raise CommandError(getattr(error, "message", str(error))) from error
        task_set, version = result.task_set, result.model_version
        self.stdout.write(
            f"Marked visits: {len(task_set.sequences)} used, {task_set.sessions_without_tracks} without "
            f"stored tracks; classes {', '.join(task_set.classes)}; data sha256 {task_set.sha256}."
        )
        if result.cross_validation is None:
            self.stdout.write(result.cv_note)
        else:
            cv = result.cross_validation
            figures = ", ".join(f"{name} {cv[key]:.3f}" for key, name in FIGURES)
            self.stdout.write(f"Cross-validation ({result.cv_note}): {figures}.")
        state = "active" if version.is_active else "registered, not active"
        self.stdout.write(f"Task model {version.name} {version.version}: {state}.")

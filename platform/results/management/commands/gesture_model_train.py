"""`manage.py gesture_model_train --data DIR`: train, evaluate and register a gesture model.

Trains analysis.gestures' TCN classifier on a training set directory (gesture_training_set or
`python -m analysis.gestures synth`), evaluates it (on the set's test split, or on every sample
when it has none: then the figures are optimistic and say so), stores the model file through
Django's storage and records a ModelVersion with the metrics and the training data's sha256.
--activate makes it the version the deployment runs.
"""

import tempfile
from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.errors import ApplicationError
from results.gesture_models import GESTURE_MODEL_NAME, gesture_model_activate, gesture_model_register


class Command(BaseCommand):
    help = "Train a gesture classifier on a data set directory, evaluate it, register it (and activate it)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--data", required=True, help="training set directory")
        parser.add_argument(
            "--model-version", default=None, help="version name (default: date and data hash)"
        )
        parser.add_argument(
            "--name", default=GESTURE_MODEL_NAME, help=f"model name (default {GESTURE_MODEL_NAME})"
        )
        parser.add_argument("--epochs", type=int, default=60)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--device", choices=("cpu", "cuda"), default=None, help="default: cuda when available"
        )
        parser.add_argument("--figure", default=None, help="also write the confusion matrix PNG here")
        parser.add_argument("--activate", action="store_true", help="make this version the active one")

    def handle(self, *args, **options) -> None:
        # torch loads in seconds: every other management command starts without it.
        from analysis.gestures.evaluate import evaluate, format_report  # noqa: PLC0415
        from analysis.gestures.train import train  # noqa: PLC0415

        with tempfile.TemporaryDirectory() as scratch:
            model_path = Path(scratch) / "model.pt"
            try:
                result = train(
                    options["data"],
                    model_path,
                    epochs=options["epochs"],
                    seed=options["seed"],
                    device=options["device"],
                )
                evaluation = evaluate(
                    model_path, options["data"], options["figure"], device=options["device"]
                )
            except (FileNotFoundError, ValueError, RuntimeError) as error:
                raise CommandError(f"Training failed: {error}") from error
            has_test = "n_test" in result.metrics
            metrics = {
                **result.metrics,
                "labels": result.labels,
                "evaluation": evaluation.to_json(),
                "evaluation_split": "test" if has_test else "all samples (no test split: optimistic)",
            }
            version = options["model_version"] or f"{datetime.now():%Y%m%d-%H%M}-{result.data_sha256[:8]}"
            try:
                model_version = gesture_model_register(
                    model_path=model_path,
                    metrics=metrics,
                    training_data_sha256=result.data_sha256,
                    version=version,
                    name=options["name"],
                )
                if options["activate"]:
                    model_version = gesture_model_activate(model_version=model_version)
            except ApplicationError as error:
                raise CommandError(error.message) from error
        self.stdout.write(format_report(evaluation))
        self.stdout.write(
            f"registered {model_version.name} {model_version.version} (file sha256 {model_version.file_sha256}, "
            f"training data sha256 {model_version.training_data_sha256})"
            + ("; active" if model_version.is_active else "; not active (use --activate or the models page)")
        )

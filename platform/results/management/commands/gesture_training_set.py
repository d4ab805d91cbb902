"""`manage.py gesture_training_set --out DIR`: a gesture training set from clinicians' reviews.

Writes DIR in analysis.gestures.dataset's format (manifest.json with the data sha256, and
sequences.npz) from confirmed or corrected events of patients whose current consent includes
model_training; prints the samples per label and every left-out event's reason. The rules (and
how a clinician names a gesture: "gesture: NAME" in the review note) are in
results/gesture_training.py.
"""

from django.core.management.base import BaseCommand, CommandError

from accounts.errors import ApplicationError
from results.gesture_training import gesture_training_set_build


class Command(BaseCommand):
    help = "Build a gesture training set directory from confirmed or corrected behaviour events."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--out", required=True, help="data set directory to write (created if needed)")
        parser.add_argument(
            "--all-kinds", action="store_true", help="include reviewed events of every kind, labelled by kind"
        )
        parser.add_argument(
            "--test-fraction", type=float, default=0.0, help="share of samples marked test (default 0: none)"
        )
        parser.add_argument(
            "--min-per-label", type=int, default=2, help="leave out labels with fewer samples (default 2)"
        )
        parser.add_argument("--pipeline-version", default=None, help="only events of this pipeline version")

    def handle(self, *args, **options) -> None:
        if not 0 <= options["test_fraction"] < 1:
            raise CommandError("--test-fraction must be at least 0 and below 1.")
        try:
            report = gesture_training_set_build(
                out_dir=options["out"],
                all_kinds=options["all_kinds"],
                test_fraction=options["test_fraction"],
                min_per_label=options["min_per_label"],
                pipeline_version=options["pipeline_version"],
            )
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"wrote {report.n_samples} sample(s) to {report.directory}")
        for label, count in sorted(report.included.items()):
            self.stdout.write(f"  {label}: {count}")
        self.stdout.write(f"patients: {len(report.patients)}")
        if report.excluded:
            self.stdout.write("left out:")
            for reason, count in report.excluded.most_common():
                self.stdout.write(f"  {count} event(s): {reason}")
        self.stdout.write(f"data sha256: {report.sha256}")

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_study_age_band_years")]

    operations = [
        migrations.RemoveField(model_name="study", name="shift_dates"),
        migrations.AddField(
            model_name="study",
            name="date_shift_min_days",
            field=models.PositiveSmallIntegerField(
                default=1,
                help_text="Smallest date shift of an enrolled patient, in days (before or after).",
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(3650),
                ],
            ),
        ),
        migrations.AddField(
            model_name="study",
            name="date_shift_max_days",
            field=models.PositiveSmallIntegerField(
                default=180,
                help_text="Largest date shift of an enrolled patient, in days (before or after).",
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(3650),
                ],
            ),
        ),
        migrations.AddConstraint(
            model_name="study",
            constraint=models.CheckConstraint(
                condition=models.Q(date_shift_min_days__gte=1)
                & models.Q(date_shift_max_days__gte=models.F("date_shift_min_days")),
                name="study_date_shift_range",
                violation_error_message=(
                    "The largest date shift must be at least the smallest, which is 1 day or more."
                ),
            ),
        ),
    ]

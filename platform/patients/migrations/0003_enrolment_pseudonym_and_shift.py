"""Study pseudonyms and session-key secrets for every enrolment, and a random non-zero date
shift for those that had none (0, as enrolments made in the admin got)."""

from django.db import migrations, models

import patients.models


def fill_enrolments(apps, schema_editor):
    StudyEnrolment = apps.get_model("patients", "StudyEnrolment")
    taken: set[str] = set()
    for enrolment in StudyEnrolment.objects.select_related("study"):
        pseudonym = patients.models.generate_study_pseudonym()
        while pseudonym in taken:
            pseudonym = patients.models.generate_study_pseudonym()
        taken.add(pseudonym)
        enrolment.pseudonym = pseudonym
        enrolment.session_key_salt = patients.models.generate_session_key_salt()
        if not enrolment.date_shift_days:
            enrolment.date_shift_days = patients.models.draw_date_shift_days(
                min_days=enrolment.study.date_shift_min_days, max_days=enrolment.study.date_shift_max_days
            )
        enrolment.save(update_fields=["pseudonym", "session_key_salt", "date_shift_days"])


class Migration(migrations.Migration):
    dependencies = [("patients", "0002_patient_sex_enrolment_groups"), ("accounts", "0004_study_date_shift_range")]

    operations = [
        migrations.AddField(
            model_name="studyenrolment",
            name="pseudonym",
            field=models.CharField(editable=False, max_length=12, null=True),
        ),
        migrations.AddField(
            model_name="studyenrolment",
            name="session_key_salt",
            field=models.CharField(editable=False, max_length=32, null=True),
        ),
        migrations.RunPython(fill_enrolments, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="studyenrolment",
            name="pseudonym",
            field=models.CharField(
                default=patients.models.generate_study_pseudonym, editable=False, max_length=12, unique=True
            ),
        ),
        migrations.AlterField(
            model_name="studyenrolment",
            name="session_key_salt",
            field=models.CharField(
                default=patients.models.generate_session_key_salt,
                editable=False,
                help_text="Secret of the study's session keys (patients.study_view.study_session_key).",
                max_length=32,
            ),
        ),
        migrations.AlterField(
            model_name="studyenrolment",
            name="date_shift_days",
            field=models.IntegerField(
                editable=False, help_text="Random non-zero offset added to every date the study sees."
            ),
        ),
        migrations.AddConstraint(
            model_name="studyenrolment",
            constraint=models.CheckConstraint(
                condition=models.Q(("date_shift_days", 0), _negated=True), name="enrolment_date_shift_not_zero"
            ),
        ),
    ]

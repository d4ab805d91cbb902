# The audit log names patients by pseudonym, records the outcome, and is hash-chained; on
# PostgreSQL a trigger refuses UPDATE and DELETE of its rows.

import hashlib
import json

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import migrations, models

APPEND_ONLY_SQL = """
CREATE OR REPLACE FUNCTION audit_accessevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The audit log is append-only: % of an AccessEvent is refused.', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_accessevent_append_only ON audit_accessevent;
CREATE TRIGGER audit_accessevent_append_only BEFORE UPDATE OR DELETE ON audit_accessevent
    FOR EACH ROW EXECUTE FUNCTION audit_accessevent_append_only();
"""
DROP_SQL = """
DROP TRIGGER IF EXISTS audit_accessevent_append_only ON audit_accessevent;
DROP FUNCTION IF EXISTS audit_accessevent_append_only();
"""


def pseudonyms_and_chain(apps, schema_editor):
    """Existing rows: the patient's pseudonym from the foreign key, then the chain in id order
    (the same content as audit.chain.event_hash)."""
    AccessEvent = apps.get_model("audit", "AccessEvent")
    previous = "0" * 64
    for event in AccessEvent.objects.select_related("patient").order_by("id").iterator():
        event.patient_code = event.patient.code if event.patient_id else ""
        content = {
            "previous": previous,
            "at": event.at.isoformat(),
            "user": event.user_id,
            "username": event.username,
            "action": event.action,
            "outcome": event.outcome,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "patient": event.patient_code,
            "details": event.details,
            "client_address": event.client_address,
        }
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
        event.previous_hash = previous
        event.entry_hash = previous = hashlib.sha256(canonical.encode()).hexdigest()
        event.save(update_fields=["patient_code", "previous_hash", "entry_hash"])


def append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY_SQL, params=None)


def not_append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="accessevent",
            name="entry_hash",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="accessevent",
            name="outcome",
            field=models.CharField(
                choices=[("allowed", "allowed"), ("denied", "denied")], default="allowed", max_length=8
            ),
        ),
        migrations.AddField(
            model_name="accessevent",
            name="patient_code",
            field=models.CharField(blank=True, db_index=True, max_length=12, verbose_name="patient"),
        ),
        migrations.AddField(
            model_name="accessevent",
            name="previous_hash",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.RunPython(pseudonyms_and_chain, migrations.RunPython.noop),
        migrations.RemoveIndex(
            model_name="accessevent",
            name="audit_acces_patient_bd6bb9_idx",
        ),
        migrations.RemoveField(
            model_name="accessevent",
            name="patient",
        ),
        migrations.AlterField(
            model_name="accessevent",
            name="at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now),
        ),
        migrations.AlterField(
            model_name="accessevent",
            name="user",
            field=models.ForeignKey(
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="accessevent",
            index=models.Index(fields=["patient_code", "-at"], name="audit_acces_patient_ffe22f_idx"),
        ),
        migrations.RunPython(append_only, not_append_only),
    ]

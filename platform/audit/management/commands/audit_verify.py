"""manage.py audit_verify: check the audit log's hash chain and name the first broken link."""

from django.core.management.base import BaseCommand, CommandError

from audit.chain import chain_breaks
from audit.models import AccessEvent


class Command(BaseCommand):
    help = "Check the audit log's hash chain; exit 1 naming the first broken link."

    def handle(self, *args, **options):
        broken = next(chain_breaks(), None)
        if broken is not None:
            event = AccessEvent.objects.filter(pk=broken.event_id).first()
            when = f" ({event.at:%Y-%m-%d %H:%M:%S}, {event.username or 'anonymous'})" if event else ""
            raise CommandError(
                f"The audit chain is broken at event {broken.event_id}{when}: {broken.reason}."
            )
        self.stdout.write(f"The audit chain holds: {AccessEvent.objects.count()} events, every link intact.")

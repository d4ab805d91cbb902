"""Abandon uploads idle for longer than UPLOAD_STALE_AFTER and delete their received chunks.

Run it where the upload chunks live (the web host: UPLOAD_TMP_DIR), daily from cron.
"""

from django.core.management.base import BaseCommand

from recordings.uploads import uploads_sweep_stale


class Command(BaseCommand):
    help = "Abandon stale resumable uploads and free their disk space."

    def handle(self, *args, **options) -> None:
        count = uploads_sweep_stale()
        self.stdout.write(f"{count} stale upload(s) abandoned and their chunks deleted.")

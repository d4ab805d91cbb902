"""`manage.py sweep_analysis_jobs`: requeue or fail running analyses whose worker was lost.

Celery beat runs the same sweep every ANALYSIS_SWEEP_EVERY_S; this command is for sites that
prefer cron, and for an administrator who wants to see what it does.
"""

from django.core.management.base import BaseCommand

from results.jobs import analysis_jobs_sweep


class Command(BaseCommand):
    help = "Requeue running analysis jobs whose worker stopped sending heartbeats, or fail them."

    def handle(self, *args, **options) -> None:
        report = analysis_jobs_sweep()
        self.stdout.write(
            f"requeued {len(report.requeued)} job(s) {report.requeued}; failed {len(report.failed)} job(s) "
            f"{report.failed}"
        )

"""The Celery application, configured from Django settings.

Start a worker from the repository root: `celery -A workers worker -Q cpu` (deploy/workers.md).
Every setting comes from config.settings (CELERY_* and ANALYSIS_*), so that the web process,
which enqueues, and the workers, which run, agree on the broker, the queues and the limits.

Reliability choices, and why:
- JSON only: a message holds a job id, never a pickled object nor video bytes.
- acks_late + reject_on_worker_lost + prefetch 1: a message is acknowledged only after the job
  ends, so a worker killed mid-job (SIGKILL, out of memory) gives it back to the queue, and a
  worker never holds jobs it has not started.
- Redis visibility timeout longer than the hard time limit: an unacknowledged message is
  redelivered only when the job that holds it cannot still be running.
"""

import importlib
import multiprocessing
import os
import sys
import threading
from pathlib import Path

from celery import Celery, signals

# platform/ holds config.paths, so it goes on sys.path before anything can be imported from it.
_PLATFORM_ROOT = str(Path(__file__).resolve().parents[1] / "platform")
if _PLATFORM_ROOT not in sys.path:
    sys.path.insert(0, _PLATFORM_ROOT)

from config.paths import add_source_roots  # noqa: E402

add_source_roots()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402
from django.apps import apps  # noqa: E402
from django.conf import settings  # noqa: E402

# The worker (celery -A workers) starts without Django: set it up here. Inside the web process
# Django is already set up, or is importing this module while it populates its apps.
if not apps.ready and not apps.loading:
    django.setup()

# Redis gives an unacknowledged message to another worker after its visibility timeout: the hard
# time limit plus this margin (s), so a message is never redelivered while its job may still run.
VISIBILITY_MARGIN_S = 600

app = Celery("workers")
app.conf.update(
    broker_url=settings.CELERY_BROKER_URL or "memory://",
    result_backend=settings.CELERY_RESULT_BACKEND,
    task_ignore_result=True,
    task_always_eager=settings.CELERY_TASK_ALWAYS_EAGER,
    task_eager_propagates=False,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_soft_time_limit=settings.ANALYSIS_SOFT_TIME_LIMIT_S,
    task_time_limit=settings.ANALYSIS_HARD_TIME_LIMIT_S,
    broker_transport_options={
        "visibility_timeout": settings.ANALYSIS_HARD_TIME_LIMIT_S + VISIBILITY_MARGIN_S
    },
    broker_connection_retry_on_startup=True,
    task_default_queue="cpu",
    task_routes={"workers.tasks.analyse_job": {"queue": "cpu"}, "workers.tasks.sweep_jobs": {"queue": "cpu"}},
    beat_schedule_filename=str(settings.VAR_DIR / "celerybeat-schedule"),
    beat_schedule={
        "sweep-analysis-jobs": {
            "task": "workers.tasks.sweep_jobs",
            "schedule": settings.ANALYSIS_SWEEP_EVERY_S,
        },
    },
    worker_hijack_root_logger=False,
    timezone=settings.TIME_ZONE,
)
app.autodiscover_tasks(["workers"])


@signals.worker_process_init.connect
def _let_pool_processes_start_analysis_processes(**_kwargs) -> None:
    """analyse_video splits a video over ANALYSIS_PROCESSES spawned processes (stdlib
    multiprocessing), from inside a billiard pool process, which Python refuses twice: billiard
    marks its pool processes daemonic (daemonic processes may not have children), and leaves
    them a billiard authentication key that the stdlib will not pickle into the spawned
    process. The pipeline shuts its own processes down (and they exit when their parent dies,
    as their pipe closes), which is what the daemon flag would ensure; so in pool processes the
    flag is lifted and the same key is handed over as the stdlib's own type."""
    current = multiprocessing.current_process()
    current._config["daemon"] = False
    current._config["authkey"] = multiprocessing.process.AuthenticationString(bytes(current.authkey))


@signals.worker_process_init.connect
def _warm_up_the_analysis(**_kwargs) -> None:
    """Load the models before the first job, so that no job pays their start-up: the analysis
    worker processes (ANALYSIS_PROCESSES > 1) are started and warmed, or, with one, this process
    loads them. In a thread: Celery gives a pool process a few seconds to report ready."""
    # Looked up now, not imported above: it imports Django models, and the web process may
    # import this module while its apps are still loading.
    warm_up = importlib.import_module("workers.analysis_run").warm_up_analysis
    threading.Thread(target=warm_up, name="analysis-warm-up", daemon=True).start()

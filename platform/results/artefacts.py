"""Files in storage derived from analysis jobs: each job's tracks Parquet and the caches made
from it (overlays/job-<id>-v<n>.json, for the session page's skeleton). Every name is keyed by
its job, so that everything derived from a patient's videos can be found and deleted from the
jobs alone, on any storage backend, whoever made the file."""

from collections.abc import Iterable

from django.core.files.storage import default_storage

from results.models import AnalysisJob

OVERLAYS_FOLDER = "overlays"


def overlay_storage_name(*, job_id: int, version: int) -> str:
    return f"{OVERLAYS_FOLDER}/job-{job_id}-v{version}.json"


def tracks_storage_name(*, job_id: int) -> str:
    return f"tracks/{job_id}.parquet"


def _stored_names(folder: str) -> list[str]:
    try:
        _, files = default_storage.listdir(folder)
    except FileNotFoundError:  # local storage: the folder was never made
        return []
    return [f"{folder}/{name}" for name in files]


def job_artefact_names(jobs: Iterable[AnalysisJob]) -> list[str]:
    """The storage names of every file derived from these jobs that exists now."""
    jobs = list(jobs)
    if not jobs:
        return []
    candidates = set()
    for job in jobs:
        if job.tracks_file:
            candidates.add(job.tracks_file.name)
        candidates.add(tracks_storage_name(job_id=job.pk))
    prefixes = tuple(f"{OVERLAYS_FOLDER}/job-{job.pk}-" for job in jobs)
    overlays = [name for name in _stored_names(OVERLAYS_FOLDER) if name.startswith(prefixes)]
    return sorted(name for name in candidates if default_storage.exists(name)) + sorted(overlays)


def job_artefacts_delete(jobs: Iterable[AnalysisJob]) -> list[str]:
    """Delete every stored file derived from these jobs and clear their tracks references;
    returns the deleted names (for the audit)."""
    jobs = list(jobs)
    names = job_artefact_names(jobs)
    for name in names:
        default_storage.delete(name)
    AnalysisJob.objects.filter(pk__in=[job.pk for job in jobs]).exclude(tracks_file="").update(tracks_file="")
    return names

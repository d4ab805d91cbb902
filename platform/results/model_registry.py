"""Which models produced results: every (name, version) named by a finished analysis job, with
the jobs that used it. The jobs record their models themselves (AnalysisJob.model_versions), so
the registry lists every model that ever produced a stored result, registered or not."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from results.models import AnalysisJob, ModelVersion

JOBS_SHOWN = 10


@dataclass
class ModelInUse:
    name: str
    version: str
    n_jobs: int = 0
    last_used: datetime | None = None
    job_ids: list[int] = field(default_factory=list)  # the newest JOBS_SHOWN
    registered: ModelVersion | None = None


def models_in_use() -> list[ModelInUse]:
    """Every model named by a finished job, by name then version, newest jobs first."""
    found: dict[tuple[str, str], ModelInUse] = {}
    jobs = (
        AnalysisJob.objects.filter(status=AnalysisJob.Status.SUCCEEDED)
        .order_by("-finished_at", "-pk")
        .values_list("pk", "finished_at", "model_versions")
    )
    for job_id, finished_at, models in jobs:
        for model in models or []:
            key = (str(model.get("name", "")), str(model.get("version", "")))
            row = found.setdefault(key, ModelInUse(name=key[0], version=key[1]))
            row.n_jobs += 1
            row.last_used = row.last_used or finished_at
            if len(row.job_ids) < JOBS_SHOWN:
                row.job_ids.append(job_id)
    registered = defaultdict(lambda: None)
    for version in ModelVersion.objects.filter(name__in={name for name, _ in found}):
        registered[(version.name, version.version)] = version
    for key, row in found.items():
        row.registered = registered[key]
    return [found[key] for key in sorted(found)]

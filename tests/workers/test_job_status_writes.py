"""results.jobs is the one state machine of an analysis job: no other module of the platform,
the workers or the web app writes AnalysisJob.status (checked on the source, so a write that
no test happens to run is found too)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STATE_MACHINE = ROOT / "platform" / "results" / "jobs.py"
WRITING_METHODS = {"update", "create", "bulk_create", "update_or_create", "get_or_create", "bulk_update"}


def _about_jobs(text: str, job_names: set[str]) -> bool:
    return "AnalysisJob" in text or "job" in text.lower() or any(name in text for name in job_names)


def status_writes(source: str) -> list[int]:
    """Line numbers where the source writes a job's status: `….status = …` on something named
    like a job, or `status=` given to a create/update of AnalysisJob rows (directly or through a
    variable bound to an AnalysisJob queryset)."""
    tree = ast.parse(source)
    job_names = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and "AnalysisJob" in ast.unparse(node.value)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for part in ast.walk(target):
                    if (
                        isinstance(part, ast.Attribute)
                        and part.attr == "status"
                        and _about_jobs(ast.unparse(part.value), job_names)
                    ):
                        lines.append(node.lineno)
        if isinstance(node, ast.Call) and any(k.arg == "status" for k in node.keywords):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "AnalysisJob":
                lines.append(node.lineno)
            elif (
                isinstance(func, ast.Attribute)
                and func.attr in WRITING_METHODS
                and _about_jobs(ast.unparse(func.value), job_names)
            ):
                lines.append(node.lineno)
    return sorted(set(lines))


def _sources() -> list[Path]:
    folders = [ROOT / "platform", ROOT / "workers", ROOT / "frontend"]
    return sorted(
        path for folder in folders for path in folder.rglob("*.py") if "migrations" not in path.parts
    )


def test_the_scan_finds_the_ways_a_status_is_written():
    source = (
        "from results.models import AnalysisJob\n"
        "AnalysisJob.objects.filter(pk=1).update(status='failed')\n"
        "running = AnalysisJob.objects.filter(status='running')\n"
        "running.update(status='queued')\n"
        "job.status = 'cancelled'\n"
        "recording.jobs.update(status='cancelled')\n"
        "AnalysisJob(recording=r, status='running')\n"
        "upload.status = 'complete'\n"
    )
    assert status_writes(source) == [2, 4, 5, 6, 7]
    assert status_writes(STATE_MACHINE.read_text()), "the state machine itself must be seen writing"


def test_only_the_state_machine_writes_a_job_status():
    sources = [path for path in _sources() if path != STATE_MACHINE]
    assert len(sources) > 100, "the scan must see the whole code base"
    offenders = {
        str(path.relative_to(ROOT)): lines for path in sources if (lines := status_writes(path.read_text()))
    }
    assert offenders == {}, "move the job through results.jobs (claim, progress, finish, fail, cancel)"

"""Worker processes kept warm across analyses (what a Celery worker does between jobs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.errors import AnalysisCancelled
from analysis.pipeline import STATUS_NO_PERSON, STATUS_OK, analyse_video
from analysis.runner import START_JOB, WorkerPool


def _pids(pool: WorkerPool) -> set[int]:
    return set(pool._executor._processes)


def test_a_pool_serves_several_analyses_with_the_same_processes_even_after_a_cancellation(
    empty_video: Path,
) -> None:
    with WorkerPool(2) as pool:
        calls: list[int] = []
        with pytest.raises(AnalysisCancelled):
            # True at the start, False at the first batch reported by a worker process.
            analyse_video(empty_video, pool=pool, should_continue=lambda: calls.append(1) or len(calls) < 2)
        pids = _pids(pool)
        first = analyse_video(empty_video, pool=pool)
        second = analyse_video(empty_video, pool=pool)
        assert _pids(pool) == pids and len(pids) == 2
    for result in (first, second):
        assert result.status == STATUS_NO_PERSON
        assert len(result.tracks) == 30
    np.testing.assert_array_equal(first.tracks.time_s, second.tracks.time_s)


def test_a_pool_given_to_be_closed_is_closed_before_the_metrics(person_video: Path) -> None:
    pool = WorkerPool(2)
    for future in pool.start_warm_up(None, START_JOB):
        future.result()
    processes = list(pool._executor._processes.values())
    metrics_while_alive: list[bool] = []

    def progress(stage: str, fraction: float) -> None:
        if stage == "metrics":
            metrics_while_alive.append(any(p.is_alive() for p in processes))

    result = analyse_video(person_video, pool=pool, close_pool=True, progress=progress)
    assert result.status == STATUS_OK
    assert metrics_while_alive == [False, False]  # at the metrics' start and end
    pool.close()  # the caller's own clean-up still works

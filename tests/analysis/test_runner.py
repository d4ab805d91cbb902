"""Worker processes kept warm across analyses (what a Celery worker does between jobs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.errors import AnalysisCancelled
from analysis.pipeline import STATUS_NO_PERSON, analyse_video
from analysis.runner import WorkerPool


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

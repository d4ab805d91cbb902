"""Running the passes' segment jobs: in this process, or in worker processes that live as long
as their pool, with progress reports and cancellation.

Worker processes are spawned (MediaPipe graphs are not fork-safe), which costs their start-up:
importing MediaPipe and onnxruntime, and loading the expression network, seconds of CPU per
process. A `WorkerPool` pays it once: `analyse_video` makes a pool for one video, and a
long-lived caller (a Celery worker) makes one with `shared_pool()` when it starts and every job
then reuses its warm processes. Jobs are named by "module:function" strings so that this
process never imports the models' modules itself: the orchestrating process stays light.
"""

from __future__ import annotations

import ctypes
import importlib
import multiprocessing
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, wait
from typing import Any

from analysis.errors import AnalysisCancelled

ProgressCallback = Callable[[str, float], None]
# Share of the progress bar given to each stage.
STAGE_SPANS = {"people": (0.0, 0.2), "patient": (0.2, 0.9), "native": (0.9, 0.95), "metrics": (0.95, 1.0)}
# What a warm-up job loads in each worker process before the first video.
WARM_UP_JOB = "analysis.patient_pass:warm_up"
# A lighter start for a pool that analyses one video (the command line): the models' modules
# and the expression network, not the MediaPipe graphs, which each segment job makes anyway.
START_JOB = "analysis.patient_pass:load_expression_network"


class PartClock:
    """Seconds of a job spent per named part (this worker's wall time: the parts run one after
    the other, the models' own threads included), and, for the first job this process runs, the
    CPU seconds its start-up (imports, model loading) cost before it: the per-part figures the
    throughput benchmark prints. Wall time, because CPU time of a process whose MediaPipe graphs
    run threads costs about 90 us per reading (the kernel sums every thread), several readings
    per frame."""

    _started: bool = False

    def __init__(self) -> None:
        self.part_s: dict[str, float] = {}
        if not PartClock._started:
            PartClock._started = True
            self.part_s["worker start-up (CPU)"] = time.process_time()
        self._job_start = self._last = time.perf_counter()

    def lap(self, part: str) -> None:
        """Charge the time since the last lap to part."""
        now = time.perf_counter()
        self.part_s[part] = self.part_s.get(part, 0.0) + now - self._last
        self._last = now

    def total(self, rest: str) -> dict[str, float]:
        """The parts, with the job's time not charged to any part added to rest."""
        charged = sum(v for k, v in self.part_s.items() if k != "worker start-up (CPU)")
        uncharged = time.perf_counter() - self._job_start - charged
        return {**self.part_s, rest: self.part_s.get(rest, 0.0) + uncharged}


def part_sums(stage: str, results: list[dict[str, Any]]) -> dict[str, float]:
    """Seconds per part of a stage, summed over its jobs ("<stage>: <part>")."""
    sums: dict[str, float] = {}
    for result in results:
        for part, seconds in result["part_s"].items():
            key = f"{stage}: {part}"
            sums[key] = sums.get(key, 0.0) + seconds
    return sums


class StageClock:
    """Wall time of each stage, in seconds."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.laps[stage] = now - self._last
        self._last = now


def report_progress(progress: ProgressCallback | None, stage: str, stage_fraction: float) -> None:
    if progress is not None:
        low, high = STAGE_SPANS[stage]
        progress(stage, low + (high - low) * min(1.0, stage_fraction))


def resolve(job: str) -> Callable[..., Any]:
    """The function a "module:function" job name refers to."""
    module, _, function = job.partition(":")
    return getattr(importlib.import_module(module), function)


_worker_queue: Any = None
_worker_cancel: Any = None
_worker_barrier: Any = None
# Seconds a warm-up job waits for the other processes to load their models.
WARM_UP_TIMEOUT_S = 600


def _init_worker(progress_queue: Any, cancel_event: Any, barrier: Any) -> None:
    """Worker process set-up: where to send progress, the shared cancellation flag, and the
    barrier that spreads warm-up jobs one per process."""
    global _worker_queue, _worker_cancel, _worker_barrier
    _worker_queue, _worker_cancel, _worker_barrier = progress_queue, cancel_event, barrier


def _in_worker(run_id: int, job: str, spec: object) -> Any:
    def tick(n_frames: int) -> None:
        _worker_queue.put((run_id, n_frames))
        if _worker_cancel.is_set():
            raise AnalysisCancelled("The analysis was cancelled.")

    try:
        return resolve(job)(spec, tick)
    finally:
        _give_back_freed_memory()


def _give_back_freed_memory() -> None:
    """Return to the system the memory a job's models freed. glibc's allocator keeps it in its
    arenas, and the next job's models (the native-rate pass's after the patient pass's, or the
    next video's in a warm pool) were built beside it: each worker grew by about 60 MB on an
    hour-long session, and an idle warm worker held its last job's graphs' memory."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


# glibc, for malloc_trim (None where the C library is another: musl, macOS).
try:
    _LIBC: ctypes.CDLL | None = ctypes.CDLL("libc.so.6")
except OSError:
    _LIBC = None


class WorkerPool:
    """Spawned worker processes, reused by every analysis run until close().

    Parameters
    ----------
    workers : number of processes (one per core: each runs one segment job at a time).
    warm_up : load the models in every process now, before the first job.
    """

    def __init__(self, workers: int, *, warm_up: bool = False, device: str | None = None) -> None:
        if workers < 2:
            raise ValueError(f"a worker pool needs at least 2 processes, not {workers}")
        self.workers = workers
        context = multiprocessing.get_context("spawn")
        self.queue = context.Queue()
        self.cancel = context.Event()
        barrier = context.Barrier(workers)
        self._executor = ProcessPoolExecutor(
            workers, mp_context=context, initializer=_init_worker, initargs=(self.queue, self.cancel, barrier)
        )
        self._runs = 0
        self._lock = threading.Lock()
        if warm_up:
            for future in self.start_warm_up(device):
                future.result()

    def start_warm_up(self, device: str | None, job: str = WARM_UP_JOB) -> list[Future]:
        """Start every process and run job(device) there (one per process: each waits at the
        barrier until all have run it); jobs submitted meanwhile wait for them."""
        return [self._executor.submit(_warm, job, device) for _ in range(self.workers)]

    def next_run_id(self) -> int:
        with self._lock:
            self._runs += 1
            return self._runs

    def submit(self, run_id: int, job: str, spec: object) -> Future:
        return self._executor.submit(_in_worker, run_id, job, spec)

    @property
    def broken(self) -> bool:
        return bool(getattr(self._executor, "_broken", False))

    def close(self) -> None:
        """Stop the processes. They are terminated: they keep nothing worth a clean exit, which
        took 2.5 s (their interpreters' shutdown, measured when they also loaded torch) against
        0.15 s. Closing a closed pool does nothing more."""
        self.cancel.set()
        for process in list((getattr(self._executor, "_processes", None) or {}).values()):
            process.terminate()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def warm_up_here(device: str | None) -> None:
    """Load the models in this process (for callers that run jobs in-process)."""
    resolve(WARM_UP_JOB)(device)


def _warm(job: str, device: str | None) -> None:
    resolve(job)(device)
    _worker_barrier.wait(WARM_UP_TIMEOUT_S)


# The process-wide pool made by shared_pool(), under the key "pool".
_SHARED: dict[str, WorkerPool] = {}
_SHARED_LOCK = threading.Lock()


def shared_pool(workers: int, device: str | None = None) -> WorkerPool:
    """The process-wide pool of warm workers (made, and warmed up, on the first call; made
    again when a worker process died or the size changed). Thread-safe: a warm-up thread and
    the first job may ask at once."""
    with _SHARED_LOCK:
        pool = _SHARED.get("pool")
        if pool is None or pool.broken or pool.workers != workers:
            if pool is not None:
                pool.close()
            pool = _SHARED["pool"] = WorkerPool(workers, warm_up=True, device=device)
        return pool


def started_shared_pool() -> WorkerPool | None:
    """The process-wide pool if shared_pool() made it and it still works, else None."""
    pool = _SHARED.get("pool")
    return None if pool is None or pool.broken else pool


class Runner:
    """Runs a stage's segment jobs in this process (no pool) or in a WorkerPool, and turns the
    jobs' frame counts into progress calls and cancellation checks. On the way out after an
    error or a cancellation, it waits for the run's jobs in the pool to stop, so that a pool
    reused by the next run is idle."""

    def __init__(
        self,
        pool: WorkerPool | None,
        progress: ProgressCallback | None,
        should_continue: Callable[[], bool] | None,
        expected_frames: int,
    ) -> None:
        self.pool = pool
        self.progress = progress
        self.should_continue = should_continue
        self.expected_frames = expected_frames
        self.futures: list[Future] = []
        self.run_id = pool.next_run_id() if pool is not None else 0

    def __enter__(self) -> Runner:
        if self.pool is not None:
            self.pool.cancel.clear()
        return self

    def __exit__(self, exc_type: object, *exc_info: object) -> None:
        if self.pool is None or exc_type is None:
            return
        self.pool.cancel.set()
        for future in self.futures:
            future.cancel()
        wait(self.futures)
        self.pool.cancel.clear()

    def _check(self, stage: str, done: int) -> None:
        report_progress(self.progress, stage, done / self.expected_frames)
        if self.should_continue is not None and not self.should_continue():
            raise AnalysisCancelled("The analysis was cancelled before it finished; nothing was saved.")

    def run(self, stage: str, job: str, specs: Sequence[object]) -> list[Any]:
        """Results of job(spec, tick) for each spec, in order."""
        done = 0
        self._check(stage, done)
        if self.pool is None:

            def tick(n_frames: int) -> None:
                nonlocal done
                done += n_frames
                self._check(stage, done)

            function = resolve(job)
            return [function(spec, tick) for spec in specs]
        self.futures = [self.pool.submit(self.run_id, job, spec) for spec in specs]
        while not all(f.done() for f in self.futures):
            try:
                run_id, n_frames = self.pool.queue.get(timeout=0.2)
            except queue.Empty:
                continue
            if run_id == self.run_id:
                done += n_frames
                self._check(stage, done)
        return [f.result() for f in self.futures]

"""The patient pass's rows of one segment job, held a chunk at a time and written to files as they
become final, so that a worker's memory does not grow with the segment's length (an hour's rows
are 6.5 kB each, 36 000 of them at 10 fps; held and then pickled back whole, they cost a worker
twice that at the end of its segment).

A row is final once the body fields of the skipped frames before it can be filled (the next
measured row has come: `fill_skipped` uses the measured rows on either side only) and its
expression crop has been classified. Rows are therefore written right after an expression batch
(or when CHUNK_ROWS rows are held, the queued crops then classified early) up to the last measured
row, which is kept as the first row of the next chunk: the filled values are those of the whole
segment filled at once, and the batches are those of a run that holds every row.

Chunk files are uncompressed NumPy archives (`np.savez`) in a folder the orchestrating process
made for the run; it reads them back in order (analysis/assembly.py) and deletes the folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from analysis.sampling import MAX_SKIPPED_TICKS, fill_skipped
from analysis.segment_jobs import BODY_FIELDS, PATIENT_FIELDS
from analysis.tracks import N_FACE_LANDMARKS, Tracks

# Rows held at most by a segment job (6.5 kB each: 6.7 MB). A chunk is written at every
# expression batch (256 face crops) before this is reached, unless faces are rare.
CHUNK_ROWS = 1024


class SegmentRows:
    """The rows of one segment job: `out` holds them from segment row `first` on, `row()` adds
    one and returns its index in `out`.

    Parameters
    ----------
    folder : where the chunk files go (made if missing).
    times_s : the segment's analysed frame times (fill_skipped interpolates in time).
    capacity : rows held at most (None: CHUNK_ROWS).
    """

    def __init__(self, folder: Path, times_s: np.ndarray, capacity: int | None = None) -> None:
        capacity = CHUNK_ROWS if capacity is None else capacity
        if capacity < MAX_SKIPPED_TICKS + 2:
            # A chunk is written up to its last measured row: it must hold one after its first.
            raise ValueError(
                f"A segment job must hold at least {MAX_SKIPPED_TICKS + 2} rows (a still body is "
                f"measured every {MAX_SKIPPED_TICKS + 1} rows), not {capacity}."
            )
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.times_s = times_s
        self.out = Tracks.empty(capacity)
        self.measured = np.zeros(capacity, dtype=bool)
        self.first = 0
        self.held = 0
        self.paths: list[str] = []
        self.others_rows: list[tuple[int, int]] = []
        self.others_xy: list[np.ndarray] = []
        self.others_head: list[np.ndarray] = []

    @property
    def full(self) -> bool:
        return self.held == len(self.measured)

    def row(self, measured: bool) -> int:
        """Add the next row of the segment (measured: whether the body models look at it)."""
        index = self.held
        self.measured[index] = measured
        self.held += 1
        return index

    def other_face(self, row: int, person: int, face_xy: np.ndarray, head_pose_deg: np.ndarray) -> None:
        """Another person's face mesh at row (index in `out`) of the job's person `person`."""
        self.others_rows.append((self.first + row, person))
        self.others_xy.append(face_xy)
        self.others_head.append(head_pose_deg)

    def write(self, *, last: bool) -> None:
        """Fill the skipped rows' body fields and write the final rows; the expression queue must
        be empty. Not last: up to the last measured row, which stays held with the rows after it."""
        held = slice(0, self.held)
        measured = np.flatnonzero(self.measured[held])
        keep_from = self.held if last else int(measured[-1])
        end = keep_from if last else keep_from + 1
        times_s = self.times_s[self.first : self.first + end]
        for name in BODY_FIELDS:
            fill_skipped(getattr(self.out, name)[:end], times_s, self.measured[:end])
        if keep_from > 0:
            self._save(keep_from)
        kept = self.held - keep_from
        for name in PATIENT_FIELDS:
            values = getattr(self.out, name)
            values[:kept] = values[keep_from : self.held]
            values[kept:] = np.nan
        self.measured[:kept] = self.measured[keep_from : self.held]
        self.measured[kept:] = False
        self.first += keep_from
        self.held = kept

    def _save(self, rows: int) -> None:
        path = self.folder / f"chunk-{len(self.paths):05d}.npz"
        np.savez(
            path,
            first_row=np.int64(self.first),
            measured=self.measured[:rows],
            others_rows=np.asarray(self.others_rows, dtype=np.int64).reshape(-1, 2),
            others_face_xy=np.asarray(self.others_xy, dtype=np.float32).reshape(-1, N_FACE_LANDMARKS, 2),
            others_head_pose_deg=np.asarray(self.others_head, dtype=np.float32).reshape(-1, 3),
            **{name: getattr(self.out, name)[:rows] for name in PATIENT_FIELDS},
        )
        self.paths.append(str(path))
        self.others_rows, self.others_xy, self.others_head = [], [], []

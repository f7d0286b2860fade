"""Memory-mapped float32 vectors, one row per chunk slot, searched as one matrix product."""

from __future__ import annotations

from pathlib import Path

import numpy as np

_MIN_ROWS = 1024


class VectorFile:
    """A growable (rows x dim) float32 matrix in a file; rows are addressed by slot (chunk rowid - 1)."""

    def __init__(self, path: Path, *, dim: int) -> None:
        self.path = path
        self.dim = dim
        self._map: np.memmap | None = None
        self.capacity = 0
        if path.exists() and path.stat().st_size >= dim * 4:
            self._remap(path.stat().st_size // (dim * 4))

    def _remap(self, rows: int) -> None:
        if self._map is not None:
            self._map.flush()
            self._map = None
        size = rows * self.dim * 4
        with open(self.path, "ab") as handle:
            if handle.tell() < size:
                handle.truncate(size)
        self._map = np.memmap(self.path, dtype=np.float32, mode="r+", shape=(rows, self.dim))
        self.capacity = rows

    def put(self, slots: np.ndarray, vectors: np.ndarray) -> None:
        """Write rows (growing the file by doubling when needed)."""
        if len(slots) == 0:
            return
        need = int(slots.max()) + 1
        if need > self.capacity:
            self._remap(max(_MIN_ROWS, need, self.capacity * 2))
        assert self._map is not None
        self._map[slots] = vectors
        self._map.flush()

    def scores(self, query: np.ndarray, rows: int) -> np.ndarray:
        """Dot products of the first `rows` rows with query (cosine, as rows and query are unit length)."""
        if self._map is None or rows == 0:
            return np.zeros(0, dtype=np.float32)
        matrix = self._map[: min(rows, self.capacity)]
        out = np.asarray(matrix @ query.astype(np.float32))
        if len(out) < rows:
            out = np.concatenate([out, np.zeros(rows - len(out), dtype=np.float32)])
        return out

    def size_bytes(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0

    def close(self) -> None:
        if self._map is not None:
            self._map.flush()
            self._map = None

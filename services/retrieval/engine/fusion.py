"""Hybrid fusion, the same for both engines: per-mode min-max normalisation and a weighted sum, or RRF."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

RRF_K = 60


@dataclass(frozen=True)
class Fused:
    key: Hashable
    score: float
    accurate: float
    semantic: float


def minmax(hits: Sequence[tuple[Hashable, float]]) -> dict[Hashable, float]:
    """Scores mapped onto [0, 1] over the candidate list (all equal -> 1.0)."""
    if not hits:
        return {}
    values = [score for _, score in hits]
    low, high = min(values), max(values)
    span = high - low
    return {key: (score - low) / span if span > 0 else 1.0 for key, score in hits}


def _ordered(items: list[Fused]) -> list[Fused]:
    return sorted(items, key=lambda f: (-f.score, str(f.key)))


def fuse_weighted(
    lexical: Sequence[tuple[Hashable, float]], semantic: Sequence[tuple[Hashable, float]], *, weight_accurate: float
) -> list[Fused]:
    """weight_accurate * normalised BM25 + (1 - weight_accurate) * normalised similarity; missing side = 0."""
    a, s = minmax(lexical), minmax(semantic)
    keys = list(dict.fromkeys([*a, *s]))
    return _ordered(
        [
            Fused(
                k, weight_accurate * a.get(k, 0.0) + (1 - weight_accurate) * s.get(k, 0.0), a.get(k, 0.0), s.get(k, 0.0)
            )
            for k in keys
        ]
    )


def fuse_rrf(
    lexical: Sequence[tuple[Hashable, float]], semantic: Sequence[tuple[Hashable, float]], *, k: int = RRF_K
) -> list[Fused]:
    """Reciprocal rank fusion: sum of 1 / (k + rank) over the two rankings (rank from 1)."""
    a = {key: 1.0 / (k + rank) for rank, (key, _) in enumerate(lexical, start=1)}
    s = {key: 1.0 / (k + rank) for rank, (key, _) in enumerate(semantic, start=1)}
    keys = list(dict.fromkeys([*a, *s]))
    return _ordered([Fused(key, a.get(key, 0.0) + s.get(key, 0.0), a.get(key, 0.0), s.get(key, 0.0)) for key in keys])

"""Lucene's BM25 as Elasticsearch computes it, including the one-byte document-length norms (SmallFloat)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from services.retrieval.engine.base import BM25_B, BM25_K1


def _long_to_int4(i: int) -> int:
    bits = i.bit_length()
    if bits < 4:
        return i
    shift = bits - 4
    encoded = (i >> shift) & 0x07
    return encoded | ((shift + 1) << 3)


def _int4_to_long(i: int) -> int:
    bits = i & 0x07
    shift = (i >> 3) - 1
    return bits if shift == -1 else (bits | 0x08) << shift


_MAX_INT4 = _long_to_int4(2**31 - 1)
_FREE = 255 - _MAX_INT4


def encode_length(length: int) -> int:
    """SmallFloat.intToByte4: lengths below 24 are exact, longer ones lose precision."""
    return length if length < _FREE else _FREE + _long_to_int4(length - _FREE)


def decode_length(byte: int) -> int:
    """SmallFloat.byte4ToInt."""
    return byte if byte < _FREE else _FREE + _int4_to_long(byte - _FREE)


LENGTH_TABLE = np.array([decode_length(i) for i in range(256)], dtype=np.float32)


def quantized_length(length: int) -> int:
    """The document length Lucene scores with."""
    return int(LENGTH_TABLE[encode_length(length)])


def idf(*, doc_count: int, doc_freq: int) -> float:
    """Lucene BM25 idf: ln(1 + (N - n + 0.5) / (n + 0.5))."""
    return math.log(1.0 + (doc_count - doc_freq + 0.5) / (doc_freq + 0.5))


def score(
    *, term_freqs: Mapping[str, int], length: int, doc_freqs: Mapping[str, int], doc_count: int, avgdl: float
) -> float:
    """The BM25 score of one document for the query terms in doc_freqs (float32 arithmetic, as Lucene)."""
    norm = np.float32(1.0) / (
        np.float32(BM25_K1)
        * (np.float32(1 - BM25_B) + np.float32(BM25_B) * LENGTH_TABLE[encode_length(length)] / np.float32(avgdl))
    )
    total = np.float32(0.0)
    for term, df in doc_freqs.items():
        freq = term_freqs.get(term, 0)
        if not freq or not df:
            continue
        weight = np.float32(idf(doc_count=doc_count, doc_freq=df))
        total += weight - weight / (np.float32(1.0) + np.float32(freq) * norm)
    return float(total)

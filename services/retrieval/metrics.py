"""Retrieval metrics: search latency by mode, and ingestion throughput (documents, chunks and characters indexed)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

SEARCH_SECONDS = Histogram(
    "mesh_retrieval_search_seconds",
    "Time to answer one search, query embedding included, by mode (accurate, semantic, hybrid)",
    ["mode"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DOCUMENTS_INDEXED = Counter("mesh_retrieval_indexed_documents_total", "Documents (sources) indexed")
CHUNKS_INDEXED = Counter("mesh_retrieval_indexed_chunks_total", "Chunks tokenized, embedded and written")
CHARACTERS_INDEXED = Counter("mesh_retrieval_indexed_characters_total", "Characters of chunk text written")
INDEX_SECONDS = Histogram(
    "mesh_retrieval_index_document_seconds",
    "Time to index one document: split, tokenize, embed, write",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)

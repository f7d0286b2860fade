"""An app whose model config names a dataset answers with retrieved context and returns its sources."""

from __future__ import annotations

from services.kit.testing.openai_upstream import Script, ScriptedUpstream
from tests.e2e.chat.helpers import bearer, create_app, new_tenant, sse_events
from tests.e2e.conftest import MeshClient


def _dataset(index: str) -> dict[str, object]:
    return {
        "retrieval_model": "multiple",
        "top_k": 2,
        "datasets": {"datasets": [{"dataset": {"enabled": True, "id": index}}]},
    }


def test_dataset_chunks_reach_the_prompt_and_the_sources(mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    token = new_tenant(mesh, "dify-rag")
    headers = bearer(token)
    assert mesh.http.post("/api/indices/rag-kb", headers=headers).status_code == 200
    indexed = mesh.http.post(
        "/api/indices/rag-kb/documents",
        headers=headers,
        json={
            "results": [
                {
                    "metadata": {"filename": "axolotl.txt", "title": "Axolotls"},
                    "source": "axolotl.txt",
                    "text": "Axolotls can regrow their limbs, spinal cord and parts of the heart.",
                    "source_type": "file",
                },
                {
                    "metadata": {"filename": "tea.txt", "title": "Tea"},
                    "source": "tea.txt",
                    "text": "Oolong tea is partially oxidised.",
                    "source_type": "file",
                },
            ]
        },
    )
    assert indexed.status_code == 200 and indexed.json()["total_indexed"] == 2
    app_id = create_app(mesh, token, pre_prompt="Answer briefly.", dataset_configs=_dataset("rag-kb"))

    scripted.push(Script(chunks=["They regrow limbs."]))
    with mesh.http.stream(
        "POST",
        f"/console/api/apps/{app_id}/chat-messages",
        json={"query": "What can axolotls regrow?"},
        headers=headers,
    ) as response:
        events = [e for e in sse_events(response) if isinstance(e, dict)]
    end = events[-1]
    assert end["event"] == "message_end"
    sources = end["metadata"]["retriever_resources"]
    assert sources and sources[0]["document_name"] == "axolotl.txt" and sources[0]["dataset_id"] == "rag-kb"
    assert "regrow their limbs" in sources[0]["content"] and sources[0]["position"] == 1
    system = scripted.chat_requests()[-1].body["messages"][0]
    assert system["role"] == "system" and "Answer briefly." in system["content"]
    assert "Axolotls can regrow their limbs" in system["content"]

    stored = mesh.http.get(f"/console/api/apps/{app_id}/messages/{end['message_id']}", headers=headers).json()
    assert stored["metadata"]["retriever_resources"][0]["document_name"] == "axolotl.txt"

    intruder = new_tenant(mesh, "dify-rag-intruder")
    foreign_app = create_app(mesh, intruder, dataset_configs=_dataset("rag-kb"))
    scripted.push(Script(chunks=["No idea."]))
    reply = mesh.http.post(
        f"/console/api/apps/{foreign_app}/chat-messages",
        json={"query": "What can axolotls regrow?", "response_mode": "blocking"},
        headers=bearer(intruder),
    )
    assert reply.status_code == 200 and reply.json()["metadata"]["retriever_resources"] == []
    assert "Axolotls" not in str(scripted.chat_requests()[-1].body["messages"])

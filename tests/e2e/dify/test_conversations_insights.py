"""Dify console suggested questions, annotations and the seven statistics routes through the gateway."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from services.kit.testing.openai_upstream import Script, ScriptedUpstream
from tests.e2e.chat.helpers import bearer, create_app, new_tenant
from tests.e2e.conftest import MeshClient
from tests.e2e.dify.test_conversations import send

STATISTICS = (
    "daily-conversations",
    "daily-end-users",
    "token-costs",
    "average-session-interactions",
    "user-satisfaction-rate",
    "average-response-time",
    "tokens-per-second",
)


def test_suggested_questions_follow_the_app_setting(mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    token = new_tenant(mesh, "suggest")
    app_id = create_app(mesh, token, suggested_questions_after_answer={"enabled": True})
    run = send(mesh, token, app_id, "What is NATS?", "A messaging system.", scripted)
    url = f"/console/api/apps/{app_id}/chat-messages/{run['message_id']}/suggested-questions"
    scripted.push(Script(chunks=['["How fast is it?", "Is it durable?", "Who made it?"]']))
    reply = mesh.http.get(url, headers=bearer(token))
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"data": ["How fast is it?", "Is it durable?", "Who made it?"]}
    prompt = scripted.chat_requests()[-1].body["messages"][-1]["content"]
    assert "Human: What is NATS?\nAssistant: A messaging system." in prompt

    model = {"provider": "openai_api_compatible", "name": "mesh-e2e-model", "mode": "chat", "completion_params": {}}
    config = {"suggested_questions_after_answer": {"enabled": False}, "model": model}
    saved = mesh.http.post(f"/console/api/apps/{app_id}/model-config", json=config, headers=bearer(token))
    assert saved.status_code == 200, saved.text
    calls = len(scripted.chat_requests())
    deadline = datetime.now(UTC) + timedelta(seconds=10)
    while True:  # the chat service drops its cached app config when apps announces the change
        off = mesh.http.get(url, headers=bearer(token))
        if off.status_code != 200 or datetime.now(UTC) > deadline:
            break
        calls = len(scripted.chat_requests())
    assert off.status_code == 400, off.text
    assert off.json()["code"] == "app_suggested_questions_after_answer_disabled"
    assert len(scripted.chat_requests()) == calls
    other = new_tenant(mesh, "suggest-other")
    assert mesh.http.get(url, headers=bearer(other)).status_code == 404


def test_annotations_are_created_attached_and_counted(mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    token = new_tenant(mesh, "annotate")
    app_id = create_app(mesh, token)
    base = f"/console/api/apps/{app_id}"
    run = send(mesh, token, app_id, "How are you?", "fine", scripted)
    assert mesh.http.get(f"{base}/annotations/count", headers=bearer(token)).json() == {"count": 0}
    made = mesh.http.post(
        f"{base}/annotations",
        json={"message_id": run["message_id"], "question": "query:How are you?", "answer": "some answer messages"},
        headers=bearer(token),
    )
    assert made.status_code == 200, made.text
    annotation = made.json()
    assert set(annotation) == {"id", "question", "answer", "hit_count", "created_at"}
    assert (annotation["question"], annotation["answer"], annotation["hit_count"]) == (
        "query:How are you?",
        "some answer messages",
        0,
    )
    free = mesh.http.post(f"{base}/annotations", json={"question": "Q?", "answer": "A."}, headers=bearer(token))
    assert free.status_code == 200 and free.json()["id"] != annotation["id"]
    assert mesh.http.get(f"{base}/annotations/count", headers=bearer(token)).json() == {"count": 2}
    message = mesh.http.get(f"{base}/messages/{run['message_id']}", headers=bearer(token)).json()
    assert message["annotation"]["id"] == annotation["id"]
    assert message["annotation"]["content"] == "some answer messages"
    (item,) = mesh.http.get(f"{base}/chat-conversations", headers=bearer(token)).json()["data"]
    assert item["annotated"] is True

    missing = mesh.http.post(f"{base}/annotations", json={"question": "Q?"}, headers=bearer(token))
    assert missing.status_code == 400 and missing.json()["params"] == "answer"
    no_question = mesh.http.post(f"{base}/annotations", json={"answer": "A."}, headers=bearer(token))
    assert no_question.status_code == 400 and no_question.json()["params"] == "question"
    other = new_tenant(mesh, "annotate-other")
    assert mesh.http.get(f"{base}/annotations/count", headers=bearer(other)).status_code == 404
    foreign = mesh.http.post(f"{base}/annotations", json={"question": "x", "answer": "y"}, headers=bearer(other))
    assert foreign.status_code == 404 and foreign.json()["code"] == "app_not_found"


def test_statistics_are_computed_from_the_stored_messages(mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    token = new_tenant(mesh, "stats")
    app_id = create_app(mesh, token)
    base = f"/console/api/apps/{app_id}"
    first = send(mesh, token, app_id, "one", "a b", scripted)
    second = send(mesh, token, app_id, "two", "c", scripted, conversation_id=first["conversation_id"])
    third = send(mesh, token, app_id, "three", "d", scripted)
    mesh.http.post(
        f"{base}/feedbacks", json={"message_id": second["message_id"], "rating": "like"}, headers=bearer(token)
    )
    runs = [first, second, third]
    days: dict[str, list[dict[str, object]]] = defaultdict(list)
    for run in runs:  # MESH_TIMEZONE is UTC in the e2e mesh
        days[datetime.fromtimestamp(int(str(run["created_at"])), UTC).strftime("%Y-%m-%d")].append(run)
    now = datetime.now(UTC)
    window = {key: (now + timedelta(days=d)).strftime("%Y-%m-%d %H:%M") for key, d in (("start", -1), ("end", 1))}

    results = {}
    for name in STATISTICS:
        reply = mesh.http.get(f"{base}/statistics/{name}", params=window, headers=bearer(token))
        assert reply.status_code == 200, (name, reply.text)
        results[name] = reply.json()["data"]
        assert [row["date"] for row in results[name]] == sorted(days), name
    if len(days) == 1:  # the exact values, unless the test straddled midnight
        (date,) = days
        assert results["daily-conversations"] == [{"date": date, "conversation_count": 2}]
        assert results["daily-end-users"] == [{"date": date, "terminal_count": 1}]
        tokens = sum(int(str(r["metadata"]["usage"]["total_tokens"])) for r in runs)  # type: ignore[index]
        assert results["token-costs"] == [{"date": date, "token_count": tokens, "total_price": "0", "currency": "USD"}]
        assert results["average-session-interactions"] == [{"date": date, "interactions": 1.5}]
        assert results["user-satisfaction-rate"] == [{"date": date, "rate": 333.33}]
    assert all(set(row) == {"date", "latency"} and row["latency"] > 0 for row in results["average-response-time"])
    assert all(set(row) == {"date", "tps"} and row["tps"] > 0 for row in results["tokens-per-second"])

    past = {"start": "2020-01-01 00:00", "end": "2020-01-02 00:00"}
    empty = mesh.http.get(f"{base}/statistics/daily-conversations", params=past, headers=bearer(token))
    assert empty.status_code == 200 and empty.json() == {"data": []}
    for params, field in (
        ({"start": "2024-13-01 00:00"}, "start"),
        ({"end": "yesterday"}, "end"),
        ({"start": "2024-05-02 00:00", "end": "2024-05-01 00:00"}, "start"),
    ):
        bad = mesh.http.get(f"{base}/statistics/token-costs", params=params, headers=bearer(token))
        assert bad.status_code == 400 and bad.json()["params"] == field, bad.text
    other = new_tenant(mesh, "stats-other")
    assert mesh.http.get(f"{base}/statistics/daily-end-users", headers=bearer(other)).status_code == 404

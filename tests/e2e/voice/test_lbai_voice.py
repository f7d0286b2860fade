"""lbai voice through the launcher: /tts polled to an .mp3, voice questions answered, addVoice transcribed."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from services.kit.testing.openai_upstream import Script, ScriptedUpstream
from tests.e2e.chat.helpers import bearer, new_tenant
from tests.e2e.conftest import MeshClient
from tests.e2e.voice.helpers import Speech, eventually, mp3_seconds, speak, words

pytestmark = pytest.mark.e2e
API = "/ai-api/v1"
QUESTION = "What is the weather like in Paris today?"


def ok(reply: httpx.Response) -> Any:
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert (body["errorCode"], body["success"], body["message"]) == (0, True, "成功"), body
    return body["data"]


def fetch(mesh: MeshClient, url: str) -> httpx.Response:
    """A presigned URL, fetched as any client would (no Authorization)."""
    return httpx.get(url, timeout=30.0) if url.startswith("http") else mesh.http.get(url)


@pytest.fixture(scope="module")
def user(mesh: MeshClient) -> str:
    return new_tenant(mesh, "lbai-voice")


@pytest.fixture(scope="module")
def question(mesh: MeshClient, user: str) -> Speech:
    return asyncio.run(speak(mesh, user, QUESTION))


def add_voice(mesh: MeshClient, token: str, speech: Speech, voice_type: int) -> dict[str, str]:
    reply = mesh.http.post(
        f"{API}/trainingSpace/addVoice",
        headers=bearer(token),
        files={"multipartFile": ("question.wav", speech.wav(), "audio/wav")},
        data={"voiceType": str(voice_type)},
    )
    return dict(ok(reply))


def test_tts_is_polled_until_its_mp3_is_ready(mesh: MeshClient, user: str) -> None:
    message = "Hello from lbai. This sentence becomes an MP3 file."

    def ask(token: str = user) -> str:
        return str(ok(mesh.http.post(f"{API}/tts", json={"message": message}, headers=bearer(token)))["url"])

    assert ask() == ""  # the first call creates the job
    url = eventually(lambda: ask() or None, timeout_s=180)
    audio = fetch(mesh, url)
    # An ID3 tag or an MPEG audio frame sync.
    assert audio.status_code == 200 and (audio.content[:3] == b"ID3" or audio.content[:2] in (b"\xff\xfb", b"\xff\xf3"))
    assert mp3_seconds(audio.content) > 1.5
    assert ask() != ""  # answered from the stored result at once
    assert ask(new_tenant(mesh, "lbai-voice-other")) == ""  # another user's request is their own job
    for bad in ({"message": ""}, {"message": "   "}, {}):
        refused = mesh.http.post(f"{API}/tts", json=bad, headers=bearer(user))
        assert refused.status_code == 400 and refused.json()["success"] is False
        assert "message" in refused.json()["message"]


def test_a_voice_question_is_transcribed_answered_and_kept_in_the_history(
    mesh: MeshClient, user: str, question: Speech, scripted: ScriptedUpstream
) -> None:
    stored = add_voice(mesh, user, question, voice_type=1)
    sessions = ok(mesh.http.get(f"{API}/chat/list", params={"session_type": 1}, headers=bearer(user)))
    session_id = str(sessions[0]["session_id"])
    scripted.push(Script(chunks=["It is sunny ", "in Paris."]))
    asked = {"session_id": session_id, "user_question": {"type": 1, "content": stored["fileId"]}}
    reply = ok(mesh.http.post(f"{API}/chat/completions", json=asked, headers=bearer(user)))
    assert reply["message"]["text"] == "It is sunny in Paris."
    prompt = scripted.chat_requests()[-1].body["messages"][-1]["content"]
    assert {"weather", "today"} <= words(prompt), prompt
    history = ok(mesh.http.get(f"{API}/chat/msgList", params={"session_id": session_id}, headers=bearer(user)))
    human = next(i for i in history["items"] if i["user_type"] == "human")
    assert {"weather", "today"} <= words(human["message"]["text"]), human
    assert [(f["file_id"], f["file_type"]) for f in human["message"]["file_attachs"]] == [(stored["fileId"], 3)]


def test_voice_questions_about_files_that_are_not_the_users_voice_are_refused(
    mesh: MeshClient, user: str, question: Speech
) -> None:
    sessions = ok(mesh.http.get(f"{API}/chat/list", params={"session_type": 1}, headers=bearer(user)))
    session_id = str(sessions[0]["session_id"])
    stranger = new_tenant(mesh, "lbai-voice-stranger")
    theirs = add_voice(mesh, stranger, question, voice_type=1)
    document = ok(
        mesh.http.post(
            f"{API}/trainingSpace/addFileOrImg",
            headers=bearer(user),
            files={"multipartFile": ("notes.txt", b"plain notes, not audio", "text/plain")},
            data={"auto_cloud_training": "1"},
        )
    )
    for file_id, status in ((theirs["fileId"], 404), ("12345", 404), (document["fileId"], 400)):
        asked = {"session_id": session_id, "user_question": {"type": 1, "content": file_id}}
        refused = mesh.http.post(f"{API}/chat/completions", json=asked, headers=bearer(user))
        assert refused.status_code == status, refused.text
        body = refused.json()
        assert body["success"] is False and body["errorCode"] == status and body["message"]


def test_add_voice_with_voice_type_2_ends_with_a_transcript(mesh: MeshClient, user: str, question: Speech) -> None:
    parsed = add_voice(mesh, user, question, voice_type=2)
    kept = add_voice(mesh, user, question, voice_type=1)

    def info(file_id: str, token: str = user) -> httpx.Response:
        return mesh.http.get(f"{API}/trainingSpace/voiceInfo", params={"fileId": file_id}, headers=bearer(token))

    def finished() -> dict[str, Any] | None:
        data: dict[str, Any] = ok(info(parsed["fileId"]))
        return data if data["parseStatus"] in (2, 3) else None

    done = eventually(finished)
    assert done["parseStatus"] == 2, done
    assert {"weather", "today"} <= words(done["text"]) and done["durationMs"] > 1000
    assert done["fileId"] == parsed["fileId"] and done["format"] == "wav" and done["errorMessage"] is None
    assert fetch(mesh, done["fileUrl"]).content == question.wav()
    untouched = ok(info(kept["fileId"]))
    assert (untouched["parseStatus"], untouched["text"]) == (0, None)
    assert info(parsed["fileId"], new_tenant(mesh, "lbai-voice-peek")).status_code == 404


def test_audio_uploaded_into_an_index_is_searchable_by_its_transcript(
    mesh: MeshClient, user: str, question: Speech
) -> None:
    # Nexent's upload names no kind: the audio becomes a voice object, transcribed first, then indexed.
    assert mesh.http.post("/api/indices/voice-kb", headers=bearer(user)).status_code == 200
    upload = mesh.http.post(
        "/api/file/upload",
        headers=bearer(user),
        data={"index_name": "voice-kb"},
        files=[("file", ("question.wav", question.wav(), "audio/wav"))],
    )
    assert upload.status_code == 200, upload.text

    def found() -> dict[str, Any] | None:
        query = {"query": "weather today", "index_names": ["voice-kb"], "top_k": 3}
        reply = mesh.http.post("/api/indices/search/accurate", headers=bearer(user), json=query)
        assert reply.status_code == 200, reply.text
        results: list[dict[str, Any]] = reply.json()["results"]
        return results[0] if results else None

    hit = eventually(found)
    assert hit["filename"] == "question.wav" and {"weather", "today"} <= words(hit["content"]), hit

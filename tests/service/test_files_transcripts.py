"""SetTranscript: transcripts stored with voice objects, tenancy, the caller rule, and ingestion held for them."""

from __future__ import annotations

import io
import wave
from typing import Any

import grpc
import lameenc
import orjson
import pytest
from meshconsole.files.v1 import files_pb2

from services.kit.context import Principal
from services.kit.errors import from_rpc_error
from services.kit.mesh_tokens import CREDENTIAL_KEY, PEERS, SERVICE, CredentialSigner, MeshKeys, encode_principal
from services.kit.testing.credentials import TEST_SECRET, credential_metadata
from tests.service.files_support import ALICE, BOB, CAROL, FilesEnv, files_fixture, md, put  # noqa: F401

WAV = b"RIFF" + (36).to_bytes(4, "little") + b"WAVEfmt " + b"\x10\x00\x00\x00\x01\x00\x01\x00" + b"\x00" * 40
INGEST = "mesh.tasks.retrieval.ingest"
TRANSCRIBE = "mesh.tasks.voice.transcribe"


async def _voice(files: FilesEnv, **header: Any) -> files_pb2.ObjectInfo:
    return await put(files, ALICE, WAV, name="memo.wav", kind=files_pb2.OBJECT_KIND_VOICE, **header)


async def _set(
    files: FilesEnv, object_id: str, principal: Principal = ALICE, metadata: Any = None, **fields: Any
) -> files_pb2.ObjectInfo:
    request = files_pb2.SetTranscriptRequest(object_id=object_id, **fields)
    reply: files_pb2.ObjectInfo = await files.stub.SetTranscript(request, metadata=metadata or md(principal))
    return reply


async def _refused(awaitable: Any) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await awaitable
    return caught.value.code(), from_rpc_error(caught.value).reason


async def _extract(files: FilesEnv, object_id: str) -> tuple[str, list[str]]:
    """The text ExtractText yields for one object, and the reasons of its error events."""
    text, errors = [], []
    request = files_pb2.ExtractTextRequest(object_ids=[object_id])
    async for event in files.stub.ExtractText(request, metadata=md(ALICE)):
        if event.WhichOneof("event") == "text":
            text.append(event.text.text)
        elif event.WhichOneof("event") == "error":
            errors.append(event.error.reason)
    return "".join(text), errors


async def _tasks(files: FilesEnv, subject: str) -> list[dict[str, Any]]:
    info = await files.js.stream_info("MESH_TASKS", subjects_filter=subject)
    count = (info.state.subjects or {}).get(subject, 0)
    if not count:
        return []
    found = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        msg = await files.js.get_msg("MESH_TASKS", seq)
        if msg.subject == subject:
            found.append(orjson.loads(msg.data or b""))
    return found


async def _ingests(files: FilesEnv) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Runnable ingestion tasks, and announcements of ones that wait for a transcript."""
    tasks = await _tasks(files, INGEST)
    return [t for t in tasks if "awaiting" not in t], [t for t in tasks if "awaiting" in t]


async def test_a_transcript_is_stored_once_and_becomes_the_objects_text(files: FilesEnv) -> None:
    voice = await _voice(files, transcribe=True)
    assert voice.transcript_status == "queued" and voice.parse_status == "none"
    assert (await _extract(files, voice.id)) == ("", ["transcript_pending"])
    stored = await _set(files, voice.id, text="你好, hello world", language="zh", duration_ms=1830)
    assert (stored.transcript_status, stored.duration_ms, stored.transcript_error) == ("done", 1830, "")
    assert (await _extract(files, voice.id)) == ("你好, hello world", [])
    # Idempotent per object: a redelivered task (or a second engine's opinion) changes nothing.
    again = await _set(files, voice.id, text="something else", duration_ms=5)
    assert (again.transcript_status, again.duration_ms) == ("done", 1830)
    assert (await _extract(files, voice.id))[0] == "你好, hello world"
    listed = await files.stub.ListObjects(files_pb2.ListObjectsRequest(), metadata=md(ALICE))
    [row] = [o for o in listed.objects if o.id == voice.id]
    assert (row.transcript_status, row.duration_ms) == ("done", 1830)


async def test_silence_is_an_empty_transcript_not_an_error(files: FilesEnv) -> None:
    voice = await _voice(files, transcribe=True)
    assert (await _set(files, voice.id, text="")).transcript_status == "done"
    assert await _extract(files, voice.id) == ("", [])


async def test_other_tenants_and_non_voice_objects_are_refused(files: FilesEnv) -> None:
    voice = await _voice(files, transcribe=True)
    for who in (BOB, CAROL):  # another company, and a colleague: neither owns it
        assert await _refused(_set(files, voice.id, who, text="mine now")) == (
            grpc.StatusCode.NOT_FOUND,
            "file_not_found",
        )
    for missing in ("999", "not-an-id", ""):
        assert (await _refused(_set(files, missing, text="x")))[0] == grpc.StatusCode.NOT_FOUND
    document = await put(files, ALICE, b"plain text", name="notes.txt")
    assert await _refused(_set(files, document.id, text="x")) == (grpc.StatusCode.INVALID_ARGUMENT, "not_voice")
    assert (await _refused(_set(files, voice.id, text="x", duration_ms=-1)))[0] == grpc.StatusCode.INVALID_ARGUMENT
    assert (await _extract(files, voice.id)) == ("", ["transcript_pending"])


async def test_only_the_voice_service_stores_transcripts(files: FilesEnv) -> None:
    voice = await _voice(files, transcribe=True)
    # A gateway credential meant for files alone (no voice in its audience) is not the voice service.
    files_only = credential_metadata(ALICE, audience=("files",))
    code, reason = await _refused(_set(files, voice.id, metadata=files_only, text="x"))
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "voice_only")
    keys = MeshKeys.derive(TEST_SECRET)
    assert keys.service_private is not None
    retrieval = CredentialSigner(keys.service_private, kind=SERVICE, subject="retrieval")
    as_retrieval = ((CREDENTIAL_KEY, retrieval.sign(encode_principal(ALICE), ("files",))),)
    assert (await _refused(_set(files, voice.id, metadata=as_retrieval, text="x")))[0] in (
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.UNAUTHENTICATED,
    )
    if "files" not in PEERS.get("voice", ()):
        pytest.skip("kit.mesh_tokens.PEERS does not let voice call files yet")
    # The voice service's own credential, acting for the owner.
    voice_signer = CredentialSigner(keys.service_private, kind=SERVICE, subject="voice")
    as_voice = ((CREDENTIAL_KEY, voice_signer.sign(encode_principal(ALICE), ("files",))),)
    assert (await _set(files, voice.id, metadata=as_voice, text="from voice")).transcript_status == "done"


async def test_an_ingest_intent_waits_for_the_transcript(files: FilesEnv) -> None:
    intent = files_pb2.IngestIntent(index_name="minutes", chunking_strategy="by_title")
    voice = await _voice(files, transcribe=True, ingest=intent)
    assert (voice.parse_status, voice.transcript_status) == ("transcribing", "queued")
    runnable, [announced] = await _ingests(files)
    # Announced at once under the task id the caller got, so retrieval can answer for it while it waits.
    assert runnable == [] and (announced["task_id"], announced["awaiting"]) == (voice.ingest_task_id, "transcript")
    [transcribe] = await _tasks(files, TRANSCRIBE)
    assert transcribe["file_id"] == voice.id and transcribe["task_id"] == voice.transcribe_task_id

    stored = await _set(files, voice.id, text="the quarterly numbers", duration_ms=900)
    assert stored.parse_status == "queued"
    assert (await _ingests(files))[0] == [
        {
            "task_id": voice.ingest_task_id,
            "file_id": voice.id,
            "index_name": "minutes",
            "chunking_strategy": "by_title",
            "user_id": ALICE.user_id,
            "company_id": ALICE.company_id,
            "source": "file",
        }
    ]
    await _set(files, voice.id, text="the quarterly numbers", duration_ms=900)
    assert len((await _ingests(files))[0]) == 1


async def test_audio_uploaded_for_ingestion_is_transcribed_first(files: FilesEnv) -> None:
    # No kind given (a NextConsole or Nexent upload): audio bytes make a voice object, transcribed before indexing.
    info = await put(files, ALICE, WAV, name="talk.wav", ingest=files_pb2.IngestIntent())
    assert info.kind == files_pb2.OBJECT_KIND_VOICE and info.format == "wav"
    assert (info.transcript_status, info.parse_status) == ("queued", "transcribing")
    assert (await _ingests(files))[0] == [] and len(await _tasks(files, TRANSCRIBE)) == 1
    plain = await put(files, ALICE, WAV, name="keep.wav")
    assert (plain.kind, plain.transcript_status, plain.parse_status) == (files_pb2.OBJECT_KIND_VOICE, "none", "none")
    assert (await _extract(files, plain.id)) == ("", ["not_transcribed"])


async def test_a_failed_transcription_fails_its_ingestion_and_a_later_success_reindexes(files: FilesEnv) -> None:
    voice = await _voice(files, transcribe=True, ingest=files_pb2.IngestIntent())
    failed = await _set(files, voice.id, text="ignored", error="the audio could not be decoded")
    assert (failed.transcript_status, failed.transcript_error) == ("failed", "the audio could not be decoded")
    assert failed.parse_status == "queued"
    # Retrieval gets the task and, extracting, the reason: the task ends FAILED, nothing empty is indexed.
    assert (await _extract(files, voice.id)) == ("", ["transcription_failed"])
    [first] = (await _ingests(files))[0]
    assert first["task_id"] == voice.ingest_task_id
    recovered = await _set(files, voice.id, text="heard on retry", duration_ms=400)
    assert recovered.transcript_status == "done" and recovered.ingest_task_id != voice.ingest_task_id
    tasks = (await _ingests(files))[0]
    assert [t["task_id"] for t in tasks] == [voice.ingest_task_id, recovered.ingest_task_id]
    assert (await _extract(files, voice.id)) == ("heard on retry", [])


def _wav(seconds: float, rate: int = 16_000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x01\x00" * int(seconds * rate))
    return buffer.getvalue()


def _mp3(seconds: float, rate: int = 16_000) -> bytes:
    encoder = lameenc.Encoder()
    encoder.set_channels(1)
    encoder.set_in_sample_rate(rate)
    encoder.set_bit_rate(32)
    return bytes(encoder.encode(b"\x01\x00" * int(seconds * rate)) + encoder.flush())


async def test_a_voice_objects_length_is_measured_at_upload_and_outlives_a_failed_transcript(files: FilesEnv) -> None:
    wav = await put(files, ALICE, _wav(2.5), name="long.wav", kind=files_pb2.OBJECT_KIND_VOICE)
    assert wav.duration_ms == 2500
    mp3 = await put(files, ALICE, _mp3(1.5), name="short.mp3", kind=files_pb2.OBJECT_KIND_VOICE)
    assert abs(mp3.duration_ms - 1500) <= 120, mp3.duration_ms  # MP3 frames pad the end a little
    # A transcription that failed (no length of its own) leaves the measured one.
    failed = await _set(files, wav.id, error="no speech recognised")
    assert (failed.transcript_status, failed.duration_ms) == ("failed", 2500)
    # A document is not audio; an unreadable "voice" file is stored with no length rather than refused.
    document = await put(files, ALICE, b"plain words", name="notes.txt")
    assert document.duration_ms == 0
    broken = await put(files, ALICE, WAV, name="memo.wav", kind=files_pb2.OBJECT_KIND_VOICE)
    assert broken.duration_ms == 0

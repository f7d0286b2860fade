"""TranscribeFile through files (cached, tenant-scoped) and the mesh.tasks.voice.transcribe consumer (SetTranscript)."""

from __future__ import annotations

import asyncio

import grpc
import orjson
import pytest
from meshconsole.files.v1 import files_pb2
from meshconsole.voice.v1 import voice_pb2 as V

from services.kit.context import Principal
from services.kit.errors import from_rpc_error
from services.voice.audio.encode import wav_bytes
from tests.service.files_support import md, put
from tests.service.voice.conftest import VoiceEnv
from tests.unit.voice.speech import ENGLISH, MANDARIN, char_error_rate, english_pcm, mandarin_pcm, word_error_rate

ALICE = Principal(user_id=61, company_id=6)
CAROL = Principal(user_id=62, company_id=6)  # Alice's colleague
BOB = Principal(user_id=71, company_id=7)


async def upload_voice(voice: VoiceEnv, principal: Principal, data: bytes, *, transcribe: bool) -> files_pb2.ObjectInfo:
    return await put(
        voice.files, principal, data, "question.wav", kind=files_pb2.OBJECT_KIND_VOICE, transcribe=transcribe
    )


async def test_transcribe_file_reads_through_files_caches_and_stores_the_transcript(voice: VoiceEnv) -> None:
    pcm, rate = english_pcm()
    info = await upload_voice(voice, ALICE, wav_bytes(pcm, sample_rate=rate), transcribe=False)
    request = V.TranscribeFileRequest(object_id=info.id)
    first = await voice.stub.TranscribeFile(request, metadata=md(ALICE))
    assert first.object_id == info.id and first.language == "en"
    assert word_error_rate(ENGLISH, first.text) <= 0.25
    assert abs(first.duration_ms - len(pcm) * 1000 // (2 * rate)) < 100
    assert first.segments and first.segments[-1].end_ms <= first.duration_ms
    stored = await voice.files.stub.GetObject(
        files_pb2.GetObjectRequest(ref=files_pb2.ObjectRef(id=info.id)), metadata=md(ALICE)
    )
    assert stored.transcript_status == "done" and stored.duration_ms == first.duration_ms
    admitted_before = voice.process.stt_pool.admitted
    again = await voice.stub.TranscribeFile(request, metadata=md(ALICE))
    assert again == first and voice.process.stt_pool.admitted == admitted_before  # from the cache
    for stranger in (CAROL, BOB):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await voice.stub.TranscribeFile(request, metadata=md(stranger))
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_transcribe_file_in_mandarin_and_bad_ids(voice: VoiceEnv) -> None:
    pcm, rate = mandarin_pcm()
    info = await upload_voice(voice, ALICE, wav_bytes(pcm, sample_rate=rate), transcribe=False)
    result = await voice.stub.TranscribeFile(
        V.TranscribeFileRequest(object_id=info.id, language="zh-CN"), metadata=md(ALICE)
    )
    assert result.language == "zh" and char_error_rate(MANDARIN, result.text) <= 0.35
    for object_id, code in (("abc", grpc.StatusCode.INVALID_ARGUMENT), ("99999999", grpc.StatusCode.NOT_FOUND)):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await voice.stub.TranscribeFile(V.TranscribeFileRequest(object_id=object_id), metadata=md(ALICE))
        assert caught.value.code() == code
        if code == grpc.StatusCode.INVALID_ARGUMENT:
            assert from_rpc_error(caught.value).field == "object_id"


async def _object(voice: VoiceEnv, principal: Principal, object_id: str, until: set[str]) -> files_pb2.ObjectInfo:
    request = files_pb2.GetObjectRequest(ref=files_pb2.ObjectRef(id=object_id))
    for _ in range(1200):
        info = await voice.files.stub.GetObject(request, metadata=md(principal))
        if info.transcript_status in until:
            return info
        await asyncio.sleep(0.05)
    raise AssertionError(f"transcript of {object_id} still {info.transcript_status}")


async def test_queued_transcription_ends_with_the_transcript_stored_with_the_file(voice: VoiceEnv) -> None:
    pcm, rate = english_pcm()
    info = await upload_voice(voice, ALICE, wav_bytes(pcm, sample_rate=rate), transcribe=True)
    assert info.transcribe_task_id
    done = await _object(voice, ALICE, info.id, {"done", "failed"})
    assert done.transcript_status == "done" and done.duration_ms > 3000, done
    text = ""
    async for event in voice.files.stub.ExtractText(
        files_pb2.ExtractTextRequest(object_ids=[info.id]), metadata=md(ALICE)
    ):
        if event.WhichOneof("event") == "text":
            text += event.text.text
    assert word_error_rate(ENGLISH, text) <= 0.25, text
    # A redelivery of the same task does no work again.
    row = await voice.process.tasks.store.task(task_id=info.transcribe_task_id)
    assert row is not None and row.status == "succeeded" and row.attempts == 1
    payload = {"task_id": info.transcribe_task_id, "file_id": info.id, "user_id": 61, "company_id": 6}
    await voice.files.js.publish("mesh.tasks.voice.transcribe", orjson.dumps(payload))
    for _ in range(200):
        info_js = await voice.files.js.stream_info("MESH_TASKS")
        if info_js.state.messages == 0:
            break
        await asyncio.sleep(0.05)
    row = await voice.process.tasks.store.task(task_id=info.transcribe_task_id)
    assert row is not None and row.attempts == 1


async def test_a_voice_file_that_is_not_audio_ends_failed_with_a_reason(voice: VoiceEnv) -> None:
    broken = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 2000
    info = await upload_voice(voice, ALICE, broken, transcribe=True)
    failed = await _object(voice, ALICE, info.id, {"done", "failed"})
    assert failed.transcript_status == "failed" and "could not be transcribed" in failed.transcript_error

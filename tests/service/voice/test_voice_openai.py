"""The openai engine against the scripted OpenAI-compatible audio server: by setting, and per company by registry."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import grpc
import pytest
import pytest_asyncio
from meshconsole.chat.v1 import chat_pb2, chat_pb2_grpc
from meshconsole.files.v1 import files_pb2
from meshconsole.voice.v1 import voice_pb2 as V

from services.chat.app import build_chat
from services.chat.config import ChatSettings
from services.kit import grpc_client
from services.kit.context import Principal
from services.kit.embedded import ValkeyServer
from services.kit.errors import from_rpc_error
from services.kit.testing.openai_upstream import ScriptedUpstream
from services.kit.testing.servers import NatsServer
from services.voice.audio.decode import AudioSpec, decode_audio
from services.voice.audio.encode import wav_bytes
from tests.service.files_support import md, put
from tests.service.voice.conftest import VoiceEnv, files_and_voice
from tests.unit.voice.speech import english_pcm, pcm16_16k, silence

KEY = "sk-audio-" + uuid.uuid4().hex[:8]
ADMIN = Principal(user_id=101, company_id=10, roles=("admin",))
ALICE = Principal(user_id=102, company_id=10)
OUTSIDER = Principal(user_id=111, company_id=11)


@pytest.fixture(scope="module")
def audio_upstream() -> Iterator[ScriptedUpstream]:
    with ScriptedUpstream(api_key=KEY) as upstream:
        yield upstream


@pytest_asyncio.fixture(loop_scope="session")
async def openai_voice(
    audio_upstream: ScriptedUpstream, tmp_path: Path, nats_server: NatsServer, whisper_dir: Path
) -> AsyncIterator[VoiceEnv]:
    audio_upstream.reset()
    settings = {
        "voice_engine": "openai",
        "voice_openai_base_url": audio_upstream.base_url,
        "voice_openai_api_key": KEY,
        "voice_openai_stt_model": "whisper-large-v3",
        "voice_openai_tts_model": "tts-1",
    }
    async with files_and_voice(tmp_path, nats_server, whisper_dir, **settings) as env:
        yield env


async def upload(env: VoiceEnv, principal: Principal) -> str:
    pcm, rate = english_pcm()
    info = await put(env.files, principal, wav_bytes(pcm, sample_rate=rate), "q.wav", kind=files_pb2.OBJECT_KIND_VOICE)
    return info.id


async def test_transcription_through_the_configured_endpoint(
    openai_voice: VoiceEnv, audio_upstream: ScriptedUpstream
) -> None:
    object_id = await upload(openai_voice, ALICE)
    result = await openai_voice.stub.TranscribeFile(V.TranscribeFileRequest(object_id=object_id), metadata=md(ALICE))
    assert result.text == audio_upstream.audio.transcript and result.language == "en"
    assert len(result.segments) == 2 and result.segments[0].end_ms <= result.segments[1].start_ms + 10
    assert 3000 < result.segments[1].end_ms <= result.duration_ms
    sent = [r for r in audio_upstream.requests if r.path.endswith("/audio/transcriptions")][-1]
    assert sent.body["model"] == "whisper-large-v3" and sent.body["response_format"] == "verbose_json"
    assert sent.headers["authorization"] == f"Bearer {KEY}" and sent.body["file_bytes"] > 10_000

    async def stream() -> AsyncIterator[V.TranscribeRequest]:
        yield V.TranscribeRequest(config=V.TranscribeConfig(encoding=V.AUDIO_ENCODING_PCM_S16LE, language="en"))
        pcm, rate = english_pcm()
        data = pcm16_16k(pcm, rate) + silence(1.0)
        for start in range(0, len(data), 6400):
            yield V.TranscribeRequest(audio=V.AudioChunk(data=data[start : start + 6400]))

    events = [e async for e in openai_voice.stub.Transcribe(stream(), metadata=md(ALICE))]
    finals = [e for e in events if e.is_final]
    assert finals and " ".join(e.text for e in finals).startswith("hello from")


async def test_speech_through_the_configured_endpoint_streams_mp3_and_pcm(
    openai_voice: VoiceEnv, audio_upstream: ScriptedUpstream
) -> None:
    audio_upstream.audio.speech_seconds = 2.0
    request = V.SynthesizeRequest(text="Hello there.", voice="nova", encoding=V.AUDIO_ENCODING_MP3)
    chunks = [c async for c in openai_voice.stub.Synthesize(request, metadata=md(ALICE))]
    assert len(chunks) > 1  # streamed as the endpoint sent it
    audio = decode_audio(b"".join(c.data for c in chunks), AudioSpec("mp3"), max_s=60)
    assert abs(len(audio) - 32_000) < 3_000
    sent = audio_upstream.requests[-1]
    assert sent.body == {"model": "tts-1", "voice": "nova", "input": "Hello there.", "response_format": "mp3"}
    pcm_request = V.SynthesizeRequest(text="Hi.", encoding=V.AUDIO_ENCODING_PCM_S16LE, sample_rate_hz=16000)
    pcm = b"".join([c.data async for c in openai_voice.stub.Synthesize(pcm_request, metadata=md(ALICE))])
    assert audio_upstream.requests[-1].body["response_format"] == "pcm" and abs(len(pcm) - 64_000) < 1_000


async def test_a_failing_endpoint_is_unavailable(openai_voice: VoiceEnv, audio_upstream: ScriptedUpstream) -> None:
    audio_upstream.audio.status = 500
    try:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            [c async for c in openai_voice.stub.Synthesize(V.SynthesizeRequest(text="x"), metadata=md(ALICE))]
        error = from_rpc_error(caught.value)
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE and error.reason == "upstream_error"
        assert "127.0.0.1" not in error.message
    finally:
        audio_upstream.audio.status = 200


async def test_a_company_registry_entry_selects_the_openai_engine(
    audio_upstream: ScriptedUpstream,
    tmp_path: Path,
    nats_server: NatsServer,
    valkey_server: ValkeyServer,
    whisper_dir: Path,
) -> None:
    chat_settings = ChatSettings(
        data_dir=tmp_path / "chat",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}",
        nats_url=nats_server.url,
        redis_url=valkey_server.url,
        secret_key="voice-registry-" + uuid.uuid4().hex,
        apps_addr="127.0.0.1:9",
        model_endpoint_networks="127.0.0.1/32",
    )
    process, _ = await build_chat(chat_settings, address="127.0.0.1:0")
    await process.server.start()
    channel = grpc_client.create_channel(f"127.0.0.1:{process.port}")
    registry = chat_pb2_grpc.ModelRegistryServiceStub(channel)
    try:
        for name, kind in (("company-whisper", chat_pb2.MODEL_TYPE_STT), ("company-voice", chat_pb2.MODEL_TYPE_TTS)):
            entry = chat_pb2.ModelEntry(model_name=name, model_type=kind, base_url=audio_upstream.base_url, api_key=KEY)
            await registry.CreateModel(chat_pb2.CreateModelRequest(model=entry), metadata=md(ADMIN))
        # Keys leave chat only for the voice service's own credential, not for a gateway one.
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await registry.ResolveSpeechModel(
                chat_pb2.ResolveSpeechModelRequest(model_type=chat_pb2.MODEL_TYPE_STT), metadata=md(ALICE)
            )
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
        overrides = {
            "voice_registry": True,
            "chat_addr": f"127.0.0.1:{process.port}",
            "model_endpoint_networks": "127.0.0.1/32",
        }
        (tmp_path / "v").mkdir()
        async with files_and_voice(tmp_path / "v", nats_server, whisper_dir, **overrides) as env:
            mine = await upload(env, ALICE)
            result = await env.stub.TranscribeFile(V.TranscribeFileRequest(object_id=mine), metadata=md(ALICE))
            assert result.text == audio_upstream.audio.transcript
            assert audio_upstream.requests[-1].body["model"] == "company-whisper"
            speech = V.SynthesizeRequest(text="Hello.", voice="alloy", encoding=V.AUDIO_ENCODING_MP3)
            assert [c async for c in env.stub.Synthesize(speech, metadata=md(ALICE))]
            assert audio_upstream.requests[-1].body["model"] == "company-voice"
            # Another company has no entries: the local engine serves it.
            seen = len(audio_upstream.requests)
            theirs = await upload(env, OUTSIDER)
            local = await env.stub.TranscribeFile(V.TranscribeFileRequest(object_id=theirs), metadata=md(OUTSIDER))
            assert "weather" in local.text.lower() and len(audio_upstream.requests) == seen
    finally:
        await channel.close()
        await process.server.stop(1)
        for hook in process.on_shutdown:
            await hook()


async def test_a_transcription_task_that_keeps_failing_is_dead_lettered_and_the_file_says_why(
    audio_upstream: ScriptedUpstream, tmp_path: Path, nats_server: NatsServer, whisper_dir: Path
) -> None:
    settings = {
        "voice_engine": "openai",
        "voice_openai_base_url": audio_upstream.base_url,
        "voice_openai_api_key": KEY,
        "voice_max_deliver": 2,
        "voice_backoff_s": [0.1],
    }
    audio_upstream.audio.status = 503  # the endpoint is down for good: a transient failure on every attempt
    try:
        async with files_and_voice(tmp_path, nats_server, whisper_dir, **settings) as env:
            pcm, rate = english_pcm()
            info = await put(
                env.files,
                ALICE,
                wav_bytes(pcm, sample_rate=rate),
                "q.wav",
                kind=files_pb2.OBJECT_KIND_VOICE,
                transcribe=True,
            )
            request = files_pb2.GetObjectRequest(ref=files_pb2.ObjectRef(id=info.id))
            for _ in range(600):
                stored = await env.files.stub.GetObject(request, metadata=md(ALICE))
                if stored.transcript_status == "failed":
                    break
                await asyncio.sleep(0.05)
            assert stored.transcript_status == "failed" and "kept failing" in stored.transcript_error, stored
            row = await env.process.tasks.store.task(task_id=info.transcribe_task_id)
            assert row is not None and row.status == "failed" and row.attempts == 2
    finally:
        audio_upstream.audio.status = 200

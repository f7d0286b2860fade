"""Transcribe (bidi stream) against the real local engines: partials, timed finals, silence, bad input, limits."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from meshconsole.voice.v1 import voice_pb2 as V

from services.kit.context import Principal
from services.kit.errors import from_rpc_error
from services.kit.testing.servers import NatsServer
from tests.service.files_support import md
from tests.service.voice.conftest import VoiceEnv, files_and_voice
from tests.unit.voice.speech import ENGLISH, encode, english_pcm, pcm16_16k, silence, word_error_rate

ALICE = Principal(user_id=41, company_id=4)
FRAME = 3200  # 100 ms of 16 kHz pcm16


def pcm_config(**fields: object) -> V.TranscribeRequest:
    config = {"encoding": V.AUDIO_ENCODING_PCM_S16LE, "sample_rate_hz": 16000, "interim_results": True} | fields
    return V.TranscribeRequest(config=V.TranscribeConfig(**config))  # type: ignore[arg-type]


def audio(data: bytes) -> V.TranscribeRequest:
    return V.TranscribeRequest(audio=V.AudioChunk(data=data))


async def collect(call: grpc.aio.StreamStreamCall) -> list[V.TranscriptEvent]:
    return [event async for event in call]


async def failure(call: grpc.aio.StreamStreamCall) -> tuple[str, str | None, str]:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await collect(call)
    error = from_rpc_error(caught.value)
    return caught.value.code().name, error.field, error.reason


async def test_partials_come_before_timed_finals(voice: VoiceEnv) -> None:
    pcm, rate = english_pcm()
    speech = silence(0.5) + pcm16_16k(pcm, rate) + silence(1.0)
    first_partial = asyncio.Event()

    async def requests() -> AsyncIterator[V.TranscribeRequest]:
        yield pcm_config()
        head = 2 * 16000 * 2  # two seconds, then wait until the service has said something
        for start in range(0, head, FRAME):
            yield audio(speech[start : start + FRAME])
        await asyncio.wait_for(first_partial.wait(), 60)
        for start in range(head, len(speech), FRAME):
            yield audio(speech[start : start + FRAME])

    events: list[V.TranscriptEvent] = []
    async for event in voice.stub.Transcribe(requests(), metadata=md(ALICE)):
        events.append(event)
        if not event.is_final:
            first_partial.set()
    kinds = [e.is_final for e in events]
    assert kinds[0] is False and True in kinds, events  # a partial first, finals at the end
    finals = [e for e in events if e.is_final]
    assert all(e.start_ms < e.end_ms for e in finals)
    assert all(a.end_ms <= b.start_ms + 50 for a, b in itertools.pairwise(finals))
    assert finals[0].start_ms >= 300 and finals[-1].end_ms <= len(speech) // 32 + 50
    assert word_error_rate(ENGLISH, " ".join(e.text for e in finals)) <= 0.25
    assert {e.language for e in finals} == {"en"}


async def test_silence_ends_with_one_empty_final(voice: VoiceEnv) -> None:
    async def requests() -> AsyncIterator[V.TranscribeRequest]:
        yield pcm_config(language="en")
        quiet = silence(2.0)
        for start in range(0, len(quiet), FRAME):
            yield audio(quiet[start : start + FRAME])

    events = await collect(voice.stub.Transcribe(requests(), metadata=md(ALICE)))
    assert [(e.text, e.is_final, e.start_ms, e.end_ms) for e in events] == [("", True, 0, 2000)]


async def test_a_webm_opus_stream_is_transcribed(voice: VoiceEnv) -> None:
    pcm, rate = english_pcm()
    data = encode(pcm, rate, container="webm", codec="libopus")

    async def requests() -> AsyncIterator[V.TranscribeRequest]:
        yield V.TranscribeRequest(config=V.TranscribeConfig(encoding=V.AUDIO_ENCODING_WEBM_OPUS, sample_rate_hz=48000))
        for start in range(0, len(data), 4000):
            yield audio(data[start : start + 4000])

    events = await collect(voice.stub.Transcribe(requests(), metadata=md(ALICE)))
    finals = [e for e in events if e.is_final]
    assert all(e.is_final for e in events)  # interim_results off: finals only
    assert word_error_rate(ENGLISH, " ".join(e.text for e in finals)) <= 0.25


def _stream(*messages: V.TranscribeRequest) -> AsyncIterator[V.TranscribeRequest]:
    async def gen() -> AsyncIterator[V.TranscribeRequest]:
        for message in messages:
            yield message

    return gen()


@pytest.mark.parametrize(
    ("messages", "field", "reason"),
    [
        ((audio(b"\x00" * 100),), "config", "config_required"),
        ((pcm_config(encoding=99),), "config.encoding", "unsupported_format"),
        ((pcm_config(sample_rate_hz=1000), audio(b"\x00" * 100)), "config.sample_rate_hz", "invalid_sample_rate"),
        ((pcm_config(language="xx-YY"),), "config.language", "unsupported_language"),
        ((pcm_config(),), "audio", "empty_audio"),
        (
            (V.TranscribeRequest(config=V.TranscribeConfig(encoding=V.AUDIO_ENCODING_WAV)), audio(b"junk" * 500)),
            "audio.data",
            "invalid_audio",
        ),
        ((pcm_config(), audio(b"\x00" * (1024 * 1024 + 2))), "audio.data", "frame_too_large"),
        (
            (V.TranscribeRequest(config=V.TranscribeConfig()), audio(b"plain text, not audio " * 40)),
            "audio.data",
            "unsupported_format",
        ),
    ],
)
async def test_bad_input_is_invalid_argument_naming_the_field_and_the_service_keeps_serving(
    voice: VoiceEnv, messages: tuple[V.TranscribeRequest, ...], field: str, reason: str
) -> None:
    code, named, why = await failure(voice.stub.Transcribe(_stream(*messages), metadata=md(ALICE)))
    assert (code, named, why) == ("INVALID_ARGUMENT", field, reason)
    again = await collect(voice.stub.Transcribe(_stream(pcm_config(), audio(silence(0.5))), metadata=md(ALICE)))
    assert [e.is_final for e in again] == [True]
    assert voice.process.stt_pool.streams == 0


async def test_a_session_longer_than_the_limit_is_refused(
    tmp_path: Path, nats_server: NatsServer, whisper_dir: Path
) -> None:
    async with files_and_voice(tmp_path, nats_server, whisper_dir, voice_max_session_s=1.0) as env:
        messages = [pcm_config()] + [audio(silence(0.1)) for _ in range(20)]
        code, field, reason = await failure(env.stub.Transcribe(_stream(*messages), metadata=md(ALICE)))
        assert (code, field, reason) == ("INVALID_ARGUMENT", "audio", "session_too_long")


async def test_a_full_service_answers_resource_exhausted_and_a_cancelled_stream_frees_its_work(
    tmp_path: Path, nats_server: NatsServer, whisper_dir: Path
) -> None:
    async with files_and_voice(tmp_path, nats_server, whisper_dir, voice_max_streams=1) as env:
        pcm, rate = english_pcm()
        speech = pcm16_16k(pcm, rate)
        partial = asyncio.Event()
        hold = asyncio.Event()

        async def requests() -> AsyncIterator[V.TranscribeRequest]:
            yield pcm_config()
            for start in range(0, len(speech), FRAME):
                yield audio(speech[start : start + FRAME])
            await hold.wait()  # keep the stream open

        call = env.stub.Transcribe(requests(), metadata=md(ALICE))

        async def read() -> None:
            async for event in call:
                if not event.is_final:
                    partial.set()

        reader = asyncio.create_task(read())
        await asyncio.wait_for(partial.wait(), 60)
        assert env.process.stt_pool.streams == 1
        second = env.stub.Transcribe(_stream(pcm_config(), audio(silence(0.2))), metadata=md(ALICE))
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await collect(second)
        error = from_rpc_error(caught.value)
        assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert error.reason == "voice_busy" and float(error.metadata["retry_after_s"]) > 0
        call.cancel()  # the client goes away mid-stream
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
        pool = env.process.stt_pool
        for _ in range(600):
            if pool.streams == 0 and pool.admitted == 0:
                break
            await asyncio.sleep(0.05)
        assert (pool.streams, pool.admitted) == (0, 0)
        hold.set()
        events = await collect(env.stub.Transcribe(_stream(pcm_config(), audio(silence(0.3))), metadata=md(ALICE)))
        assert [e.is_final for e in events] == [True]

"""Synthesize (server stream) with the real local engines: early first audio, decodable MP3, limits."""

from __future__ import annotations

import time
from typing import Any

import grpc
import pytest
from meshconsole.voice.v1 import voice_pb2 as V

from services.kit.context import Principal
from services.kit.errors import from_rpc_error
from services.voice.audio.decode import AudioSpec, decode_audio
from services.voice.engines.base import SpeechPiece
from tests.service.files_support import md
from tests.service.voice.conftest import VoiceEnv

ALICE = Principal(user_id=51, company_id=5)
STORY = " ".join(f"This is sentence number {n} of a story about a lighthouse keeper and the sea." for n in range(1, 9))


async def test_the_first_audio_leaves_before_the_last_sentence_is_synthesized(voice: VoiceEnv) -> None:
    tts = voice.process.local_tts
    finished: list[float] = []
    speak = tts.speak

    def observed(*args: Any, **kwargs: Any) -> SpeechPiece:
        piece = speak(*args, **kwargs)
        finished.append(time.monotonic())
        return piece

    tts.speak = observed  # type: ignore[method-assign]
    try:
        request = V.SynthesizeRequest(text=STORY, encoding=V.AUDIO_ENCODING_MP3)
        first_at = None
        chunks: list[V.AudioChunk] = []
        async for chunk in voice.stub.Synthesize(request, metadata=md(ALICE)):
            first_at = first_at or time.monotonic()
            chunks.append(chunk)
    finally:
        del tts.speak
    assert len(finished) == 8 and first_at is not None
    assert first_at < finished[-1]  # audio was on its way while the rest was still being spoken
    assert [c.sequence for c in chunks] == list(range(len(chunks)))
    assert {(c.encoding, c.channels) for c in chunks} == {(V.AUDIO_ENCODING_MP3, 1)}
    audio = decode_audio(b"".join(c.data for c in chunks), AudioSpec("mp3"), max_s=600)
    assert len(audio) / 16_000 > 20  # eight sentences of speech, decoded by PyAV


async def test_pcm16_at_a_requested_rate_and_mandarin(voice: VoiceEnv) -> None:
    request = V.SynthesizeRequest(text="今天天气很好。", encoding=V.AUDIO_ENCODING_PCM_S16LE, sample_rate_hz=16000)
    chunks = [c async for c in voice.stub.Synthesize(request, metadata=md(ALICE))]
    assert {c.sample_rate_hz for c in chunks} == {16000}
    pcm = b"".join(c.data for c in chunks)
    assert len(pcm) % 2 == 0 and len(pcm) / 32_000 > 0.5
    wav = [
        c
        async for c in voice.stub.Synthesize(
            V.SynthesizeRequest(text="Hello.", encoding=V.AUDIO_ENCODING_WAV), metadata=md(ALICE)
        )
    ]
    assert wav[0].data[:4] == b"RIFF"
    assert len(decode_audio(b"".join(c.data for c in wav), AudioSpec("wav"), max_s=60)) > 4000


@pytest.mark.parametrize(
    ("request_fields", "field", "reason"),
    [
        ({"text": "x" * 2001}, "text", "text_too_long"),
        ({"text": "   "}, "text", "empty_text"),
        ({"text": "hi", "voice": "no-such-voice"}, "voice", "unknown_voice"),
        ({"text": "hi", "encoding": V.AUDIO_ENCODING_OGG_OPUS}, "encoding", "unsupported_format"),
        ({"text": "hi", "sample_rate_hz": 123}, "sample_rate_hz", "invalid_sample_rate"),
        ({"text": "hi", "speed": 9.0}, "speed", "invalid_param"),
    ],
)
async def test_bad_requests_are_refused_naming_the_field(
    voice: VoiceEnv, request_fields: dict[str, Any], field: str, reason: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        [c async for c in voice.stub.Synthesize(V.SynthesizeRequest(**request_fields), metadata=md(ALICE))]
    error = from_rpc_error(caught.value)
    assert (caught.value.code(), error.field, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, field, reason)


async def test_espeak_and_piper_voices_by_name(voice: VoiceEnv) -> None:
    for name in ("en_US-joe-medium", "espeak:en-us", "cmn"):
        request = V.SynthesizeRequest(text="Good morning.", voice=name, encoding=V.AUDIO_ENCODING_PCM_S16LE)
        chunks = [c async for c in voice.stub.Synthesize(request, metadata=md(ALICE))]
        assert sum(len(c.data) for c in chunks) > 8000, name

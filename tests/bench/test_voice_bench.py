"""Voice benchmark: local STT real-time factor, first partial on a live stream, local TTS first audio.

Run with `make bench`; it reports numbers (tests/bench/RESULTS-voice.md) and never asserts timings. Everything
runs through the real engines; the stream and synthesis numbers go through the gRPC servicer in-process.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
from meshconsole.voice.v1 import voice_pb2 as V

from services.kit.context import Principal
from services.kit.testing.servers import NatsServer
from services.voice.engines.local_tts import VoiceChoice
from services.voice.engines.whisper_model import ensure_base_model
from tests.service.files_support import md
from tests.service.voice.conftest import files_and_voice
from tests.unit.voice.speech import pcm16_16k, silence, speak, to_16k

pytestmark = pytest.mark.bench
RESULTS = Path(__file__).with_name("RESULTS-voice.md")
ME = Principal(user_id=1, company_id=1)
PARAGRAPH = (
    "The museum opens at nine in the morning and closes at six in the evening. "
    "Visitors can buy tickets at the entrance or online. Guided tours start every hour "
    "and last about forty minutes. Photography is allowed in most rooms, but please do not "
    "use a flash near the paintings. The cafe on the second floor serves coffee and light meals."
)
RUNS = 3


@pytest.fixture(scope="module")
def whisper_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_base_model(tmp_path_factory.mktemp("whisper") / "base")


def _lines(title: str, rows: list[tuple[str, str]]) -> list[str]:
    return [f"### {title}", "", "| | result |", "|---|---|", *[f"| {k} | {v} |" for k, v in rows], ""]


async def test_voice_bench(tmp_path: Path, nats_server: NatsServer, whisper_dir: Path) -> None:
    pcm, rate = speak(PARAGRAPH, VoiceChoice("piper", "en_US-joe-medium"))
    audio = to_16k(pcm, rate)
    seconds = len(audio) / 16_000
    report: list[str] = ["# Voice benchmark", "", "2 cores shared with other work; `make bench` refreshes it.", ""]
    async with files_and_voice(tmp_path, nats_server, whisper_dir) as env:
        stt = env.process.local_stt
        await asyncio.to_thread(stt.load)
        await stt.transcribe(audio[:16_000], language="en")  # first-call set-up
        rtf: dict[str, list[float]] = {"given": [], "detected": []}
        for _ in range(RUNS):
            for mode, language in (("given", "en"), ("detected", "")):
                started = time.perf_counter()
                await stt.transcribe(audio, language=language)
                rtf[mode].append((time.perf_counter() - started) / seconds)
        stream_ms = {"given": [], "detected": []}  # type: dict[str, list[float]]
        speech = pcm16_16k(pcm, rate)[: 6 * 32_000]
        for _ in range(RUNS):
            for mode, language in (("given", "en"), ("detected", "")):
                stream_ms[mode].append(await _first_partial_ms(env.stub, env.process.stt_pool, speech, language))
        await asyncio.to_thread(env.process.local_tts.warm)
        tts: dict[str, list[float]] = {"pcm16": [], "mp3": [], "mandarin pcm16": []}
        for _ in range(RUNS * 2):
            for label, text, encoding in (
                ("pcm16", "Your order has shipped and will arrive tomorrow.", V.AUDIO_ENCODING_PCM_S16LE),
                ("mp3", "Your order has shipped and will arrive tomorrow.", V.AUDIO_ENCODING_MP3),
                ("mandarin pcm16", "您的订单已经发货，明天送到。", V.AUDIO_ENCODING_PCM_S16LE),
            ):
                tts[label].append(await _first_audio_ms(env.stub, text, encoding))
    median = statistics.median
    report += _lines(
        f"Local STT (faster-whisper base int8, VAD, beam 5) on {seconds:.1f} s of Piper speech",
        [
            (f"real-time factor, language {k}", f"{median(v):.3f} (runs: {', '.join(f'{x:.3f}' for x in v)})")
            for k, v in rtf.items()
        ],
    )
    report += _lines(
        "First partial on a live stream (pcm16 at real time, 100 ms frames, speech from 0.5 s)",
        [
            (
                f"ms after speech starts, language {k}",
                f"median {median(v):.0f} (runs: {', '.join(f'{x:.0f}' for x in v)})",
            )
            for k, v in stream_ms.items()
        ],
    )
    report += _lines(
        "Local TTS first audio bytes, one-sentence Synthesize through gRPC",
        [(k, f"median {median(v):.0f} ms, max {max(v):.0f} ms") for k, v in tts.items()],
    )
    RESULTS.write_text("\n".join(report))
    print("\n".join(report))


async def _first_partial_ms(stub, pool, speech: bytes, language: str) -> float:  # type: ignore[no-untyped-def]
    started: list[float] = []

    async def requests() -> AsyncIterator[V.TranscribeRequest]:
        config = V.TranscribeConfig(
            encoding=V.AUDIO_ENCODING_PCM_S16LE, sample_rate_hz=16000, interim_results=True, language=language
        )
        yield V.TranscribeRequest(config=config)
        data = silence(0.5) + speech
        for index, start in enumerate(range(0, len(data), 3200)):
            if index == 5:
                started.append(time.perf_counter())  # the first frame of speech leaves now
            yield V.TranscribeRequest(audio=V.AudioChunk(data=data[start : start + 3200]))
            await asyncio.sleep(0.1)

    call = stub.Transcribe(requests(), metadata=md(ME))
    try:
        async for event in call:
            if not event.is_final and started:
                return (time.perf_counter() - started[0]) * 1000
        return float("nan")
    finally:
        call.cancel()  # the next run must not queue behind this one's remaining audio
        for _ in range(600):  # until the service has dropped the cancelled stream's work
            if pool.streams == 0 and pool.admitted == 0:
                break
            await asyncio.sleep(0.05)


async def _first_audio_ms(stub, text: str, encoding: int) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    first = None
    async for chunk in stub.Synthesize(V.SynthesizeRequest(text=text, encoding=encoding), metadata=md(ME)):
        if first is None and chunk.data:
            first = (time.perf_counter() - started) * 1000
    return first if first is not None else float(np.nan)

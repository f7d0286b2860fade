"""Audio decoding, streaming decoders and encoders on real codecs (PyAV, lameenc)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from services.kit.errors import InvalidArgument
from services.voice.audio.decode import AudioSpec, decode_audio, sniff
from services.voice.audio.encode import Encoder, wav_bytes, wav_header
from services.voice.audio.stream import ContainerStream, PcmStream, stream_decoder
from tests.unit.voice.speech import encode, english_pcm


def tone(seconds: float = 1.0, rate: int = 22_050) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * 440 * t) * 12_000).astype("<i2").tobytes()


@pytest.mark.parametrize(
    ("container", "codec", "name"),
    [("webm", "libopus", "webm"), ("ogg", "libopus", "ogg"), ("flac", "flac", "flac"), ("mp3", "libmp3lame", "mp3")],
)
def test_containers_decode_to_16k_mono(container: str, codec: str, name: str) -> None:
    data = encode(tone(1.0), 22_050, container=container, codec=codec)
    assert sniff(data[:16]) == name
    audio = decode_audio(data, AudioSpec(name), max_s=60)
    assert audio.dtype == np.float32 and abs(len(audio) - 16_000) < 1_600
    assert 0.2 < float(np.abs(audio).max()) < 0.6


def test_pcm16_and_wav_decode_at_their_rates() -> None:
    pcm = tone(1.0, 8_000)
    assert len(decode_audio(pcm, AudioSpec("pcm16", 8_000, 1), max_s=60)) == 16_000
    stereo = np.repeat(np.frombuffer(pcm, "<i2"), 2).tobytes()
    assert len(decode_audio(stereo, AudioSpec("pcm16", 8_000, 2), max_s=60)) == 16_000
    assert abs(len(decode_audio(wav_bytes(tone(2.0), sample_rate=22_050), AudioSpec("wav"), max_s=60)) - 32_000) < 50


@pytest.mark.parametrize(
    ("data", "spec", "reason", "field"),
    [
        (b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk" * 20, AudioSpec("wav"), "invalid_audio", "audio"),
        (b"this is not audio at all" * 50, AudioSpec("wav"), "invalid_audio", "audio"),
        (b"this is not audio at all" * 50, AudioSpec("auto"), "unsupported_format", "audio"),
        (b"", AudioSpec("mp3"), "empty_audio", "audio"),
        (b"\x00", AudioSpec("pcm16", 16_000, 1), "empty_audio", "audio"),
        (b"\x00" * 100, AudioSpec("pcm16", 4_000, 1), "invalid_sample_rate", "sample_rate_hz"),
        (b"\x00" * 100, AudioSpec("pcm16", 16_000, 6), "invalid_channels", "channels"),
        (b"\x00" * 64_000, AudioSpec("pcm16", 16_000, 1), "audio_too_long", "audio"),
    ],
)
def test_bad_audio_is_refused_naming_the_field(data: bytes, spec: AudioSpec, reason: str, field: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        decode_audio(data, spec, max_s=1.5)
    assert (caught.value.reason, caught.value.field) == (reason, field)


def test_pcm_stream_keeps_odd_bytes_and_resamples() -> None:
    stream = PcmStream(AudioSpec("pcm16", 8_000, 1))
    pcm = tone(1.0, 8_000)
    out = [stream.feed(pcm[i : i + 333]) for i in range(0, len(pcm), 333)]
    total = sum(len(o) for o in out) + len(stream.finish())
    assert abs(total - 16_000) < 64


@pytest.mark.parametrize(
    ("container", "codec", "declared"),
    [
        ("webm", "libopus", "webm"),
        ("ogg", "libopus", "auto"),
        ("mp3", "libmp3lame", "mp3"),
        ("wav", "pcm_s16le", "wav"),
    ],
)
def test_streamed_containers_decode_while_bytes_arrive(container: str, codec: str, declared: str) -> None:
    pcm, rate = english_pcm()
    data = encode(pcm, rate, container=container, codec=codec, out_rate=16_000 if codec == "pcm_s16le" else 48_000)
    ready = threading.Event()
    stream = stream_decoder(AudioSpec(declared), field="audio.data", on_samples=ready.set)
    got = 0
    half = len(data) // 2
    for i in range(0, half, 1000):
        got += len(stream.feed(data[i : min(i + 1000, half)]))
    assert got > 0 or ready.wait(10)  # samples came out before the stream ended
    for i in range(half, len(data), 1000):
        got += len(stream.feed(data[i : i + 1000]))
    got += len(stream.finish())
    if stream.container is not None:
        assert stream.container.done.wait(10)
        got += len(stream.container.take())
    assert abs(got - len(pcm) // 2 * 16_000 // rate) < 16_000 * 0.1


def test_a_streamed_pcm_wav_yields_samples_from_its_first_bytes() -> None:
    pcm, rate = english_pcm()
    stream = stream_decoder(AudioSpec("wav"), field="audio.data", on_samples=lambda: None)
    first = stream.feed(wav_header(sample_rate=rate) + pcm[:8820])  # 200 ms
    assert stream.container is None and abs(len(first) - 3200) < 100


def test_container_stream_reports_garbage_as_the_field() -> None:
    stream = ContainerStream(AudioSpec("webm"), field="audio.data", on_samples=lambda: None)
    with pytest.raises(InvalidArgument) as caught:
        stream.feed(b"\x1a\x45\xdf\xa3" + b"garbage!" * 200)
        stream.finish()
        assert stream.done.wait(10)
        stream.take()
    assert caught.value.field == "audio.data" and caught.value.reason == "invalid_audio"


@pytest.mark.parametrize("encoding", ["mp3", "wav", "pcm16"])
def test_encoder_streams_and_round_trips(encoding: str) -> None:
    pcm = tone(2.0)
    encoder = Encoder(encoding=encoding, source_rate=22_050, target_rate=16_000 if encoding == "pcm16" else 0)
    out = b"".join(encoder.encode(pcm[i : i + 4410]) for i in range(0, len(pcm), 4410)) + encoder.finish()
    if encoding == "pcm16":
        assert abs(len(out) // 2 - 32_000) < 100
        return
    audio = decode_audio(out, AudioSpec(encoding), max_s=60)
    assert abs(len(audio) - 32_000) < 16_000 * 0.1

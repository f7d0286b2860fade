"""eSpeak NG through ctypes, from the library and data the espeakng-loader wheel ships (synchronous synthesis)."""

from __future__ import annotations

import ctypes
import threading
from typing import Any

import structlog

log = structlog.get_logger(__name__)

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_ENDPAUSE = 0x1000
_RATE = 1
_DEFAULT_WPM = 175
_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class EspeakError(RuntimeError):
    """eSpeak NG refused a voice or failed to synthesize."""


class _Library:
    """libespeak-ng's state is process-global: one loaded library, one callback, one lock for every user."""

    lock = threading.Lock()
    lib: Any = None
    sample_rate = 22_050
    voice = ""
    pieces: list[bytes] = []  # noqa: RUF012 - the one buffer the one callback fills

    @staticmethod
    def _collect(wav: Any, count: int, _events: Any) -> int:
        if count > 0 and wav:
            _Library.pieces.append(ctypes.string_at(wav, count * 2))
        return 0

    callback = _CALLBACK(_collect)  # kept alive for the life of the process: the library holds its address

    @classmethod
    def load(cls, library: str | None, data: str | None) -> Any:
        """The initialised library (call with the lock held)."""
        if cls.lib is None:
            import espeakng_loader

            lib = ctypes.CDLL(library or espeakng_loader.get_library_path())
            lib.espeak_Initialize.restype = ctypes.c_int
            lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
            lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
            lib.espeak_SetVoiceByName.restype = ctypes.c_int
            lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
            lib.espeak_Synth.argtypes = [
                ctypes.c_void_p,
                ctypes.c_size_t,
                ctypes.c_uint,
                ctypes.c_int,
                ctypes.c_uint,
                ctypes.c_uint,
                ctypes.c_void_p,
                ctypes.c_void_p,
            ]
            lib.espeak_Synth.restype = ctypes.c_int
            path = (data or espeakng_loader.get_data_path()).encode()
            rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, path, 0)
            if rate <= 0:
                raise EspeakError("eSpeak NG did not initialise")
            lib.espeak_SetSynthCallback(cls.callback)
            cls.sample_rate = rate
            cls.lib = lib
            log.info("espeak_loaded", sample_rate=rate)
        return cls.lib

    @classmethod
    def select(cls, voice: str) -> None:
        if voice != cls.voice:
            if cls.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise EspeakError(f"eSpeak NG has no voice {voice!r}")
            cls.voice = voice


class Espeak:
    """eSpeak NG for one engine; every instance shares the process's one library (and waits for it)."""

    def __init__(self, *, library: str | None = None, data: str | None = None) -> None:
        self._library = library
        self._data = data

    @property
    def sample_rate(self) -> int:
        with _Library.lock:
            _Library.load(self._library, self._data)
            return _Library.sample_rate

    def has_voice(self, voice: str) -> bool:
        """Whether eSpeak NG knows the voice ("cmn", "en-us", "cmn+f3", …)."""
        with _Library.lock:
            _Library.load(self._library, self._data)
            try:
                _Library.select(voice)
            except EspeakError:
                return False
            return True

    def synthesize(self, text: str, *, voice: str, speed: float = 1.0) -> bytes:
        """Mono PCM16 at sample_rate for text."""
        with _Library.lock:
            lib = _Library.load(self._library, self._data)
            _Library.select(voice)
            lib.espeak_SetParameter(_RATE, max(80, min(450, int(_DEFAULT_WPM * speed))), 0)
            _Library.pieces = []
            data = text.encode()
            status = lib.espeak_Synth(data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8 | _ENDPAUSE, None, None)
            pcm, _Library.pieces = b"".join(_Library.pieces), []
            if status != 0:
                raise EspeakError(f"eSpeak NG failed with status {status}")
            return pcm

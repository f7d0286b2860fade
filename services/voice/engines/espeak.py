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


class Espeak:
    """One eSpeak NG instance per process: its state is global, so every call holds the lock."""

    def __init__(self, *, library: str | None = None, data: str | None = None) -> None:
        self._library = library
        self._data = data
        self._lib: Any = None
        self._lock = threading.Lock()
        self._pieces: list[bytes] = []
        self._callback = _CALLBACK(self._collect)
        self.sample_rate = 22_050
        self._voice = ""

    def _collect(self, wav: Any, count: int, _events: Any) -> int:
        if count > 0 and wav:
            self._pieces.append(ctypes.string_at(wav, count * 2))
        return 0

    def _load(self) -> Any:
        if self._lib is None:
            import espeakng_loader

            lib = ctypes.CDLL(self._library or espeakng_loader.get_library_path())
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
            data = (self._data or espeakng_loader.get_data_path()).encode()
            rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data, 0)
            if rate <= 0:
                raise EspeakError("eSpeak NG did not initialise")
            lib.espeak_SetSynthCallback(self._callback)
            self.sample_rate = rate
            self._lib = lib
            log.info("espeak_loaded", sample_rate=rate)
        return self._lib

    def _select(self, lib: Any, voice: str) -> None:
        if voice != self._voice:
            if lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise EspeakError(f"eSpeak NG has no voice {voice!r}")
            self._voice = voice

    def has_voice(self, voice: str) -> bool:
        """Whether eSpeak NG knows the voice ("cmn", "en-us", "cmn+f3", …)."""
        with self._lock:
            lib = self._load()
            try:
                self._select(lib, voice)
            except EspeakError:
                return False
            return True

    def synthesize(self, text: str, *, voice: str, speed: float = 1.0) -> bytes:
        """Mono PCM16 at sample_rate for text."""
        with self._lock:
            lib = self._load()
            self._select(lib, voice)
            lib.espeak_SetParameter(_RATE, max(80, min(450, int(_DEFAULT_WPM * speed))), 0)
            self._pieces = []
            data = text.encode()
            status = lib.espeak_Synth(data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8 | _ENDPAUSE, None, None)
            if status != 0:
                raise EspeakError(f"eSpeak NG failed with status {status}")
            pcm, self._pieces = b"".join(self._pieces), []
            return pcm
